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
  const text = new TextDecoder().decode(bytes.get_data() ?? new Uint8Array());
  const replyHeaders: Record<string, string> = {};
  msg.get_response_headers().foreach((name, value) => {
    replyHeaders[name.toLowerCase()] = value;
  });
  return { status: msg.get_status(), headers: replyHeaders, text, json: () => JSON.parse(text) };
}

export const getJson = (url: string) => request("GET", url);
