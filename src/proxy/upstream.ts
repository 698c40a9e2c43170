// Talking to the provider: our own HTTP/1.1 client over pooled Gio socket connections (plain or TLS),
// retries before the first byte, idle timeouts.
//
// Not Soup.Session: libsoup's body stream returns one HTTP chunk per read, and providers write one
// chunk per token, so every token cost an async read (a GTask, a main-loop dispatch, a JS callback and
// a promise): about 40 µs of CPU per token for the reading alone. Here one read returns whatever the
// socket holds (many tokens when the provider is fast), and the chunk framing is undone in JS
// (http1.ts). Connections are kept alive and reused per scheme+host+port, as libsoup did.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { statusPhrase } from "./errors.js";
import { bodyDecoder, findHeadEnd, formatRequestHead, HttpProtocolError, keepsAlive, parseHttpUrl, parseResponseHead, type BodyDecoder,
  type HttpTarget, type ResponseHeaders } from "./http1.js";
import type { UpstreamErrorKind } from "./metrics.js";
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from "./retry-policy.js";

Gio._promisify(Gio.SocketClient.prototype, "connect_to_host_async", "connect_to_host_finish");
Gio._promisify(Gio.OutputStream.prototype, "write_bytes_async", "write_bytes_finish");
Gio._promisify(Gio.BufferedInputStream.prototype, "fill_async", "fill_finish");

export class UpstreamError extends Error {
  override name = "UpstreamError";
  constructor(readonly kind: UpstreamErrorKind, message: string, override readonly cause?: unknown) {
    super(message);
  }
}

export interface UpstreamRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  contentType?: string;
}

export interface UpstreamReply {
  status: number;
  reason: string;
  headers: ResponseHeaders;
  /** The reply body, still on its connection: read it with a BodyReader (which returns the connection). */
  stream: UpstreamBody;
  contentType: string;
}

export interface RetryNotice {
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  status: number | null;
  reason: string;
}

/** Upstream connections per scheme+host+port. Codex agents stream in parallel: 64 concurrent streams must
 * not wait for one another (32, libsoup's setting here before, made streams 33–64 wait for a whole answer). */
export const MAX_CONNECTIONS_PER_HOST = 128;
/** Idle pooled connections are closed after this long (as libsoup's idle_timeout did). */
const IDLE_CONNECTION_MS = 60_000;
/** A response head larger than this is not a provider's. */
const MAX_HEAD_BYTES = 64 * 1024;
/** What one read may return: an answer of a few hundred tokens arrives in one or two reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Maps a GLib error from connecting or reading to a kind the logs and the watchdog understand. */
export function classifyGError(error: unknown): { kind: UpstreamErrorKind; message: string } {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof GLib.Error) {
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_REFUSED)) return { kind: "connection_refused", message: `Connection refused: ${message}` };
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT)) return { kind: "timeout", message: `Connection timed out: ${message}` };
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED) || error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.BROKEN_PIPE))
      return { kind: "connection_reset", message: `Connection reset: ${message}` };
    if (error.domain === Gio.resolver_error_quark()) return { kind: "dns", message: `DNS lookup failed: ${message}` };
    if (error.domain === Gio.tls_error_quark()) return { kind: "tls", message: `TLS error: ${message}` };
    if (/reset by peer/i.test(message)) return { kind: "connection_reset", message: `Connection reset: ${message}` };
  }
  return { kind: "other", message };
}

/** Sleeps unless cancelled; resolves false when cancelled. */
function sleep(ms: number, cancellable: Gio.Cancellable): Promise<boolean> {
  return new Promise((resolve) => {
    let handler = 0;
    const timer = setTimeout(() => {
      if (handler) cancellable.disconnect(handler);
      resolve(true);
    }, ms);
    handler = cancellable.connect(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** One keep-alive connection to a provider. */
class Connection {
  readonly input: Gio.BufferedInputStream;
  readonly output: Gio.OutputStream;
  idleSinceMs = 0;
  /** Counted in the pool's open connections (false once closed). */
  open = true;

  constructor(readonly key: string, readonly io: Gio.SocketConnection, readonly tls: boolean) {
    // Reads go through a buffered stream filled with fill_async() and copied out with peek_buffer():
    // read_bytes_async leaks each GBytes it returns in gjs 1.74.
    this.input = new Gio.BufferedInputStream({ base_stream: io.get_input_stream(), close_base_stream: false, buffer_size: READ_BUFFER_BYTES });
    this.output = io.get_output_stream();
  }

  /**
   * An idle plain connection is usable while the server has sent nothing, not even its FIN. TLS
   * connections cannot be judged this way (TLS 1.3 servers send session tickets after the handshake);
   * a stale one is caught when the request fails before any byte of the answer and is replayed.
   */
  usable(): boolean {
    if (!this.open) return false;
    if (this.tls) return true;
    try {
      return this.io.get_socket().condition_check(GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR) === 0;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.tls) {
      // A TLS close writes close_notify, which must not block the main loop on a full send buffer.
      this.io.close_async(GLib.PRIORITY_DEFAULT, null, () => {});
      return;
    }
    try {
      this.io.close(null);
    } catch {
      // Already closed by the peer: nothing left to release.
    }
  }
}

/** Keep-alive connections per scheme+host+port, at most `maxPerHost` open; beyond that callers queue. */
class ConnectionPool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #open = new Map<string, number>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #clients = new Map<boolean, Gio.SocketClient>();
  #sweeper = 0;

  constructor(readonly maxPerHost: number, readonly idleMs: number) {}

  async acquire(target: HttpTarget, cancellable: Gio.Cancellable): Promise<{ conn: Connection; reused: boolean }> {
    const key = `${target.tls ? "https" : "http"}://${target.authority}`;
    for (;;) {
      const idle = this.#idle.get(key);
      while (idle && idle.length > 0) {
        const conn = idle.pop()!; // most recently used first: the likeliest to be alive
        if (Date.now() - conn.idleSinceMs < this.idleMs && conn.usable()) return { conn, reused: true };
        this.#drop(conn);
      }
      const open = this.#open.get(key) ?? 0;
      if (open < this.maxPerHost) {
        this.#open.set(key, open + 1);
        try {
          const io = (await this.#client(target.tls).connect_to_host_async(target.host, target.port, cancellable)) as unknown as Gio.SocketConnection;
          // One write per request, but a large body is written in parts: Nagle would hold the last part
          // back until the provider acknowledges the previous one.
          io.get_socket().set_option(6 /* IPPROTO_TCP */, 1 /* TCP_NODELAY */, 1);
          return { conn: new Connection(key, io, target.tls), reused: false };
        } catch (e) {
          this.#closed(key);
          throw e;
        }
      }
      await this.#waitForSlot(key, cancellable);
    }
  }

  /** After a response: back to the pool when the connection can carry another request, else closed. */
  release(conn: Connection, reusable: boolean): void {
    if (!conn.open) return;
    if (!reusable) {
      this.#drop(conn);
      return;
    }
    conn.idleSinceMs = Date.now();
    let idle = this.#idle.get(conn.key);
    if (!idle) this.#idle.set(conn.key, (idle = []));
    idle.push(conn);
    this.#startSweeper();
    this.#wakeOne(conn.key);
  }

  #drop(conn: Connection): void {
    if (!conn.open) return;
    conn.open = false;
    conn.close();
    this.#closed(conn.key);
  }

  #closed(key: string): void {
    const open = (this.#open.get(key) ?? 1) - 1;
    if (open > 0) this.#open.set(key, open);
    else this.#open.delete(key);
    this.#wakeOne(key);
  }

  #wakeOne(key: string): void {
    this.#waiters.get(key)?.shift()?.();
  }

  #waitForSlot(key: string, cancellable: Gio.Cancellable): Promise<void> {
    return new Promise((resolve, reject) => {
      let waiters = this.#waiters.get(key);
      if (!waiters) this.#waiters.set(key, (waiters = []));
      let handler = 0;
      const wake = () => {
        if (handler) cancellable.disconnect(handler);
        resolve();
      };
      waiters.push(wake);
      handler = cancellable.connect(() => {
        const list = this.#waiters.get(key) ?? [];
        const at = list.indexOf(wake);
        if (at >= 0) list.splice(at, 1);
        reject(new Error("cancelled while waiting for a pooled connection"));
      });
    });
  }

  #client(tls: boolean): Gio.SocketClient {
    let client = this.#clients.get(tls);
    if (!client) {
      // No I/O timeout: a healthy stream may be silent for minutes (the route's idle timeout decides).
      client = new Gio.SocketClient({ tls, timeout: 0 });
      this.#clients.set(tls, client);
    }
    return client;
  }

  /** One timer for the whole pool, only while connections are idle: closes those idle too long. */
  #startSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = GLib.timeout_add_seconds(GLib.PRIORITY_LOW, Math.max(1, Math.round(this.idleMs / 2000)), () => {
      const now = Date.now();
      let left = 0;
      for (const [key, idle] of this.#idle) {
        const keep = idle.filter((conn) => now - conn.idleSinceMs < this.idleMs && conn.usable());
        for (const conn of idle) if (!keep.includes(conn)) this.#drop(conn);
        if (keep.length) this.#idle.set(key, keep);
        else this.#idle.delete(key);
        left += keep.length;
      }
      if (left > 0) return GLib.SOURCE_CONTINUE;
      this.#sweeper = 0;
      return GLib.SOURCE_REMOVE;
    });
  }
}

/** The body of one upstream response, still on its connection. Read it with a BodyReader. */
export class UpstreamBody {
  #conn: Connection | null;
  #leftover: Uint8Array | null;

  constructor(private readonly pool: ConnectionPool, conn: Connection, readonly decoder: BodyDecoder, leftover: Uint8Array,
    private readonly keepAlive: boolean) {
    this.#conn = conn;
    this.#leftover = leftover.length > 0 ? leftover : null;
  }

  get input(): Gio.BufferedInputStream | null {
    return this.#conn?.input ?? null;
  }

  /** Body bytes that arrived together with the response head. */
  takeLeftover(): Uint8Array | null {
    const rest = this.#leftover;
    this.#leftover = null;
    return rest;
  }

  /**
   * Hands the connection back: to the pool when the whole body was read and nothing followed it, else
   * closed (closing is also how an unwanted answer is stopped: the provider sees the hang-up).
   */
  release(completed: boolean): void {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = null;
    const d = this.decoder;
    this.pool.release(conn, completed && d.done && d.trailing === 0 && !d.untilClose && this.keepAlive);
  }
}

/** Thrown when a reused connection failed before any byte of the answer: the server had closed it. */
class StaleConnection extends Error {
  override name = "StaleConnection";
}

export class UpstreamClient {
  readonly #pool: ConnectionPool;
  /** The request bytes (head and body in one buffer), built once per request and reused by retries. */
  readonly #payloads = new WeakMap<UpstreamRequest, GLib.Bytes>();

  constructor(readonly userAgent: string, maxConnsPerHost = MAX_CONNECTIONS_PER_HOST) {
    this.#pool = new ConnectionPool(maxConnsPerHost, IDLE_CONNECTION_MS);
  }

  /** One attempt. Throws UpstreamError for transport failures; any HTTP status is a reply. */
  async send(request: UpstreamRequest, cancellable: Gio.Cancellable, headersTimeoutMs: number): Promise<UpstreamReply> {
    const target = parseHttpUrl(request.url);
    if (!target) throw new UpstreamError("other", `invalid upstream URL: ${request.url}`);
    let payload: GLib.Bytes;
    try {
      payload = this.#payload(request, target);
    } catch (e) {
      throw new UpstreamError("other", `invalid upstream request: ${(e as Error).message}`, e);
    }
    let timedOut = false;
    const attempt = new Gio.Cancellable();
    const link = cancellable.connect(() => attempt.cancel());
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.cancel();
    }, headersTimeoutMs);
    try {
      // A pooled connection the server closed meanwhile fails before any byte of the answer; the
      // request never reached the model, so it is replayed on another connection (as libsoup did for
      // requests marked idempotent).
      for (let tries = 0; ; tries++) {
        const { conn, reused } = await this.#pool.acquire(target, attempt);
        try {
          return await this.#exchange(conn, request.method, payload, attempt);
        } catch (e) {
          this.#pool.release(conn, false);
          if (e instanceof StaleConnection && reused && tries < 3 && !attempt.is_cancelled()) continue;
          if (e instanceof StaleConnection) throw new UpstreamError("connection_reset", `Connection reset: ${e.message}`, e);
          throw e;
        }
      }
    } catch (e) {
      if (timedOut) throw new UpstreamError("timeout", `upstream timed out: no response headers within ${Math.round(headersTimeoutMs / 1000)} s`, e);
      if (cancellable.is_cancelled()) throw new UpstreamError("client_gone", "request cancelled: the client went away", e);
      if (e instanceof UpstreamError) throw e;
      if (e instanceof HttpProtocolError) throw new UpstreamError("other", `invalid HTTP response from the provider: ${e.message}`, e);
      const { kind, message: text } = classifyGError(e);
      throw new UpstreamError(kind, text, e);
    } finally {
      clearTimeout(timer);
      cancellable.disconnect(link);
    }
  }

  #payload(request: UpstreamRequest, target: HttpTarget): GLib.Bytes {
    let payload = this.#payloads.get(request);
    if (payload) return payload;
    const headers = { ...request.headers };
    if (request.body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = request.contentType ?? "application/json";
    const head = new TextEncoder().encode(formatRequestHead(request.method, target, headers,
      request.body ? request.body.length : request.method === "POST" ? 0 : null, this.userAgent));
    let bytes = head;
    if (request.body && request.body.length > 0) {
      // One buffer, one GLib.Bytes, one write: a 48 KB Codex turn is copied once on its way out.
      bytes = new Uint8Array(head.length + request.body.length);
      bytes.set(head);
      bytes.set(request.body, head.length);
    }
    payload = new GLib.Bytes(bytes);
    this.#payloads.set(request, payload);
    return payload;
  }

  /** Writes the request and reads the response head. */
  async #exchange(conn: Connection, method: string, payload: GLib.Bytes, cancellable: Gio.Cancellable): Promise<UpstreamReply> {
    let answered = false;
    try {
      const total = payload.get_size();
      for (let written = 0; written < total;) {
        const part = written === 0 ? payload : payload.new_from_bytes(written, total - written);
        written += (await conn.output.write_bytes_async(part, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as number;
      }
      let buffer: Uint8Array | null = null;
      let searched = 0;
      for (;;) {
        const filled = (await conn.input.fill_async(-1, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as number;
        if (filled <= 0) {
          if (!buffer) throw new StaleConnection("the provider closed the connection before answering");
          throw new HttpProtocolError("connection closed inside the response head");
        }
        answered = true;
        const data = conn.input.peek_buffer();
        conn.input.skip(data.length, null);
        if (buffer) {
          const joined: Uint8Array = new Uint8Array(buffer.length + data.length);
          joined.set(buffer);
          joined.set(data, buffer.length);
          buffer = joined;
        } else buffer = data;
        const end = findHeadEnd(buffer, Math.max(0, searched - 3));
        if (end < 0) {
          if (buffer.length > MAX_HEAD_BYTES) throw new HttpProtocolError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
          searched = buffer.length;
          continue;
        }
        const head = parseResponseHead(new TextDecoder().decode(buffer.subarray(0, end)));
        buffer = buffer.subarray(end);
        searched = 0;
        // Interim answers (100 Continue, 103 Early Hints) precede the real one.
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          if (buffer.length === 0) buffer = null;
          continue;
        }
        const decoder = bodyDecoder(method, head);
        return {
          status: head.status,
          reason: head.reason,
          headers: head.headers,
          stream: new UpstreamBody(this.#pool, conn, decoder, buffer, keepsAlive(head)),
          contentType: (head.headers.get_one("content-type") ?? "").split(";")[0].trim(),
        };
      }
    } catch (e) {
      if (!answered && !(e instanceof StaleConnection) && !cancellable.is_cancelled() && e instanceof GLib.Error &&
        (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.BROKEN_PIPE) || e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED) ||
          /reset by peer/i.test(e.message)))
        throw new StaleConnection(e.message);
      throw e;
    }
  }

  /**
   * Sends with retries before the first byte: 429/502/503/504 (honouring Retry-After, capped) and
   * connection failures. Returns the last reply, which may still be an error status for the caller
   * to report; throws the last UpstreamError when no attempt got an HTTP reply.
   */
  async sendWithRetries(request: UpstreamRequest, policy: RetryPolicy, cancellable: Gio.Cancellable, headersTimeoutMs: number,
    onRetry: (notice: RetryNotice) => void): Promise<UpstreamReply> {
    for (let attempt = 1; ; attempt++) {
      let reply: UpstreamReply | null = null;
      let failure: UpstreamError | null = null;
      try {
        reply = await this.send(request, cancellable, headersTimeoutMs);
      } catch (e) {
        if (!(e instanceof UpstreamError) || e.kind === "client_gone") throw e;
        failure = e;
      }
      if (reply && reply.status < 400) return reply;
      const retryable = failure ? ["connection_refused", "connection_reset", "timeout", "dns"].includes(failure.kind) : true;
      const delay = !retryable ? null : nextRetryDelay(
        reply ? { kind: "status", status: reply.status, retryAfterMs: parseRetryAfter(reply.headers.get_one("Retry-After"), Date.now()) } : { kind: "connect-error" },
        attempt, policy, Math.random());
      if (delay === null) {
        if (reply) return reply;
        throw failure!;
      }
      onRetry({ attempt, maxAttempts: policy.maxAttempts, delayMs: delay, status: reply?.status ?? null,
        reason: reply ? `HTTP ${reply.status} ${statusPhrase(reply.status)}` : failure!.message });
      // An error answer we will not read: its connection is closed rather than drained.
      reply?.stream.release(false);
      if (!(await sleep(delay, cancellable))) throw new UpstreamError("client_gone", "request cancelled while waiting to retry");
    }
  }
}

/**
 * Reads a body one socket read at a time (everything that arrived, chunk framing removed); fails with
 * kind "idle_timeout" when no byte arrives for `idleMs` (a provider that went silent must not hold the
 * stream open forever).
 *
 * One watchdog timer per body, not per read: streams arrive a token at a time, and a GObject
 * cancellable, signal connection and GLib timer per token made the proxy slower with every request
 * until the next full GC.
 */
export class BodyReader {
  #timedOut = false;
  #lastActivityMs = Date.now();
  #watchdog = 0;
  readonly #own = new Gio.Cancellable();
  #link = 0;

  constructor(private readonly body: UpstreamBody, private readonly cancellable: Gio.Cancellable, private readonly idleMs: number) {
    this.#link = cancellable.connect(() => this.#own.cancel());
    if (cancellable.is_cancelled()) this.#own.cancel(); // cancelled before we listened
    const tick = Math.max(50, Math.min(1000, Math.floor(idleMs / 4)));
    this.#watchdog = GLib.timeout_add(GLib.PRIORITY_DEFAULT, tick, () => {
      if (Date.now() - this.#lastActivityMs < this.idleMs) return GLib.SOURCE_CONTINUE;
      this.#timedOut = true;
      // Cancelling the request (not only this read) also ends the provider's connection: the silent
      // connection is closed instead of being kept for reuse.
      this.cancellable.cancel();
      this.#own.cancel();
      this.#watchdog = 0;
      return GLib.SOURCE_REMOVE;
    });
  }

  /** The body bytes of the next socket read (several provider chunks when they arrived together), or null at the end. */
  async next(): Promise<Uint8Array | null> {
    const body = this.body;
    const decoder = body.decoder;
    try {
      for (;;) {
        if (decoder.done) {
          this.#finish(true);
          return null;
        }
        let raw = body.takeLeftover();
        if (!raw) {
          const input = body.input;
          if (!input) throw new HttpProtocolError("the body was already closed");
          const filled = (await input.fill_async(-1, GLib.PRIORITY_DEFAULT, this.#own)) as unknown as number;
          this.#lastActivityMs = Date.now();
          if (filled <= 0) {
            decoder.end(); // throws when the provider hung up before the end of the body
            this.#finish(true);
            return null;
          }
          raw = input.peek_buffer();
          input.skip(raw.length, null);
        }
        const data = decoder.decode(raw);
        // The connection goes back to the pool as soon as its body is complete, before the client (who
        // may send its next request at once) sees the last bytes.
        if (decoder.done) this.#finish(true);
        if (data.length > 0) return data;
      }
    } catch (e) {
      this.#finish(false);
      if (this.#timedOut) throw new UpstreamError("idle_timeout", `upstream timed out: no data for ${Math.round(this.idleMs / 1000)} s (stream idle timeout)`, e);
      if (this.cancellable.is_cancelled()) throw new UpstreamError("client_gone", "stream cancelled: the client went away", e);
      if (e instanceof HttpProtocolError) throw new UpstreamError("stream_error", `stream error: ${e.message}`, e);
      const { kind, message } = classifyGError(e);
      throw new UpstreamError(kind === "other" ? "stream_error" : kind, message, e);
    }
  }

  #finish(completed: boolean): void {
    if (this.#watchdog) GLib.source_remove(this.#watchdog);
    this.#watchdog = 0;
    if (this.#link) this.cancellable.disconnect(this.#link);
    this.#link = 0;
    this.body.release(completed);
  }

  /** The whole remaining body as text, up to `maxBytes` (the rest is dropped). */
  async text(maxBytes: number): Promise<string> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let chunk = await this.next(); chunk; chunk = await this.next()) {
      if (total < maxBytes) parts.push(chunk.subarray(0, maxBytes - total));
      total += chunk.length;
    }
    const joined = new Uint8Array(Math.min(total, maxBytes));
    let offset = 0;
    for (const p of parts) {
      joined.set(p, offset);
      offset += p.length;
    }
    return new TextDecoder().decode(joined);
  }

  /**
   * Ends reading. After the whole body was read the connection is already back in the pool; before
   * that (the client went away, the answer is not wanted) it is closed, which stops the provider.
   */
  close(completed = true): Promise<void> {
    this.#finish(completed && this.body.decoder.done);
    return Promise.resolve();
  }
}
