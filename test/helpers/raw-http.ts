// Raw HTTP/1.1 over a loopback socket, for requests no well-behaved client sends: forged Host and Origin
// headers, broken bodies, huge headers. Answers are read until the server closes (Connection: close).
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { REPO_ROOT } from "./repo.js";

Gio._promisify(Gio.Subprocess.prototype, "communicate_async", "communicate_finish");


export interface RawReply {
  /** 0 when the server closed the connection without an answer (a reset). */
  status: number;
  headers: Record<string, string>;
  body: string;
}

const encoder = new TextEncoder();

/**
 * Sends `head` (the request line and headers, without the blank line) and `body`; reads the answer.
 * With `hold`, the client does not close its side after sending (a client with more still to send).
 * The socket lives in a node child process: the gjs test process keeps its main loop free for the fake
 * provider it runs, and big bodies never pass through a gjs async callback.
 */
export async function rawRequest(port: number, head: string, body: Uint8Array | string = "", timeoutMs = 15000, hold = false): Promise<RawReply> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const headBytes = encoder.encode(`${head}\r\nConnection: close\r\n\r\n`);
  const request = new Uint8Array(headBytes.length + bytes.length);
  request.set(headBytes);
  request.set(bytes, headBytes.length);
  const [file, stream] = Gio.File.new_tmp("raw-request-XXXXXX");
  stream.get_output_stream().write_all(request, null);
  stream.close(null);
  const proc = Gio.Subprocess.new(["node", `${REPO_ROOT}/test/helpers/raw-http-client.mjs`, String(port), file.get_path()!, String(timeoutMs), hold ? "hold" : ""],
    Gio.SubprocessFlags.STDOUT_PIPE);
  const [out] = (await proc.communicate_async(null, null)) as unknown as [GLib.Bytes | null, GLib.Bytes | null];
  file.delete(null);
  const all = out?.toArray() ?? new Uint8Array(0);
  const text = new TextDecoder().decode(all);
  const split = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/") || split < 0) return { status: 0, headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) };
}

/** A POST with a JSON (or any) body and the given extra header lines. */
export function rawPost(port: number, path: string, body: Uint8Array | string, headerLines: string[] = [], host = `127.0.0.1:${port}`): Promise<RawReply> {
  const length = typeof body === "string" ? encoder.encode(body).length : body.length;
  return rawRequest(port, [`POST ${path} HTTP/1.1`, `Host: ${host}`, `Content-Length: ${length}`, ...headerLines].join("\r\n"), body);
}
