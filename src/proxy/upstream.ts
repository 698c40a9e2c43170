// Talking to the provider: one pooled Soup.Session, retries before the first byte, idle timeouts.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { statusPhrase } from "./errors.js";
import type { UpstreamErrorKind } from "./metrics.js";
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from "./retry-policy.js";

Gio._promisify(Soup.Session.prototype, "send_async", "send_finish");
Gio._promisify(Gio.BufferedInputStream.prototype, "fill_async", "fill_finish");
Gio._promisify(Gio.InputStream.prototype, "close_async", "close_finish");

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
  headers: Soup.MessageHeaders;
  stream: Gio.InputStream;
  contentType: string;
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

export class UpstreamClient {
  readonly session: Soup.Session;

  constructor(readonly userAgent: string, maxConnsPerHost = 32) {
    // Our own idle/headers timers replace Soup's single I/O timeout, which would cut long silent
    // stretches of a healthy stream; idle pooled connections are dropped after a minute.
    this.session = new Soup.Session({ max_conns: maxConnsPerHost * 4, max_conns_per_host: maxConnsPerHost, timeout: 0, idle_timeout: 60 });
  }

  /** One attempt. Throws UpstreamError for transport failures; any HTTP status is a reply. */
  async send(request: UpstreamRequest, cancellable: Gio.Cancellable, headersTimeoutMs: number): Promise<UpstreamReply> {
    const message = Soup.Message.new(request.method, request.url);
    if (!message) throw new UpstreamError("other", `invalid upstream URL: ${request.url}`);
    // libsoup opens a new connection for every POST unless told the request may be replayed; a model
    // request that met a stale pooled connection never reached the model, so replaying it is safe.
    message.set_flags(Soup.MessageFlags.IDEMPOTENT);
    const headers = message.get_request_headers();
    // Set per request, not on the session: a session-wide user agent would replace a provider's own
    // (Antigravity's requests must name their client).
    headers.replace("User-Agent", this.userAgent);
    for (const [name, value] of Object.entries(request.headers)) headers.replace(name, value);
    if (request.body) message.set_request_body_from_bytes(request.contentType ?? "application/json", new GLib.Bytes(request.body));
    let timedOut = false;
    const attempt = new Gio.Cancellable();
    // The link outlives this call on purpose: cancelling the request later (the client went away
    // mid-stream) must cancel the libsoup message itself, which closes the upstream connection,
    // not only our pending read.
    cancellable.connect(() => attempt.cancel());
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.cancel();
    }, headersTimeoutMs);
    try {
      const stream = (await this.session.send_async(message, GLib.PRIORITY_DEFAULT, attempt)) as unknown as Gio.InputStream;
      const responseHeaders = message.get_response_headers();
      return {
        // get_status() throws in gjs for codes missing from the Soup.Status enum (429 on libsoup 3.2).
        status: message.status_code,
        reason: message.get_reason_phrase() ?? "",
        headers: responseHeaders,
        stream,
        contentType: responseHeaders.get_content_type()[0] ?? "",
      };
    } catch (e) {
      if (timedOut) throw new UpstreamError("timeout", `upstream timed out: no response headers within ${Math.round(headersTimeoutMs / 1000)} s`, e);
      if (cancellable.is_cancelled()) throw new UpstreamError("client_gone", "request cancelled: the client went away", e);
      const { kind, message: text } = classifyGError(e);
      throw new UpstreamError(kind, text, e);
    } finally {
      clearTimeout(timer);
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
      // A provider that took the whole header timeout is not asked again here: Codex retries the turn
      // itself, and retrying in both places multiplies the silence the user waits through.
      const retryable = failure ? ["connection_refused", "connection_reset", "dns"].includes(failure.kind) : true;
      const delay = !retryable ? null : nextRetryDelay(
        reply ? { kind: "status", status: reply.status, retryAfterMs: parseRetryAfter(reply.headers.get_one("Retry-After"), Date.now()) } : { kind: "connect-error" },
        attempt, policy, Math.random());
      if (delay === null) {
        if (reply) return reply;
        throw failure!;
      }
      onRetry({ attempt, maxAttempts: policy.maxAttempts, delayMs: delay, status: reply?.status ?? null, kind: failure?.kind ?? null,
        reason: reply ? `HTTP ${reply.status} ${statusPhrase(reply.status)}` : failure!.message });
      if (reply) await discard(reply.stream);
      if (!(await sleep(delay, cancellable))) throw new UpstreamError("client_gone", "request cancelled while waiting to retry");
    }
  }
}

async function discard(stream: Gio.InputStream): Promise<void> {
  try {
    await stream.close_async(GLib.PRIORITY_DEFAULT, null);
  } catch {
    // The connection is dropped either way; nothing to report for a body we chose not to read.
  }
}

/**
 * Reads a body chunk by chunk; fails with kind "idle_timeout" when no byte arrives for `idleMs`
 * (a provider that went silent must not hold the stream open forever).
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
  readonly #buffered: Gio.BufferedInputStream;

  constructor(private readonly stream: Gio.InputStream, private readonly cancellable: Gio.Cancellable, private readonly idleMs: number,
    chunkSize = 65536) {
    // Not read_bytes_async: in gjs 1.74 every GBytes it returns stays allocated (about 4 KB lost per
    // read, megabytes per streamed answer). Filling a buffered stream and copying out with
    // peek_buffer() holds memory flat.
    this.#buffered = new Gio.BufferedInputStream({ base_stream: stream, close_base_stream: true, buffer_size: chunkSize });
    this.#link = cancellable.connect(() => this.#own.cancel());
    const tick = Math.max(50, Math.min(1000, Math.floor(idleMs / 4)));
    this.#watchdog = GLib.timeout_add(GLib.PRIORITY_DEFAULT, tick, () => {
      if (Date.now() - this.#lastActivityMs < this.idleMs) return GLib.SOURCE_CONTINUE;
      this.#timedOut = true;
      // Cancelling the request (not only this read) aborts the libsoup message: the silent
      // connection is closed instead of being kept for reuse.
      this.cancellable.cancel();
      this.#own.cancel();
      this.#watchdog = 0;
      return GLib.SOURCE_REMOVE;
    });
  }

  async next(): Promise<Uint8Array | null> {
    try {
      const filled = (await this.#buffered.fill_async(-1, GLib.PRIORITY_DEFAULT, this.#own)) as unknown as number;
      this.#lastActivityMs = Date.now();
      if (filled > 0) {
        const data = this.#buffered.peek_buffer();
        this.#buffered.skip(data.length, null);
        if (data.length > 0) return data;
      }
      this.#stopWatchdog();
      return null;
    } catch (e) {
      this.#stopWatchdog();
      if (this.#timedOut) throw new UpstreamError("idle_timeout", `upstream timed out: no data for ${Math.round(this.idleMs / 1000)} s (stream idle timeout)`, e);
      if (this.cancellable.is_cancelled() && !this.#timedOut) throw new UpstreamError("client_gone", "stream cancelled: the client went away", e);
      const { kind, message } = classifyGError(e);
      throw new UpstreamError(kind === "other" ? "stream_error" : kind, message, e);
    }
  }

  #stopWatchdog(): void {
    if (this.#watchdog) GLib.source_remove(this.#watchdog);
    this.#watchdog = 0;
    if (this.#link) this.cancellable.disconnect(this.#link);
    this.#link = 0;
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
   * After the whole body was read: closing returns the connection to the pool. Not after an abort:
   * libsoup's close reads the rest of the body to keep the connection, which would keep a stream the
   * client no longer wants flowing; the cancelled message closes the connection instead.
   */
  close(completed = true): Promise<void> {
    this.#stopWatchdog();
    return completed ? discard(this.#buffered) : Promise.resolve();
  }
}
