// Small JSON-over-HTTP helpers for the launcher and the watchdog (libsoup), with timeouts.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";

Gio._promisify(Soup.Session.prototype, "send_and_read_async", "send_and_read_finish");

export interface JsonReply {
  status: number;
  body: unknown;
  text: string;
  ms: number;
  /** Response headers, names lower-cased. */
  headers?: Record<string, string>;
}

const session = new Soup.Session({ timeout: 0, user_agent: "codex-launcher" });

/** One request; rejects on transport errors and on timeout (message says which). */
export async function requestJson(method: "GET" | "POST", url: string, options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<JsonReply> {
  const msg = Soup.Message.new(method, url);
  if (!msg) throw new Error(`invalid URL: ${url}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) msg.get_request_headers().replace(k, v);
  if (options.body !== undefined)
    msg.set_request_body_from_bytes("application/json", new GLib.Bytes(new TextEncoder().encode(JSON.stringify(options.body))));
  const cancellable = new Gio.Cancellable();
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 10000;
  const timer = setTimeout(() => {
    timedOut = true;
    cancellable.cancel();
  }, timeoutMs);
  const started = Date.now();
  try {
    const bytes = (await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as GLib.Bytes;
    const text = new TextDecoder().decode(bytes.toArray());
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const headers: Record<string, string> = {};
    msg.get_response_headers().foreach((name, value) => (headers[name.toLowerCase()] = value));
    return { status: msg.status_code, body, text, ms: Date.now() - started, headers };
  } catch (e) {
    if (timedOut) throw new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
