// Small JSON-over-HTTP helpers for the launcher and the watchdog (libsoup), with timeouts.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { Utf8StreamDecoder } from "./utf8-stream.js";

Gio._promisify(Soup.Session.prototype, "send_and_read_async", "send_and_read_finish");
Gio._promisify(Soup.Session.prototype, "send_async", "send_finish");
Gio._promisify(Gio.InputStream.prototype, "read_bytes_async", "read_bytes_finish");

/**
 * Runs `fn` when `cancellable` is cancelled (at once when it already is); returns the disconnect. gjs
 * exposes g_cancellable_connect() as Cancellable.connect(callback), shadowing GObject's signal connect.
 */
export function onCancel(cancellable: Gio.Cancellable, fn: () => void): () => void {
  const id = (cancellable as unknown as { connect(callback: () => void): number }).connect(fn);
  return () => {
    if (id) cancellable.disconnect(id);
  };
}

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
export async function requestJson(method: "GET" | "POST", url: string, options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number;
  /** Cancelling it (the user's Cancel) rejects with "cancelled". */
  cancellable?: Gio.Cancellable | null } = {}): Promise<JsonReply> {
  const msg = Soup.Message.new(method, url);
  if (!msg) throw new Error(`invalid URL: ${url}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) msg.get_request_headers().replace(k, v);
  if (options.body !== undefined)
    msg.set_request_body_from_bytes("application/json", new GLib.Bytes(new TextEncoder().encode(JSON.stringify(options.body))));
  const cancellable = new Gio.Cancellable();
  const outer = options.cancellable ?? null;
  const unlink = outer ? onCancel(outer, () => cancellable.cancel()) : () => {};
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
    if (outer?.is_cancelled()) throw new Error("cancelled");
    throw e;
  } finally {
    clearTimeout(timer);
    unlink();
  }
}

export interface StreamReply {
  status: number;
  contentType: string;
  /** The body read (all of it, or the first chunk with `firstChunkOnly`), at most `maxBytes`. */
  text: string;
  /** Milliseconds until the first body bytes arrived (null: the body was empty). */
  ttfbMs: number | null;
  /** Milliseconds until the body first matched `mark` (null: never). */
  markMs: number | null;
  ms: number;
}

/**
 * A request whose answer is read as it streams: the time to its first body bytes is measured, and with
 * `firstChunkOnly` the connection is dropped after them (the Doctor's SSE check needs no more).
 */
export async function requestStream(method: "GET" | "POST", url: string, options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number;
  cancellable?: Gio.Cancellable | null; firstChunkOnly?: boolean; maxBytes?: number; mark?: RegExp } = {}): Promise<StreamReply> {
  const msg = Soup.Message.new(method, url);
  if (!msg) throw new Error(`invalid URL: ${url}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) msg.get_request_headers().replace(k, v);
  if (options.body !== undefined)
    msg.set_request_body_from_bytes("application/json", new GLib.Bytes(new TextEncoder().encode(JSON.stringify(options.body))));
  // Its own session: dropping a half-read stream must not leave a broken connection in the shared pool.
  const own = new Soup.Session({ timeout: 0, user_agent: "codex-launcher" });
  const cancellable = new Gio.Cancellable();
  const outer = options.cancellable ?? null;
  const unlink = outer ? onCancel(outer, () => cancellable.cancel()) : () => {};
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 30000;
  const timer = setTimeout(() => {
    timedOut = true;
    cancellable.cancel();
  }, timeoutMs);
  const started = Date.now();
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  try {
    const stream = (await own.send_async(msg, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as Gio.InputStream;
    const contentType = msg.get_response_headers().get_one("Content-Type") ?? "";
    const decoder = new Utf8StreamDecoder();
    let text = "";
    let ttfbMs: number | null = null;
    let markMs: number | null = null;
    for (;;) {
      const bytes = (await stream.read_bytes_async(16384, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as GLib.Bytes;
      const chunk = bytes.get_data() ?? new Uint8Array();
      if (chunk.length === 0) break;
      ttfbMs ??= Date.now() - started;
      text += decoder.decode(chunk);
      if (markMs === null && options.mark?.test(text)) markMs = Date.now() - started;
      if (options.firstChunkOnly || text.length >= maxBytes) break;
    }
    stream.close(null);
    own.abort();
    return { status: msg.status_code, contentType, text, ttfbMs, markMs, ms: Date.now() - started };
  } catch (e) {
    if (timedOut) throw new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`);
    if (outer?.is_cancelled()) throw new Error("cancelled");
    throw e;
  } finally {
    clearTimeout(timer);
    unlink();
  }
}
