// Reads a stream line by line (a child's stdout/stderr), calling `onLine` for each.
import Gio from "gi://Gio";
import GLib from "gi://GLib";

Gio._promisify(Gio.DataInputStream.prototype, "read_line_async", "read_line_finish");

const decoder = new TextDecoder();

/** Resolves when the stream ends (the child exited or closed it). */
export async function readLines(stream: Gio.InputStream, onLine: (line: string) => void): Promise<void> {
  const data = new Gio.DataInputStream({ base_stream: stream, close_base_stream: true });
  for (;;) {
    let line: unknown;
    try {
      [line] = (await data.read_line_async(GLib.PRIORITY_DEFAULT, null)) as unknown as [unknown];
    } catch {
      return; // the pipe closes when the child exits
    }
    if (line === null || line === undefined) return;
    // Depending on the promisified finish function the line arrives as bytes or as text.
    onLine(typeof line === "string" ? line : decoder.decode(line as Uint8Array));
  }
}
