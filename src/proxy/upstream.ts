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
import { encodeTransient } from "../lib/utf8-encode.js";
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from "./retry-policy.js";

// No Gio._promisify here: gjs 1.74's wrapper runs `new Error()` on every call to keep the caller's
// stack for error messages, and building that stack string cost more than the socket read itself (the
// reads of a stream are its hottest path). These wrappers only resolve or reject.
function fill(input: Gio.BufferedInputStream, priority: number, cancellable: Gio.Cancellable): Promise<number> {
  return new Promise((resolve, reject) => {
    input.fill_async(-1, priority, cancellable, (_source, result) => {
      try {
        resolve(input.fill_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function writeBytes(output: Gio.OutputStream, bytes: GLib.Bytes, cancellable: Gio.Cancellable): Promise<number> {
  return new Promise((resolve, reject) => {
    output.write_bytes_async(bytes, GLib.PRIORITY_DEFAULT, cancellable, (_source, result) => {
      try {
        resolve(output.write_bytes_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function connect(client: Gio.SocketClient, host: string, port: number, cancellable: Gio.Cancellable): Promise<Gio.SocketConnection> {
  return new Promise((resolve, reject) => {
    client.connect_to_host_async(host, port, cancellable, (_source, result) => {
      try {
        resolve(client.connect_to_host_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

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
  /** Text is sent as UTF-8. */
  body?: Uint8Array | string;
  contentType?: string;
}

export interface UpstreamReply {
  status: number;
  reason: string;
  headers: ResponseHeaders;
  /** The reply body, still on its connection: read it with a BodyReader (which returns the connection). */
  stream: UpstreamBody;
  contentType: string;
  /** When this attempt went out: the first-byte bound counts from here. */
  sentAtMs: number;
}

export interface RetryNotice {
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  status: number | null;
  /** The transport failure's kind when there was no HTTP reply (connection_refused, dns, ...). */
  kind: UpstreamErrorKind | null;
  reason: string;
}

/** The retries a request may still spend (its turn's, shared by all of Codex's attempts at it). */
export interface RetryBudget {
  spent(): number;
  spend(): void;
}

/** Upstream connections per scheme+host+port. Codex agents stream in parallel: 64 concurrent streams must
 * not wait for one another (32, libsoup's setting here before, made streams 33–64 wait for a whole answer). */
export const MAX_CONNECTIONS_PER_HOST = 128;
/** Idle pooled connections are closed after this long (as libsoup's idle_timeout did). */
const IDLE_CONNECTION_MS = 60_000;
/** A response head larger than this is not a provider's. */
const MAX_HEAD_BYTES = 64 * 1024;
/**
 * What one read may return: about 35 streamed tokens, more than a fast provider sends between two
 * reads. Each pooled connection keeps this buffer, so it is not larger (after a burst of 64 streams,
 * 64 × 64 KB were megabytes of heap that glibc never gave back).
 */
const READ_BUFFER_BYTES = 8 * 1024;

/**
 * Streamed bodies are read below the main loop's default priority, so that everything a new request
 * needs (libsoup reading it, our upstream request, its response head, the first write to its client)
 * and the writes of chunks already translated go first. Under load this keeps the first byte quick,
 * writes drain before more is read, and reads that wait a little return more tokens at once.
 */
const BODY_READ_PRIORITY = GLib.PRIORITY_HIGH_IDLE;

/** Maps a GLib error from connecting or reading to a kind the logs and the watchdog understand. */
export function classifyGError(error: unknown): { kind: UpstreamErrorKind; message: string } {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof GLib.Error) {
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_REFUSED)) return { kind: "connection_refused", message: `Connection refused: ${message}` };
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT)) return { kind: "timeout", message: `Connection timed out: ${message}` };
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED) || error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.BROKEN_PIPE))
      return { kind: "connection_reset", message: `Connection reset: ${message}` };
    // A connection that closed before the body's end (no last chunk, short of Content-Length): the
    // provider dropped the connection mid-answer.
    if (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PARTIAL_INPUT))
      return { kind: "connection_reset", message: `Connection reset: the provider dropped the connection mid-answer (${message})` };
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

/**
 * The socket's stream is a GSocketOutputStream (or a TLS one), types gjs does not know, so it wraps it
 * as a plain Gio.OutputStream; the interface method is called through the interface itself.
 */
const writeNonblocking = Gio.PollableOutputStream.prototype.write_nonblocking as unknown as
  (this: Gio.OutputStream, buffer: Uint8Array, cancellable: Gio.Cancellable | null) => number;

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
    this.fd = io.get_socket().get_fd();
  }

  readonly fd: number;

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

function keyOf(target: HttpTarget): string {
  return `${target.tls ? "https" : "http"}://${target.authority}`;
}

/** Keep-alive connections per scheme+host+port, at most `maxPerHost` open; beyond that callers queue. */
class ConnectionPool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #open = new Map<string, number>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #clients = new Map<boolean, Gio.SocketClient>();
  #sweeper = 0;

  constructor(readonly maxPerHost: number, readonly idleMs: number) {}

  /** An idle connection that still looks usable, or null. Synchronous: the common case costs no promise. */
  takeIdle(target: HttpTarget): Connection | null {
    const idle = this.#idle.get(keyOf(target));
    while (idle && idle.length > 0) {
      const conn = idle.pop()!; // most recently used first: the likeliest to be alive
      if (Date.now() - conn.idleSinceMs < this.idleMs && conn.usable()) return conn;
      this.#drop(conn);
    }
    return null;
  }

  /** A new connection when the host is below its limit, else waits for one to be released. */
  async open(target: HttpTarget, cancellable: Gio.Cancellable): Promise<{ conn: Connection; reused: boolean }> {
    const key = keyOf(target);
    for (;;) {
      const conn = this.takeIdle(target);
      if (conn) return { conn, reused: true };
      const open = this.#open.get(key) ?? 0;
      if (open < this.maxPerHost) {
        this.#open.set(key, open + 1);
        try {
          const io = await connect(this.#client(target.tls), target.host, target.port, cancellable);
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

  /** The plain socket's descriptor, to watch for readability; -1 for TLS (see BodyReader). */
  get fd(): number {
    const conn = this.#conn;
    return conn && !conn.tls ? conn.fd : -1;
  }

  get hasLeftover(): boolean {
    return this.#leftover !== null;
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

const headEncoder = new TextEncoder();

export class UpstreamClient {
  readonly #pool: ConnectionPool;
  /** The request bytes (head and body in one buffer), built once per request and reused by retries. */
  readonly #payloads = new WeakMap<UpstreamRequest, Uint8Array>();
  readonly #targets = new Map<string, HttpTarget | null>();

  constructor(readonly userAgent: string, maxConnsPerHost = MAX_CONNECTIONS_PER_HOST) {
    this.#pool = new ConnectionPool(maxConnsPerHost, IDLE_CONNECTION_MS);
  }

  #target(url: string): HttpTarget | null {
    let target = this.#targets.get(url);
    if (target === undefined) {
      target = parseHttpUrl(url);
      // Every request goes to the same few URLs; a bounded cache keeps a bad caller from growing it.
      if (this.#targets.size < 64) this.#targets.set(url, target);
    }
    return target;
  }

  /** One attempt. Throws UpstreamError for transport failures; any HTTP status is a reply. */
  async send(request: UpstreamRequest, cancellable: Gio.Cancellable, headersTimeoutMs: number): Promise<UpstreamReply> {
    const target = this.#target(request.url);
    if (!target) throw new UpstreamError("other", `invalid upstream URL: ${request.url}`);
    let payload: Uint8Array;
    try {
      payload = this.#payload(request, target);
    } catch (e) {
      throw new UpstreamError("other", `invalid upstream request: ${(e as Error).message}`, e);
    }
    let timedOut = false;
    const sentAtMs = Date.now();
    const attempt = new Gio.Cancellable();
    const link = cancellable.connect(() => attempt.cancel());
    // A GLib timer, not setTimeout: gjs's setTimeout adds its own JS bookkeeping (≈ 10 µs here) on the
    // path to the first byte.
    let timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, headersTimeoutMs, () => {
      timer = 0;
      timedOut = true;
      attempt.cancel();
      return GLib.SOURCE_REMOVE;
    });
    try {
      // A pooled connection the server closed meanwhile fails before any byte of the answer; the
      // request never reached the model, so it is replayed on another connection (as libsoup did for
      // requests marked idempotent).
      for (let tries = 0; ; tries++) {
        const idle = this.#pool.takeIdle(target);
        const { conn, reused } = idle ? { conn: idle, reused: true } : await this.#pool.open(target, attempt);
        try {
          return await this.#exchange(conn, request.method, payload, attempt, sentAtMs);
        } catch (e) {
          this.#pool.release(conn, false);
          if (e instanceof StaleConnection && reused && tries < 3 && !attempt.is_cancelled()) continue;
          if (e instanceof StaleConnection) throw new UpstreamError("connection_reset", `Connection reset: ${e.message}`, e);
          throw e;
        }
      }
    } catch (e) {
      if (timedOut) throw new UpstreamError("timeout", `provider sent nothing for ${Math.round(headersTimeoutMs / 1000)} s (no response headers)`, e);
      if (cancellable.is_cancelled()) throw new UpstreamError("client_gone", "request cancelled: the client went away", e);
      if (e instanceof UpstreamError) throw e;
      if (e instanceof HttpProtocolError) throw new UpstreamError("other", `invalid HTTP response from the provider: ${e.message}`, e);
      const { kind, message: text } = classifyGError(e);
      throw new UpstreamError(kind, text, e);
    } finally {
      if (timer) GLib.source_remove(timer);
      if (!cancellable.is_cancelled()) cancellable.disconnect(link); // see BodyReader.#finish
    }
  }

  #payload(request: UpstreamRequest, target: HttpTarget): Uint8Array {
    let payload = this.#payloads.get(request);
    if (payload) return payload;
    const headers = { ...request.headers };
    if (request.body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = request.contentType ?? "application/json";
    // A text body is encoded once, into a scratch buffer, only to learn its length for the head.
    const body = typeof request.body === "string" ? encodeTransient(request.body) : request.body;
    const head = formatRequestHead(request.method, target, headers, body ? body.length : request.method === "POST" ? 0 : null, this.userAgent);
    // Head and body in one buffer, one write: a 48 KB Codex turn is copied once on its way out.
    const bytes = new Uint8Array(head.length * 3 + (body?.length ?? 0));
    const written = headEncoder.encodeInto(head, bytes).written!;
    if (body) bytes.set(body, written);
    payload = bytes.subarray(0, written + (body?.length ?? 0));
    this.#payloads.set(request, payload);
    return payload;
  }

  /** Writes the request and reads the response head. */
  async #exchange(conn: Connection, method: string, payload: Uint8Array, cancellable: Gio.Cancellable, sentAtMs: number): Promise<UpstreamReply> {
    let answered = false;
    try {
      // Straight into the socket when it has room (the usual case: no GLib.Bytes, no main-loop round
      // trip before the request is on its way); what does not fit follows asynchronously.
      let written = 0;
      try {
        written = writeNonblocking.call(conn.output, payload, null);
      } catch (e) {
        if (!(e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.WOULD_BLOCK))) throw e;
      }
      if (written < payload.length) {
        const rest = new GLib.Bytes(payload.subarray(written));
        const total = rest.get_size();
        for (let done = 0; done < total;) {
          const part = done === 0 ? rest : rest.new_from_bytes(done, total - done);
          done += await writeBytes(conn.output, part, cancellable);
        }
      }
      let buffer: Uint8Array | null = null;
      let searched = 0;
      for (;;) {
        const filled = await fill(conn.input, GLib.PRIORITY_DEFAULT, cancellable);
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
          sentAtMs,
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
   * Sends with retries before the first byte, as the retry policy allows: a refused or reset
   * connection, and a 429/502/503/504 with a short Retry-After, while the turn's budget lasts
   * (retry-policy.ts). Returns the last reply, which may still be an error status for the caller to
   * report; throws the last UpstreamError when no attempt got an HTTP reply.
   */
  async sendWithRetries(request: UpstreamRequest, policy: RetryPolicy, budget: RetryBudget, cancellable: Gio.Cancellable, headersTimeoutMs: number,
    onRetry: (notice: RetryNotice) => void): Promise<UpstreamReply> {
    for (;;) {
      let reply: UpstreamReply | null = null;
      let failure: UpstreamError | null = null;
      try {
        reply = await this.send(request, cancellable, headersTimeoutMs);
      } catch (e) {
        if (!(e instanceof UpstreamError) || e.kind === "client_gone") throw e;
        failure = e;
      }
      if (reply && reply.status < 400) return reply;
      const spent = budget.spent();
      const delay = nextRetryDelay(
        reply ? { kind: "status", status: reply.status, retryAfterMs: parseRetryAfter(reply.headers.get_one("Retry-After"), Date.now()) }
          : { kind: "connect-error", failure: failure!.kind },
        spent, policy, Math.random());
      if (delay === null) {
        if (reply) return reply;
        throw failure!;
      }
      budget.spend();
      onRetry({ attempt: spent + 1, maxAttempts: policy.turnBudget + 1, delayMs: delay, status: reply?.status ?? null, kind: failure?.kind ?? null,
        reason: reply ? `HTTP ${reply.status} ${statusPhrase(reply.status)}` : failure!.message });
      // An error answer we will not read: its connection is closed rather than drained.
      reply?.stream.release(false);
      if (!(await sleep(delay, cancellable))) throw new UpstreamError("client_gone", "request cancelled while waiting to retry");
    }
  }
}

/** Receives the body bytes of one socket read; a returned promise pauses reading until it settles. */
export type ChunkHandler = (data: Uint8Array) => Promise<void> | undefined | void;

/** Where a read delivers: false from `data` stops reading after this delivery. */
interface Sink {
  data(data: Uint8Array): boolean;
  end(): void;
  fail(error: unknown): void;
}

/**
 * Reads a body one socket read at a time (everything that arrived, chunk framing removed); fails with
 * kind "idle_timeout" when no byte arrives for `idleMs` (a provider that went silent must not hold the
 * stream open forever).
 *
 * On a plain connection, a streamed body is read from one main-loop watch on the socket that lives as
 * long as the body: each time the socket is readable, one synchronous read takes what arrived (the
 * socket has data, so it does not block) and hands it over, all within a single JS callback. An async
 * read per chunk instead made a GTask, a GSource with its poll entries and a promise job per read, and
 * GLib wakes its own main loop (an eventfd write) for each of those. TLS connections keep async reads:
 * a readable socket does not mean a whole TLS record arrived.
 *
 * One watchdog timer per body, not per read: streams arrive a token at a time, and a GObject
 * cancellable, signal connection and GLib timer per token made the proxy slower with every request
 * until the next full GC.
 */
export class BodyReader {
  #timedOut = false;
  #lastActivityMs = Date.now();
  /** Until the first byte: how long the provider may think before it says anything (null: idleMs). */
  #firstByteMs: number | null = null;
  #gotByte = false;
  #watchdog = 0;
  readonly #own = new Gio.Cancellable();
  #link = 0;
  #watch = 0;
  #sink: Sink | null = null;

  constructor(private readonly body: UpstreamBody, private readonly cancellable: Gio.Cancellable, private readonly idleMs: number) {
    this.#link = cancellable.connect(() => this.#own.cancel());
    // A read waiting on the socket watch has no GIO operation to cancel: stop it here.
    this.#own.connect(() => this.#onCancelled());
    if (cancellable.is_cancelled()) this.#own.cancel(); // cancelled before we listened
    const tick = Math.max(50, Math.min(1000, Math.floor(idleMs / 4)));
    this.#watchdog = GLib.timeout_add(GLib.PRIORITY_DEFAULT, tick, () => {
      if (Date.now() - this.#lastActivityMs < this.#boundMs) return GLib.SOURCE_CONTINUE;
      this.#timedOut = true;
      // Cancelling the request (not only this read) also ends the provider's connection: the silent
      // connection is closed instead of being kept for reuse.
      this.#watchdog = 0;
      this.cancellable.cancel();
      this.#own.cancel();
      return GLib.SOURCE_REMOVE;
    });
  }

  /**
   * Gives the first byte `ms` counted from `sinceMs` (when the request went out), instead of the idle
   * bound: a model may think longer before its first token than it pauses between tokens. The timer's
   * tick stays the idle bound's. Bytes that came with the response head count as the first byte.
   */
  expectFirstByteWithin(ms: number, sinceMs = Date.now()): void {
    if (this.#gotByte || this.body.hasLeftover) return;
    this.#firstByteMs = ms;
    this.#lastActivityMs = sinceMs;
  }

  get #boundMs(): number {
    return !this.#gotByte && this.#firstByteMs !== null ? this.#firstByteMs : this.idleMs;
  }

  /** The body bytes of the next socket read (several provider chunks when they arrived together), or null at the end. */
  next(): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => this.#start({ data: (d) => (resolve(d), false), end: () => resolve(null), fail: reject }));
  }

  /**
   * Hands every read to `handler` as it arrives, and resolves at the end of the body. No promise or
   * main-loop round trip per read: the handler runs inside the socket's callback, and only a promise
   * it returns (a slow client) pauses the reading.
   */
  stream(handler: ChunkHandler): Promise<void> {
    return new Promise((resolve, reject) => {
      const sink: Sink = {
        data: (data) => {
          const wait = handler(data);
          if (!wait) return true;
          wait.then(() => this.#start(sink), (e) => this.#abort(sink, e));
          return false;
        },
        end: resolve,
        fail: reject,
      };
      if (!this.body.hasLeftover) {
        this.#start(sink);
        return;
      }
      // Bytes that came with the response head wait for one main-loop turn: whatever the caller just
      // wrote (the response head and first events to its client) goes out before they are translated.
      GLib.idle_add(BODY_READ_PRIORITY, () => {
        this.#start(sink);
        return GLib.SOURCE_REMOVE;
      });
    });
  }

  #start(sink: Sink): void {
    const body = this.body;
    try {
      for (let raw = body.takeLeftover(); raw; raw = body.takeLeftover()) {
        if (!this.#deliver(sink, this.#decode(raw))) return;
      }
      if (body.decoder.done) {
        this.#finish(true);
        sink.end();
        return;
      }
      if (this.#own.is_cancelled()) throw new Error("cancelled");
      const input = body.input;
      const fd = body.fd;
      if (!input) throw new HttpProtocolError("the body was already closed");
      this.#sink = sink;
      if (fd < 0) {
        this.#readAsync(sink, input);
        return;
      }
      this.#watch = GLib.unix_fd_add_full(BODY_READ_PRIORITY, fd, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
        () => this.#onReadable(sink, input));
      // GLib takes a source's poll entries out and back in around every dispatch, waking its own loop
      // (two eventfd writes) each time, unless the source may recurse. Ours never runs a nested loop.
      GLib.MainContext.default().find_source_by_id(this.#watch)?.set_can_recurse(true);
    } catch (e) {
      this.#fail(sink, e);
    }
  }

  /** The socket is readable: take what arrived, synchronously (it is there, so the read cannot block). */
  #onReadable(sink: Sink, input: Gio.BufferedInputStream): boolean {
    if (this.#sink !== sink) return GLib.SOURCE_REMOVE;
    try {
      const filled = input.fill(-1, null);
      this.#lastActivityMs = Date.now();
      this.#gotByte = true;
      if (filled <= 0) {
        this.#watch = 0;
        this.#ended(sink);
        return GLib.SOURCE_REMOVE;
      }
      const raw = input.peek_buffer();
      input.skip(raw.length, null);
      const keep = this.#deliver(sink, this.#decode(raw));
      if (keep && !this.body.decoder.done) return GLib.SOURCE_CONTINUE;
      this.#watch = 0;
      // At the end of the body: done, unless the sink paused (it comes back to #start, which ends it).
      if (keep && this.#sink === sink) {
        this.#sink = null;
        sink.end();
      }
      return GLib.SOURCE_REMOVE;
    } catch (e) {
      this.#watch = 0;
      this.#fail(sink, e);
      return GLib.SOURCE_REMOVE;
    }
  }

  #readAsync(sink: Sink, input: Gio.BufferedInputStream): void {
    input.fill_async(-1, BODY_READ_PRIORITY, this.#own, (_source, result) => {
      try {
        const filled = input.fill_finish(result);
        this.#lastActivityMs = Date.now();
        this.#gotByte = true;
        if (filled <= 0) {
          this.#ended(sink);
          return;
        }
        const raw = input.peek_buffer();
        input.skip(raw.length, null);
        if (!this.#deliver(sink, this.#decode(raw))) return;
        if (this.body.decoder.done) {
          this.#sink = null;
          sink.end();
        } else this.#readAsync(sink, input);
      } catch (e) {
        this.#fail(sink, e);
      }
    });
  }

  /** Hands data over; false when the sink wants no more now (it re-starts reading itself). */
  #deliver(sink: Sink, data: Uint8Array): boolean {
    if (data.length === 0) return true; // only framing in this read: read on
    let more: boolean;
    try {
      more = sink.data(data);
    } catch (e) {
      // The handler's own failure (e.g. an oversized SSE message) ends the body as it is: the
      // connection is closed and the error goes to the caller unchanged.
      this.#abort(sink, e);
      return false;
    }
    if (!more && this.#sink === sink) this.#stopWatch();
    return more;
  }

  /** The connection ended. */
  #ended(sink: Sink): void {
    try {
      this.body.decoder.end(); // throws when the provider hung up before the end of the body
    } catch (e) {
      // The provider dropped the connection mid-answer: a reset, as the watchdog and /monitoring see it.
      this.#fail(sink, e instanceof HttpProtocolError
        ? new UpstreamError("connection_reset", `Connection reset: the provider dropped the connection mid-answer (${e.message})`, e) : e);
      return;
    }
    this.#finish(true);
    this.#sink = null;
    sink.end();
  }

  #decode(raw: Uint8Array): Uint8Array {
    const data = this.body.decoder.decode(raw);
    // The connection goes back to the pool as soon as its body is complete, before the client (who
    // may send its next request at once) sees the last bytes.
    if (this.body.decoder.done) this.#finish(true);
    return data;
  }

  #onCancelled(): void {
    const sink = this.#sink;
    if (!sink || !this.#watch) return; // an async read fails by itself; nothing is waiting otherwise
    this.#fail(sink, new Error("cancelled"));
  }

  #fail(sink: Sink, e: unknown): void {
    this.#stopWatch();
    this.#sink = null;
    this.#finish(false);
    sink.fail(this.#failure(e));
  }

  #abort(sink: Sink, e: unknown): void {
    this.#stopWatch();
    this.#sink = null;
    this.#finish(false);
    sink.fail(e);
  }

  #stopWatch(): void {
    if (this.#watch) GLib.source_remove(this.#watch);
    this.#watch = 0;
  }

  #failure(e: unknown): UpstreamError {
    if (e instanceof UpstreamError) return e;
    if (this.#timedOut) {
      const first = !this.#gotByte && this.#firstByteMs !== null;
      return new UpstreamError(first ? "first_byte_timeout" : "idle_timeout",
        `provider sent nothing for ${Math.round(this.#boundMs / 1000)} s (${first ? "first byte timeout" : "stream idle timeout"})`, e);
    }
    if (this.cancellable.is_cancelled() || this.#own.is_cancelled()) return new UpstreamError("client_gone", "stream cancelled: the client went away", e);
    if (e instanceof HttpProtocolError) return new UpstreamError("stream_error", `stream error: ${e.message}`, e);
    const { kind, message } = classifyGError(e);
    return new UpstreamError(kind === "other" ? "stream_error" : kind, message, e);
  }

  #finish(completed: boolean): void {
    if (this.#watchdog) GLib.source_remove(this.#watchdog);
    this.#watchdog = 0;
    // Not when cancelled: we may be inside that cancellable's own "cancelled" emission (it cancels
    // #own, whose handler ends the read), and g_cancellable_disconnect() there waits for the emission
    // to finish — forever. A cancelled cancellable never fires again, so the handler can stay.
    if (this.#link && !this.cancellable.is_cancelled()) this.cancellable.disconnect(this.#link);
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
    this.#stopWatch();
    this.#sink = null;
    this.#finish(completed && this.body.decoder.done);
    return Promise.resolve();
  }
}
