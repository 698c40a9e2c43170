// Append-only log files (proxy.log, monitoring.log, ...) with secret redaction and size rotation.
// Lines are written synchronously: they are short, the disk is local, and the watchdog must see a
// line before the process that wrote it can crash.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { redactSecrets } from "./redact.js";

const encoder = new TextEncoder();

export class LogFile {
  #stream: Gio.FileOutputStream | null = null;
  #size = 0;
  #secrets: string[] = [];
  #failed = false;

  constructor(readonly path: string, private readonly tag: string, private readonly maxBytes = 10 * 1024 * 1024,
    private readonly echoToStderr = false) {}

  /** Literal values (API keys) that must never be written, whatever their shape. */
  addSecret(secret: string): void {
    if (secret) this.#secrets.push(secret);
  }

  write(message: string): void {
    const line = `${new Date().toISOString()} [${this.tag}] ${redactSecrets(message, this.#secrets).replace(/\n/g, "\\n")}\n`;
    if (this.echoToStderr) printerr(line.trimEnd());
    this.#append(line);
  }

  /** One line as it is (a JSON record, say), secrets redacted; no time or tag in front. */
  writeRecord(record: string): void {
    this.#append(`${redactSecrets(record, this.#secrets).replace(/\n/g, "\\n")}\n`);
  }

  #append(line: string): void {
    try {
      const stream = this.#open();
      const bytes = encoder.encode(line);
      stream.write_all(bytes, null);
      this.#failed = false;
      this.#size += bytes.length;
      if (this.#size > this.maxBytes) this.#rotate();
    } catch (e) {
      this.#reportOnce(e as Error);
    }
  }

  close(): void {
    try {
      this.#stream?.close(null);
    } catch (e) {
      this.#reportOnce(e as Error);
    }
    this.#stream = null;
  }

  #open(): Gio.FileOutputStream {
    if (this.#stream) return this.#stream;
    GLib.mkdir_with_parents(GLib.path_get_dirname(this.path), 0o700);
    const file = Gio.File.new_for_path(this.path);
    this.#stream = file.append_to(Gio.FileCreateFlags.PRIVATE, null);
    this.#size = file.query_info("standard::size", Gio.FileQueryInfoFlags.NONE, null).get_size();
    return this.#stream;
  }

  #rotate(): void {
    this.close();
    Gio.File.new_for_path(this.path).move(Gio.File.new_for_path(`${this.path}.1`), Gio.FileCopyFlags.OVERWRITE, null, null);
    this.#size = 0;
  }

  #reportOnce(error: Error): void {
    // Logging must never take the process down; say once on stderr that the file is not writable.
    if (!this.#failed) printerr(`cannot write ${this.path}: ${error.message}`);
    this.#failed = true;
    this.#stream = null;
  }
}
