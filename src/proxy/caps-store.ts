// provider-caps.json: quirks learned per endpoint and model, kept 24 h. A file that fails to parse is
// kept aside (provider-caps.json.corrupt-<time>) and learning starts over; the watchdog's
// "clear schema cache" action deletes the file and the AI Monitor window's Clear rewrites it, which this
// store notices on the next request (it rereads the file whenever its modification time changed).
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { CAPS_TTL_MS, parseCapsFile, serializeCaps, withoutQuirksOf, type CapsData } from "./caps.js";
import { formatLogLine } from "./log-lines.js";

export class CapsStore {
  #data: CapsData = { version: 1, entries: {} };
  #loadedMtime: number | null = null;

  constructor(readonly path: string, private readonly log: (line: string) => void, private readonly ttlMs = CAPS_TTL_MS) {}

  /** Quirks to drop for this endpoint and model (reloading the file when it changed on disk). */
  quirksFor(key: string): Set<string> {
    this.#refresh();
    const entry = this.#data.entries[key];
    if (!entry || Date.now() - Date.parse(entry.learned_at) > this.ttlMs) return new Set();
    return new Set(entry.drop);
  }

  learn(key: string, quirks: readonly string[]): void {
    this.#refresh();
    const existing = new Set(this.quirksFor(key));
    for (const q of quirks) existing.add(q);
    this.#data.entries[key] = { drop: [...existing].sort(), learned_at: new Date().toISOString() };
    this.log(formatLogLine(null, "caps", { state: "learned", quirks: [...quirks].sort().join(",") }, { key }));
    this.#save();
  }

  /** A lesson that coincided with a refusal: gone from memory and from the file. */
  forget(key: string, quirks: readonly string[]): void {
    this.#refresh();
    if (!this.#data.entries[key]) return;
    this.#data = withoutQuirksOf(this.#data, key, quirks);
    this.log(formatLogLine(null, "caps", { state: "forgotten", quirks: [...quirks].sort().join(",") }, { key }));
    this.#save();
  }

  #save(): void {
    try {
      GLib.mkdir_with_parents(GLib.path_get_dirname(this.path), 0o700);
      Gio.File.new_for_path(this.path).replace_contents(new TextEncoder().encode(serializeCaps(this.#data)), null, false,
        Gio.FileCreateFlags.PRIVATE | Gio.FileCreateFlags.REPLACE_DESTINATION, null);
      this.#loadedMtime = this.#mtime();
    } catch (e) {
      this.log(formatLogLine(null, "caps", { state: "write_failed" }, { message: `cannot write ${this.path}: ${(e as Error).message}` }));
    }
  }

  #mtime(): number | null {
    // Asked before every request: the usual answer (no file, nothing learned) must not cost a GError
    // turned into a JS exception with its stack.
    if (!GLib.file_test(this.path, GLib.FileTest.EXISTS)) return null;
    try {
      const info = Gio.File.new_for_path(this.path).query_info("time::modified,time::modified-usec", Gio.FileQueryInfoFlags.NONE, null);
      return info.get_attribute_uint64("time::modified") * 1e6 + info.get_attribute_uint32("time::modified-usec");
    } catch {
      return null; // no file yet, or deleted: nothing learned
    }
  }

  #refresh(): void {
    const mtime = this.#mtime();
    if (mtime === this.#loadedMtime) return;
    this.#loadedMtime = mtime;
    if (mtime === null) {
      this.#data = { version: 1, entries: {} };
      return;
    }
    let text = "";
    try {
      text = new TextDecoder().decode(GLib.file_get_contents(this.path)[1]);
      this.#data = parseCapsFile(text);
    } catch (e) {
      const aside = `${this.path}.corrupt-${GLib.DateTime.new_now_utc().format("%Y%m%dT%H%M%S")}`;
      try {
        Gio.File.new_for_path(this.path).move(Gio.File.new_for_path(aside), Gio.FileCopyFlags.OVERWRITE, null, null);
      } catch (moveError) {
        this.log(formatLogLine(null, "caps", { state: "write_failed" }, { message: `cannot move the corrupt file aside: ${(moveError as Error).message}` }));
      }
      this.log(formatLogLine(null, "caps", { state: "corrupt" }, { message: `${this.path} is corrupt (${(e as Error).message}); kept aside as ${aside}, starting over` }));
      this.#data = { version: 1, entries: {} };
      this.#loadedMtime = null;
    }
  }
}
