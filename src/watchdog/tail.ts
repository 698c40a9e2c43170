// Follows a log file as it grows, without polling: a Gio.FileMonitor on its directory reports writes,
// creation, rotation (rename) and truncation. Only complete lines are delivered; a partial last line
// waits for its newline.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { Utf8StreamDecoder } from "../lib/utf8-stream.js";

/** Longest line kept while waiting for its newline (a runaway line is cut, not buffered forever). */
const MAX_LINE = 64 * 1024;

export class LogTailer {
  #monitor: Gio.FileMonitor | null = null;
  #handler = 0;
  #offset = 0;
  #inode: number | null = null;
  #partial = "";
  #decoder = new Utf8StreamDecoder();
  readonly #file: Gio.File;

  constructor(readonly path: string, private readonly onLine: (line: string) => void) {
    this.#file = Gio.File.new_for_path(path);
  }

  /** Starts at the current end of the file: only lines written from now on are reported. */
  start(): void {
    GLib.mkdir_with_parents(GLib.path_get_dirname(this.path), 0o700);
    const info = this.#stat();
    this.#offset = info?.size ?? 0;
    this.#inode = info?.inode ?? null;
    this.#monitor = this.#file.get_parent()!.monitor_directory(Gio.FileMonitorFlags.WATCH_MOVES, null);
    this.#monitor.set_rate_limit(50);
    this.#handler = this.#monitor.connect("changed", (_m, file: Gio.File, other: Gio.File | null) => {
      if (file.get_path() === this.path || other?.get_path() === this.path) this.poll();
    });
  }

  stop(): void {
    if (this.#monitor) {
      this.#monitor.disconnect(this.#handler);
      this.#monitor.cancel();
    }
    this.#monitor = null;
  }

  #stat(): { size: number; inode: number } | null {
    try {
      const info = this.#file.query_info("standard::size,unix::inode", Gio.FileQueryInfoFlags.NONE, null);
      return { size: info.get_size(), inode: Number(info.get_attribute_uint64("unix::inode")) };
    } catch {
      return null; // not created yet, or rotated away
    }
  }

  /** Reads whatever was appended since the last call (also safe to call by hand). */
  poll(): void {
    const info = this.#stat();
    if (!info) return;
    if (info.inode !== this.#inode || info.size < this.#offset) {
      // Rotated (a new file under the same name) or truncated: the new content starts at 0.
      this.#inode = info.inode;
      this.#offset = 0;
      this.#partial = "";
      this.#decoder = new Utf8StreamDecoder();
    }
    if (info.size === this.#offset) return;
    let base: Gio.FileInputStream;
    try {
      base = this.#file.read(null);
    } catch {
      return;
    }
    try {
      base.seek(this.#offset, GLib.SeekType.SET, null);
      // Buffered fill + peek_buffer rather than read_bytes(), whose GBytes leak in gjs 1.74.
      const stream = new Gio.BufferedInputStream({ base_stream: base, close_base_stream: false, buffer_size: 65536 });
      for (;;) {
        const n = stream.fill(-1, null);
        if (n <= 0) break;
        const chunk = stream.peek_buffer();
        stream.skip(chunk.length, null);
        this.#offset += chunk.length;
        this.#take(this.#decoder.decode(chunk));
      }
    } finally {
      base.close(null);
    }
  }

  #take(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    if (this.#partial.length > MAX_LINE) this.#partial = this.#partial.slice(0, MAX_LINE);
    for (const line of lines) if (line.trim() !== "") this.onLine(line.replace(/\r$/, ""));
  }
}
