// A real HTTP client for specs (libsoup), returning status, headers and body.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";

Gio._promisify(Soup.Session.prototype, "send_and_read_async", "send_and_read_finish");

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = any>(): T;
}

const session = new Soup.Session({ timeout: 30 });

export async function request(method: string, url: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<HttpReply> {
  const msg = Soup.Message.new(method, url);
  if (!msg) throw new Error(`bad URL ${url}`);
  for (const [k, v] of Object.entries(headers)) msg.get_request_headers().replace(k, v);
  if (body !== undefined) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    msg.set_request_body_from_bytes(headers["content-type"] ?? "application/json", new GLib.Bytes(bytes));
  }
  const bytes = (await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null)) as unknown as GLib.Bytes;
  const text = new TextDecoder().decode(bytes.toArray());
  const replyHeaders: Record<string, string> = {};
  msg.get_response_headers().foreach((name, value) => {
    replyHeaders[name.toLowerCase()] = value;
  });
  return { status: msg.status_code, headers: replyHeaders, text, json: () => JSON.parse(text) };
}

export const getJson = (url: string) => request("GET", url);

Gio._promisify(Soup.Session.prototype, "send_async", "send_finish");
Gio._promisify(Gio.InputStream.prototype, "read_bytes_async", "read_bytes_finish");

export interface SseEvent {
  event: string | null;
  data: any;
}

export interface SseReply {
  status: number;
  headers: Record<string, string>;
  events: SseEvent[];
  /** The raw body when the reply was not an event stream (errors). */
  text: string;
}

/**
 * POSTs JSON and reads the SSE reply. With `stopAfter`, the client closes the connection once that
 * many events arrived (a client that goes away).
 */
export async function postSse(url: string, body: unknown, options: { stopAfter?: number; headers?: Record<string, string> } = {}): Promise<SseReply> {
  const { SseParser } = await import("../../src/proxy/sse.js");
  const msg = Soup.Message.new("POST", url)!;
  msg.get_request_headers().replace("Accept", "text/event-stream");
  for (const [k, v] of Object.entries(options.headers ?? {})) msg.get_request_headers().replace(k, v);
  msg.set_request_body_from_bytes("application/json", new GLib.Bytes(new TextEncoder().encode(JSON.stringify(body))));
  const cancellable = new Gio.Cancellable();
  const ownSession = new Soup.Session({ timeout: 0 });
  const stream = (await ownSession.send_async(msg, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as Gio.InputStream;
  const headers: Record<string, string> = {};
  msg.get_response_headers().foreach((n, v) => (headers[n.toLowerCase()] = v));
  const parser = new SseParser();
  const { Utf8StreamDecoder } = await import("../../src/lib/utf8-stream.js");
  const decoder = new Utf8StreamDecoder();
  const events: SseEvent[] = [];
  let text = "";
  for (;;) {
    const bytes = (await stream.read_bytes_async(65536, GLib.PRIORITY_DEFAULT, null)) as unknown as GLib.Bytes;
    const data = bytes.toArray();
    if (data.length === 0) break;
    const piece = decoder.decode(data);
    text += piece;
    for (const m of parser.feed(piece)) {
      let parsed: unknown = m.data;
      try {
        parsed = JSON.parse(m.data);
      } catch {
        // keep raw
      }
      events.push({ event: m.event, data: parsed });
    }
    if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
      // Closing the body stream before its end drops the connection, as a client that quits does.
      stream.close(null);
      ownSession.abort();
      break;
    }
  }
  return { status: msg.status_code, headers, events, text };
}
