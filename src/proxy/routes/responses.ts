// POST /v1/responses: parse, translate, call the provider (with retries), stream the answer back.
import Gio from "gi://Gio";
import Soup from "gi://Soup?version=3.0";
import type { GcScheduler } from "../../lib/gc-scheduler.js";
import { randomId } from "../../lib/ids.js";
import { Utf8StreamDecoder } from "../../lib/utf8-stream.js";
import type { LogFile } from "../../lib/log-file.js";
import { redactSecrets } from "../../lib/redact.js";
import { withSecretQuery } from "../../lib/url-secrets.js";
import { describeUpstreamError } from "../errors.js";
import { sendError, sendJson } from "../http.js";
import { DEFAULT_MAX_DEPTH, parseResponsesBody } from "../intake.js";
import { applyReasoning, type ReasoningSetting } from "../../lib/reasoning.js";
import { FAILURE_KINDS, formatLogLine, type FailureKind } from "../log-lines.js";
import type { ProxyMetrics } from "../metrics.js";
import type { ResponseStore } from "../response-store.js";
import type { InputItem } from "../responses/types.js";
import type { RetryPolicy } from "../retry-policy.js";
import { formatSse, JsonLinesParser, SseOverflowError, SseParser } from "../sse.js";
import { StreamingResponse } from "../sse-writer.js";
import { AdapterError, joinUrl, TranslationError, type BackendAdapter, type ReplyTranslator, type ResponsesEvent, type RetryAfterError, type StreamFraming, type UpstreamCall } from "../translate/contract.js";
import { BodyReader, UpstreamClient, UpstreamError, type UpstreamReply } from "../upstream.js";

export interface ResponsesRouteDeps {
  adapter: BackendAdapter;
  /** The backend's own headers with the provider key (empty when the proxy holds no key). */
  providerHeaders: Record<string, string>;
  /** The request body as the server read it (bounded). */
  readBody: (msg: Soup.ServerMessage) => Uint8Array;
  /** Literal secrets (provider key, client token, URL credentials) kept out of every answer and line. */
  secrets: readonly string[];
  /** Credentials taken out of the target URL, put back on each upstream request. */
  targetSecrets: { basicAuth: string | null; secretQuery: readonly [string, string][] };
  /** A client token guards the proxy: the client's Authorization is that token and never goes upstream. */
  clientTokenRequired: boolean;
  upstream: UpstreamClient;
  targetUrl: string;
  apiKey: string;
  store: ResponseStore;
  metrics: ProxyMetrics;
  log: LogFile;
  retryPolicy: RetryPolicy;
  /** Mutable: the watchdog may raise it at run time (POST /admin/idle-timeout) instead of a restart. */
  idleTimeoutMs: number;
  maxBodyBytes: number;
  maxStreamBufferBytes: number;
  /** Called around each request so /health can report live streams. */
  onStreamCount: (delta: number) => void;
  gc: GcScheduler;
  /** Replaces the requested model (set after the watchdog switched provider). */
  forceModel?: string;
  /** The endpoint's reasoning setting, applied to every request before translation. */
  reasoning?: ReasoningSetting;
}

const MAX_ERROR_BODY = 1024 * 1024;

type SendResult =
  | { kind: "reply"; call: UpstreamCall; reply: UpstreamReply }
  | { kind: "failed"; status: number; message: string; code: string | null; headers: Record<string, string> }
  | { kind: "client_gone" };
/** Parameter adjustments after a 400/422 (the original's ErrorAnalyzer allowed 2). */
const MAX_ADJUSTMENTS = 2;

export class ResponsesRoute {
  readonly #loggedNotes = new Set<string>();

  constructor(private readonly deps: ResponsesRouteDeps) {}

  get idleTimeoutS(): number {
    return Math.round(this.deps.idleTimeoutMs / 1000);
  }

  /** Raises (or lowers) the upstream silence bound for requests that start from now on. */
  set idleTimeoutS(seconds: number) {
    this.deps.idleTimeoutMs = seconds * 1000;
  }

  /** Keys, tokens and URL credentials out of text that leaves the proxy (answers, logs, /monitoring). */
  #redact(text: string): string {
    return redactSecrets(text, this.deps.secrets);
  }

  handle(msg: Soup.ServerMessage): void {
    msg.pause();
    const started = Date.now();
    const id = randomId("req", 12);
    this.#serve(msg, id, started).finally(() => this.deps.gc.workDone()).catch((e) => {
      // A bug must cost one request, never the process.
      this.deps.log.write(formatLogLine(id, "internal_error", {}, { message: this.#redact(String((e as Error)?.stack ?? e)) }));
      try {
        sendError(msg, 500, `internal proxy error: ${(e as Error).message}`);
        msg.unpause();
      } catch {
        // The response was already under way; the client sees the connection end.
      }
    });
  }

  async #serve(msg: Soup.ServerMessage, id: string, started: number): Promise<void> {
    const { deps } = this;
    const path = msg.get_uri().get_path();
    /** `upstream`: the provider's failure was already logged in detail (its own typed line); this is the
     * summary. Anything else is the client's error, logged as `refused`: never a proxy fault. */
    const reply = (status: number, message: string, code: string | null = null, headers: Record<string, string> = {}, upstream = false) => {
      sendError(msg, status, message, code, { "x-request-id": id, ...headers });
      msg.unpause();
      deps.metrics.recordRequest(status, Date.now() - started, null, Date.now());
      deps.log.write(upstream
        ? formatLogLine(id, "request", { method: "POST", path, backend: deps.adapter.name, status, outcome: "failed", dur_ms: Date.now() - started }, { code })
        : formatLogLine(id, "refused", { method: "POST", path, status, code }, { message }));
    };

    const intake = parseResponsesBody(deps.readBody(msg), { maxBodyBytes: deps.maxBodyBytes, maxDepth: DEFAULT_MAX_DEPTH }, deps.forceModel);
    if (!intake.ok) return reply(intake.status, intake.message, intake.code);
    const request = intake.request;
    applyReasoning(request, deps.reasoning);
    let input: InputItem[] = intake.input;
    if (typeof request.previous_response_id === "string") {
      const history = deps.store.history(request.previous_response_id, Date.now());
      if (!history) return reply(400, `previous response '${request.previous_response_id}' was not found or has expired`, "previous_response_not_found");
      input = [...history, ...input];
    }
    const stream = request.stream === true;
    let call: UpstreamCall;
    try {
      call = await deps.adapter.prepare(request, input, stream);
    } catch (e) {
      if (e instanceof TranslationError) return reply(400, e.message, "invalid_request");
      // The request passed validation but a translator still could not read it: still the request's
      // shape, so the client gets a 400 (and the proxy logs the detail for us to fix).
      if (e instanceof TypeError || e instanceof RangeError) {
        deps.log.write(formatLogLine(id, "internal_error", { during: "translation" }, { message: this.#redact(String(e.stack ?? e)) }));
        return reply(400, `the request could not be translated for ${deps.adapter.name}: ${e.message}`, "invalid_request");
      }
      if (e instanceof AdapterError) {
        // Logged once here in full (the watchdog reads its typed code, e.g. E4 for an expired login).
        deps.log.write(formatLogLine(id, "adapter_error", { code: e.code, status: e.status }, { message: this.#redact(e.message) }));
        return reply(e.status, e.message, e.code, {}, true);
      }
      throw e;
    }
    for (const note of call.notes) {
      if (this.#loggedNotes.size < 1000 && !this.#loggedNotes.has(note)) {
        this.#loggedNotes.add(note);
        deps.log.write(formatLogLine(null, "translate_note", {}, { note }));
      }
    }
    if (!deps.targetUrl) return reply(503, "the proxy has no upstream configured (--target-url)", "no_upstream");

    const cancellable = new Gio.Cancellable();
    const disconnected = msg.connect("disconnected", () => cancellable.cancel());
    // With a client token, the client's Authorization is that token: it never goes to the provider.
    const clientAuth = deps.clientTokenRequired ? null : msg.get_request_headers().get_one("Authorization");
    const sent = await this.#send(id, call, stream, clientAuth, cancellable);
    if (sent.kind !== "reply") {
      msg.disconnect(disconnected);
      if (sent.kind === "client_gone") return;
      return reply(sent.status, sent.message, sent.code, sent.headers, true);
    }
    call = sent.call;
    const upstreamReply = sent.reply;
    const translator = call.translator();
    deps.metrics.activeStreams++;
    deps.onStreamCount(1);
    let ttfbMs: number | null = null;
    let status = 200;
    let outcome = "completed";
    try {
      if (stream) {
        const out = new StreamingResponse(msg, deps.maxStreamBufferBytes);
        out.begin("text/event-stream", { "x-request-id": id });
        out.onClose(() => cancellable.cancel());
        const emit = async (events: ResponsesEvent[]) => {
          if (events.length === 0) return;
          if (ttfbMs === null) ttfbMs = Date.now() - started;
          await out.write(events.map((e) => formatSse(e.type, e)).join(""));
        };
        outcome = await this.#pumpAll(id, call, upstreamReply, translator, stream, clientAuth, cancellable, emit);
        if (out.closed && outcome !== "completed") outcome = "client_gone";
        out.end();
      } else {
        outcome = await this.#pumpAll(id, call, upstreamReply, translator, stream, clientAuth, cancellable, async () => {});
        const response = translator.response;
        status = response.status === "failed" ? 502 : 200;
        if (status === 200) sendJson(msg, 200, response, { "x-request-id": id });
        else sendError(msg, 502, response.error?.message ?? "upstream failed", response.error?.code ?? null, { "x-request-id": id });
        ttfbMs = Date.now() - started;
        msg.unpause();
      }
    } finally {
      msg.disconnect(disconnected);
      deps.metrics.activeStreams--;
      deps.onStreamCount(-1);
    }

    const response = translator.response;
    const usage = response.usage;
    if (usage) deps.metrics.recordTokens(usage.input_tokens, usage.output_tokens);
    if (request.store !== false && response.status === "completed") deps.store.put(response, input, Date.now());
    deps.metrics.recordRequest(status, Date.now() - started, ttfbMs, Date.now());
    deps.log.write(formatLogLine(id, "request", { method: "POST", path, backend: deps.adapter.name, stream, status, outcome,
      dur_ms: Date.now() - started, ttfb_ms: ttfbMs, tokens_in: usage?.input_tokens ?? 0, tokens_out: usage?.output_tokens ?? 0,
      items: response.output.map((o) => o.type).join(",") || null }, { model: request.model }));
  }

  /**
   * Sends one upstream call with the retry policy (before the first byte) and the adapter's own
   * adjustments after an error it understands (a rejected optional parameter, a stale access token).
   */
  async #send(id: string, first: UpstreamCall, stream: boolean, clientAuth: string | null, cancellable: Gio.Cancellable): Promise<SendResult> {
    const { deps } = this;
    let call = first;
    for (let adjustments = 0; ; adjustments++) {
      const headers: Record<string, string> = { "Content-Type": "application/json", Accept: stream ? "text/event-stream" : "application/json",
        ...call.headers, ...deps.providerHeaders };
      if (deps.targetSecrets.basicAuth && !headers.Authorization) headers.Authorization = deps.targetSecrets.basicAuth;
      // No key here and none from the adapter (a login's access token): the client's own is the key.
      if (!deps.apiKey && clientAuth && !call.headers?.Authorization) headers.Authorization = clientAuth;
      let upstreamReply: UpstreamReply;
      try {
        upstreamReply = await deps.upstream.sendWithRetries(
          { method: "POST", url: call.url ?? withSecretQuery(joinUrl(deps.targetUrl, call.path), deps.targetSecrets.secretQuery), headers,
            body: new TextEncoder().encode(JSON.stringify(call.body)) },
          deps.retryPolicy, cancellable, deps.idleTimeoutMs,
          (n) => deps.log.write(formatLogLine(id, "upstream_retry", { kind: n.status === null ? failureKind(n.kind ?? "other") : httpKind(n.status), status: n.status,
            attempt: n.attempt, of: n.maxAttempts - 1, delay_s: Number((n.delayMs / 1000).toFixed(1)) }, { detail: this.#redact(n.reason) })));
      } catch (e) {
        if (!(e instanceof UpstreamError)) throw e;
        const message = this.#redact(e.message);
        deps.metrics.recordUpstreamError(e.kind, message, Date.now());
        if (e.kind === "client_gone") {
          deps.log.write(formatLogLine(id, "client_gone", { where: "before_reply" }));
          return { kind: "client_gone" };
        }
        deps.log.write(formatLogLine(id, "upstream_error", { kind: failureKind(e.kind) }, { message }));
        return { kind: "failed", status: e.kind === "timeout" ? 504 : 502, message: `upstream unreachable: ${message}`, code: e.kind, headers: {} };
      }
      if (upstreamReply.status < 400) return { kind: "reply", call, reply: upstreamReply };

      const text = await new BodyReader(upstreamReply.stream, cancellable, deps.idleTimeoutMs).text(MAX_ERROR_BODY).catch(() => "");
      const described = describeUpstreamError(upstreamReply.status, text);
      // A provider's error body can echo the key back: redacted before it reaches anyone.
      const code = described.code === null ? null : this.#redact(described.code);
      const status = upstreamReply.status;
      let adjusted: RetryAfterError | null;
      try {
        adjusted = adjustments < MAX_ADJUSTMENTS ? (await call.retryAfterError?.(status, described.message)) ?? null : null;
      } catch (e) {
        if (!(e instanceof AdapterError)) throw e;
        // The adjustment itself failed (the access token could not be renewed): that, not the 401, is the news.
        deps.log.write(formatLogLine(id, "adapter_error", { code: e.code, status: e.status }, { message: this.#redact(e.message) }));
        return { kind: "failed", status: e.status, message: e.message, code: e.code, headers: {} };
      }
      if (adjusted) {
        // The adapter understood the error (an optional parameter the provider does not take, a stale
        // token): the adjusted call goes out once more.
        deps.log.write(formatLogLine(id, "adjusted", { status, dropped: adjusted.dropped.join(",") || null },
          { reason: adjusted.reason ?? (adjusted.dropped.length ? "the provider rejected optional parameters; retrying without them" : "adjusted") }));
        call = adjusted.call;
        continue;
      }
      // The adapter may know what the error means for its provider (and says it in the log line too).
      const message = this.#redact(call.explainError?.(status, described.message, code) ?? described.message);
      deps.metrics.recordUpstreamError(status === 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx", message, Date.now());
      deps.log.write(formatLogLine(id, "upstream_error", { kind: httpKind(status), status }, { code, message }));
      const retryAfter = upstreamReply.headers.get_one("Retry-After");
      return { kind: "failed", status, message: `upstream HTTP ${status}: ${message}`, code, headers: status === 429 && retryAfter ? { "Retry-After": retryAfter } : {} };
    }
  }

  /**
   * Pumps a reply into the translator, then the follow-ups the translator asks for (continuation()),
   * each sent like the first; returns how the response ended.
   */
  async #pumpAll(id: string, call: UpstreamCall, reply: UpstreamReply, translator: ReplyTranslator, stream: boolean, clientAuth: string | null,
    cancellable: Gio.Cancellable, emit: (events: ResponsesEvent[]) => Promise<void>): Promise<string> {
    await emit(translator.start());
    let outcome = await this.#pump(id, reply, call.framing ?? "sse", translator, cancellable, emit);
    for (let next = translator.ended ? null : translator.continuation?.() ?? null; next; next = translator.ended ? null : translator.continuation?.() ?? null) {
      this.deps.log.write(formatLogLine(id, "continuation"));
      const sent = await this.#send(id, next, stream, clientAuth, cancellable);
      if (sent.kind === "client_gone") return "client_gone";
      if (sent.kind === "failed") {
        await emit(translator.fail("upstream_error", sent.message));
        return "failed";
      }
      outcome = await this.#pump(id, sent.reply, sent.call.framing ?? "sse", translator, cancellable, emit);
    }
    if (!translator.ended) {
      // A translator that kept the response open but asked for nothing more: end it as it stands.
      await emit(translator.fail("stream_incomplete", "the answer was left unfinished"));
      return "failed";
    }
    return outcome;
  }

  /** Reads one provider reply into the translator; returns how it ended. */
  async #pump(id: string, reply: UpstreamReply, framing: StreamFraming, translator: ReplyTranslator, cancellable: Gio.Cancellable,
    emit: (events: ResponsesEvent[]) => Promise<void>): Promise<string> {
    const { deps } = this;
    const reader = new BodyReader(reply.stream, cancellable, deps.idleTimeoutMs);
    const decoder = new Utf8StreamDecoder();
    /** A stream that ends without its end marker ([DONE], response.completed) was cut short. */
    let cleanEnd = true;
    /** The body was read to its end (so the connection can go back to the pool). */
    let drained = false;
    try {
      // JSON-lines providers are read line by line whatever they call their content type
      // (application/x-ndjson, text/plain, even application/json for a one-line reply).
      if (framing !== "json-lines" && !/event-stream/i.test(reply.contentType)) {
        // Asked to stream but answered with one JSON body (or asked not to stream): same mapping.
        const text = await reader.text(deps.maxStreamBufferBytes);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new UpstreamError("stream_error", `stream error: provider sent ${reply.contentType || "an untyped body"} that is not JSON`);
        }
        await emit(translator.whole(body));
        drained = true;
      } else {
        const parser = framing === "json-lines" ? new JsonLinesParser(deps.maxStreamBufferBytes) : new SseParser(deps.maxStreamBufferBytes);
        let done = false;
        let chunk: Uint8Array | null;
        for (chunk = await reader.next(); chunk && !done; chunk = done ? null : await reader.next()) {
          deps.gc.processed(chunk.length);
          const events: ResponsesEvent[] = [];
          for (const message of parser.feed(decoder.decode(chunk))) {
            if (message.data.trim() === "[DONE]") {
              done = true;
              break;
            }
            let data: unknown;
            try {
              data = JSON.parse(message.data);
            } catch {
              // One bad chunk is skipped, not fatal; its text is quoted so it can never read as a signal.
              deps.log.write(formatLogLine(id, "stream_error", { kind: "unparseable_chunk", fatal: false }, { chunk: this.#redact(message.data.slice(0, 200)) }));
              continue;
            }
            events.push(...translator.message(data, message.event));
            if (translator.ended) {
              done = true;
              break;
            }
          }
          await emit(events);
        }
        if (!done) {
          const tail = parser.feed(decoder.end()).concat(parser.end());
          done = tail.some((m) => m.data.trim() === "[DONE]");
          await emit(tail.flatMap((m) => (m.data.trim() === "[DONE]" ? [] : safeMessage(translator, m.data, m.event))));
        } else {
          // Read to the end of the body so the pooled connection can be reused for the next request.
          while (await reader.next());
        }
        drained = true;
        cleanEnd = done;
      }
      const failed = translator.ended && translator.response.status === "failed";
      await emit(translator.finish(cleanEnd));
      if (failed) {
        const error = translator.response.error;
        const message = this.#redact(error?.message ?? "");
        deps.metrics.recordUpstreamError("stream_error", message, Date.now());
        deps.log.write(formatLogLine(id, "stream_error", { kind: "provider_error" }, { code: error?.code ?? null, message }));
        return "failed";
      }
      return translator.response.status;
    } catch (e) {
      const error = e instanceof UpstreamError ? e
        : e instanceof SseOverflowError ? new UpstreamError("stream_error", `stream error: ${e.message}`)
        : new UpstreamError("stream_error", `stream error: ${(e as Error).message}`);
      const message = this.#redact(error.message);
      deps.metrics.recordUpstreamError(error.kind, message, Date.now());
      if (error.kind === "client_gone") {
        deps.log.write(formatLogLine(id, "client_gone", { where: "mid_stream" }));
        return "client_gone";
      }
      deps.log.write(formatLogLine(id, "stream_error", { kind: e instanceof SseOverflowError ? "overflow" : failureKind(error.kind) }, { message }));
      await emit(translator.fail(error.kind, message));
      return "failed";
    } finally {
      // Closing after the end returns the connection to the pool before the client can send its next request.
      await reader.close(drained);
    }
  }
}

/** The failure class of a non-HTTP upstream error, for the log line the watchdog reads. */
function failureKind(kind: string): FailureKind {
  if (kind === "stream_error") return "other";
  return (FAILURE_KINDS as readonly string[]).includes(kind) ? kind as FailureKind : "other";
}

function httpKind(status: number): FailureKind {
  return status === 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx";
}

function safeMessage(translator: ReplyTranslator, data: string, event: string | null): ResponsesEvent[] {
  try {
    return translator.message(JSON.parse(data), event);
  } catch {
    return [];
  }
}
