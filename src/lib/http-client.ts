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

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Cancelling it (the user's Cancel) rejects with "cancelled". */
  cancellable?: Gio.Cancellable | null;
}

/** The request: the caller's headers, and its body as JSON. */
function jsonMessage(method: string, url: string, options: RequestOptions): Soup.Message {
  const msg = Soup.Message.new(method, url);
  if (!msg) throw new Error(`invalid URL: ${url}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) msg.get_request_headers().replace(k, v);
  if (options.body !== undefined)
    msg.set_request_body_from_bytes("application/json", new GLib.Bytes(new TextEncoder().encode(JSON.stringify(options.body))));
  return msg;
}

/**
 * A request's own cancellable, cancelled by the caller's or after `timeoutMs`; `failure` names what
 * ended a request that failed, and `done` must run when it settles.
 */
function deadline(options: RequestOptions, defaultTimeoutMs: number): { cancellable: Gio.Cancellable; failure(e: unknown): unknown; done(): void } {
  const cancellable = new Gio.Cancellable();
  const outer = options.cancellable ?? null;
  const unlink = outer ? onCancel(outer, () => cancellable.cancel()) : () => {};
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const timer = setTimeout(() => {
    timedOut = true;
    cancellable.cancel();
  }, timeoutMs);
  return {
    cancellable,
    failure: (e) => (timedOut ? new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`) : outer?.is_cancelled() ? new Error("cancelled") : e),
    done: () => {
      clearTimeout(timer);
      unlink();
    },
  };
}

/** One request; rejects on transport errors and on timeout (message says which). */
export async function requestJson(method: "GET" | "POST", url: string, options: RequestOptions = {}): Promise<JsonReply> {
  const msg = jsonMessage(method, url, options);
  const limit = deadline(options, 10000);
  const started = Date.now();
  try {
    const bytes = (await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, limit.cancellable)) as unknown as GLib.Bytes;
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
    throw limit.failure(e);
  } finally {
    limit.done();
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
export async function requestStream(method: "GET" | "POST", url: string,
  options: RequestOptions & { firstChunkOnly?: boolean; maxBytes?: number; mark?: RegExp } = {}): Promise<StreamReply> {
  const msg = jsonMessage(method, url, options);
  // Its own session: dropping a half-read stream must not leave a broken connection in the shared pool.
  const own = new Soup.Session({ timeout: 0, user_agent: "codex-launcher" });
  const limit = deadline(options, 30000);
  const cancellable = limit.cancellable;
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
      // toArray(), not get_data(): in gjs 1.74 get_data() keeps the buffer alive for good.
      const chunk = bytes.toArray();
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
    throw limit.failure(e);
  } finally {
    limit.done();
  }
}
