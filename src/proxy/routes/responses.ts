// POST /v1/responses: parse, translate, call the provider (with retries), stream the answer back.
import Gio from "gi://Gio";
import Soup from "gi://Soup?version=3.0";
import type { GcScheduler } from "../../lib/gc-scheduler.js";
import { randomId } from "../../lib/ids.js";
import { Utf8StreamDecoder } from "../../lib/utf8-stream.js";
import type { LogFile } from "../../lib/log-file.js";
import { describeUpstreamError, statusPhrase } from "../errors.js";
import { requestBody, sendError, sendJson } from "../http.js";
import type { ProxyMetrics } from "../metrics.js";
import type { ResponseStore } from "../response-store.js";
import type { InputItem, ResponsesRequest } from "../responses/types.js";
import type { RetryPolicy } from "../retry-policy.js";
import { formatSse, JsonLinesParser, SseOverflowError, SseParser } from "../sse.js";
import { StreamingResponse } from "../sse-writer.js";
import { joinUrl, TranslationError, type BackendAdapter, type ReplyTranslator, type ResponsesEvent, type StreamFraming, type UpstreamCall } from "../translate/contract.js";
import { BodyReader, UpstreamClient, UpstreamError, type UpstreamReply } from "../upstream.js";

export interface ResponsesRouteDeps {
  adapter: BackendAdapter;
  /** The backend's own headers with the provider key (empty when the proxy holds no key). */
  providerHeaders: Record<string, string>;
  upstream: UpstreamClient;
  targetUrl: string;
  apiKey: string;
  store: ResponseStore;
  metrics: ProxyMetrics;
  log: LogFile;
  retryPolicy: RetryPolicy;
  idleTimeoutMs: number;
  maxBodyBytes: number;
  maxStreamBufferBytes: number;
  /** Called around each request so /health can report live streams. */
  onStreamCount: (delta: number) => void;
  gc: GcScheduler;
  /** Replaces the requested model (set after the watchdog switched provider). */
  forceModel?: string;
}

const MAX_ERROR_BODY = 1024 * 1024;
const utf8 = new TextDecoder();

type SendResult =
  | { kind: "reply"; call: UpstreamCall; reply: UpstreamReply }
  | { kind: "failed"; status: number; message: string; code: string | null; headers: Record<string, string> }
  | { kind: "client_gone" };
/** Sends a batch of events to the client: nothing to wait for, or a promise while the client is slow. */
type Emit = (events: ResponsesEvent[]) => Promise<void> | undefined;
/** Parameter adjustments after a 400/422 (the original's ErrorAnalyzer allowed 2). */
const MAX_ADJUSTMENTS = 2;

export class ResponsesRoute {
  readonly #loggedNotes = new Set<string>();

  constructor(private readonly deps: ResponsesRouteDeps) {}

  handle(msg: Soup.ServerMessage): void {
    msg.pause();
    const started = Date.now();
    const id = randomId("req", 12);
    this.#serve(msg, id, started).finally(() => this.deps.gc.workDone()).catch((e) => {
      // A bug must cost one request, never the process.
      this.deps.log.write(`req=${id} stream error: internal: ${(e as Error)?.stack ?? e}`);
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
    /** `upstream`: the provider's failure was already logged in detail; the summary must not repeat it
     * (the watchdog counts one signal per failure, not two). */
    const reply = (status: number, message: string, code: string | null = null, headers: Record<string, string> = {}, upstream = false) => {
      sendError(msg, status, message, code, { "x-request-id": id, ...headers });
      msg.unpause();
      deps.metrics.recordRequest(status, Date.now() - started, null, Date.now());
      deps.log.write(`req=${id} POST ${msg.get_uri().get_path()} status=${status} dur_ms=${Date.now() - started} ` +
        (upstream ? `error_code=${code ?? "upstream"}` : `error=${JSON.stringify(message)}`));
    };

    const raw = requestBody(msg);
    if (raw.length > deps.maxBodyBytes) return reply(413, `request body is ${raw.length} bytes; the limit is ${deps.maxBodyBytes}`, "request_too_large");
    let request: ResponsesRequest;
    try {
      request = JSON.parse(utf8.decode(raw));
    } catch (e) {
      return reply(400, `request body is not valid JSON: ${(e as Error).message}`, "invalid_json");
    }
    if (typeof request !== "object" || request === null || Array.isArray(request)) return reply(400, "request body must be a JSON object", "invalid_request");
    if (deps.forceModel) request.model = deps.forceModel;

    let input: InputItem[] = typeof request.input === "string" ? [{ type: "message", role: "user", content: request.input }]
      : Array.isArray(request.input) ? request.input : [];
    if (typeof request.previous_response_id === "string") {
      const history = deps.store.history(request.previous_response_id, Date.now());
      if (!history) return reply(400, `previous response '${request.previous_response_id}' was not found or has expired`, "previous_response_not_found");
      input = [...history, ...input];
    }
    const stream = request.stream === true;
    let call: UpstreamCall;
    try {
      // Awaited only when the adapter is asynchronous (a token refresh): an await costs gjs 1.74 a
      // main-loop turn before the request can go upstream.
      const prepared = deps.adapter.prepare(request, input, stream);
      call = prepared instanceof Promise ? await prepared : prepared;
    } catch (e) {
      if (e instanceof TranslationError) return reply(400, e.message, "invalid_request");
      throw e;
    }
    for (const note of call.notes) {
      if (this.#loggedNotes.size < 1000 && !this.#loggedNotes.has(note)) {
        this.#loggedNotes.add(note);
        deps.log.write(`translate: ${note}`);
      }
    }
    if (!deps.targetUrl) return reply(503, "the proxy has no upstream configured (--target-url)", "no_upstream");

    const cancellable = new Gio.Cancellable();
    const disconnected = msg.connect("disconnected", () => cancellable.cancel());
    // The client's key is forwarded only when the proxy holds none.
    const clientAuth = deps.apiKey ? null : msg.get_request_headers().get_one("Authorization");
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
        // Everything translated from one upstream read leaves as one chunk: one append, one unpause.
        const emit: Emit = (events) => {
          if (events.length === 0) return undefined;
          if (ttfbMs === null) ttfbMs = Date.now() - started;
          let text = "";
          for (const e of events) text += formatSse(e.type, e);
          return out.write(text);
        };
        outcome = await this.#pumpAll(id, call, upstreamReply, translator, stream, clientAuth, cancellable, emit);
        if (out.closed && outcome !== "completed") outcome = "client_gone";
        out.end();
      } else {
        outcome = await this.#pumpAll(id, call, upstreamReply, translator, stream, clientAuth, cancellable, () => undefined);
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
    deps.log.write(`req=${id} POST ${msg.get_uri().get_path()} backend=${deps.adapter.name} model=${request.model} stream=${stream} ` +
      `status=${status} outcome=${outcome} dur_ms=${Date.now() - started} ttfb_ms=${ttfbMs ?? "-"} ` +
      `tokens_in=${usage?.input_tokens ?? 0} tokens_out=${usage?.output_tokens ?? 0} items=${response.output.map((o) => o.type).join(",") || "-"}`);
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
      if (!deps.apiKey && clientAuth) headers.Authorization = clientAuth; // no key here: the client's own is the key
      let upstreamReply: UpstreamReply;
      try {
        // Serialised once per call; the upstream client encodes it together with the head into one buffer,
        // which retries reuse.
        const body = JSON.stringify(call.body);
        deps.gc.requestData(body.length);
        upstreamReply = await deps.upstream.sendWithRetries(
          { method: "POST", url: joinUrl(deps.targetUrl, call.path), headers, body },
          deps.retryPolicy, cancellable, deps.idleTimeoutMs,
          (n) => deps.log.write(`req=${id} upstream ${n.reason} (retry ${n.attempt}/${n.maxAttempts - 1} in ${(n.delayMs / 1000).toFixed(1)} s)`));
      } catch (e) {
        if (!(e instanceof UpstreamError)) throw e;
        deps.metrics.recordUpstreamError(e.kind, e.message, Date.now());
        if (e.kind === "client_gone") {
          deps.log.write(`req=${id} client went away before the provider answered (Broken pipe)`);
          return { kind: "client_gone" };
        }
        deps.log.write(`req=${id} upstream ${e.message}`);
        return { kind: "failed", status: e.kind === "timeout" ? 504 : 502, message: `upstream unreachable: ${e.message}`, code: e.kind, headers: {} };
      }
      if (upstreamReply.status < 400) return { kind: "reply", call, reply: upstreamReply };

      const text = await new BodyReader(upstreamReply.stream, cancellable, deps.idleTimeoutMs).text(MAX_ERROR_BODY).catch(() => "");
      const { message, code } = describeUpstreamError(upstreamReply.status, text);
      const status = upstreamReply.status;
      const adjusted = adjustments < MAX_ADJUSTMENTS ? (await call.retryAfterError?.(status, message)) ?? null : null;
      if (adjusted) {
        // The adapter understood the error (an optional parameter the provider does not take, a stale
        // token): the adjusted call goes out once more.
        deps.log.write(`req=${id} error analysis: HTTP ${status} ${adjusted.dropped.length ? `names ${adjusted.dropped.join(", ")}; retrying without (remembered for this model)`
          : `${adjusted.reason ?? "adjusted"}; retrying`}`);
        call = adjusted.call;
        continue;
      }
      deps.metrics.recordUpstreamError(status === 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx", message, Date.now());
      deps.log.write(`req=${id} upstream HTTP ${status} ${statusPhrase(status)}: ${message}`);
      const retryAfter = upstreamReply.headers.get_one("Retry-After");
      return { kind: "failed", status, message: `upstream HTTP ${status}: ${message}`, code, headers: status === 429 && retryAfter ? { "Retry-After": retryAfter } : {} };
    }
  }

  /**
   * Pumps a reply into the translator, then the follow-ups the translator asks for (continuation()),
   * each sent like the first; returns how the response ended.
   */
  async #pumpAll(id: string, call: UpstreamCall, reply: UpstreamReply, translator: ReplyTranslator, stream: boolean, clientAuth: string | null,
    cancellable: Gio.Cancellable, emit: Emit): Promise<string> {
    // The first events go out now; awaiting only a slow client keeps the body's first read on this turn.
    const wait = emit(translator.start());
    if (wait) await wait;
    let outcome = await this.#pump(id, reply, call.framing ?? "sse", translator, cancellable, emit);
    for (let next = translator.ended ? null : translator.continuation?.() ?? null; next; next = translator.ended ? null : translator.continuation?.() ?? null) {
      this.deps.log.write(`req=${id} continuing the answer with a follow-up request`);
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
    emit: Emit): Promise<string> {
    const { deps } = this;
    const reader = new BodyReader(reply.stream, cancellable, deps.idleTimeoutMs);
    const decoder = new Utf8StreamDecoder();
    /** A stream that ends without its end marker ([DONE], response.completed) was cut short. */
    let cleanEnd = true;
    /** The body was read to its end (so the connection can go back to the pool). */
    let drained = false;
    try {
      if (!/event-stream/i.test(reply.contentType)) {
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
        // Every socket read arrives here inside the socket's own callback: every complete message it
        // brought is translated, and the events go to the client in one write before the next read.
        await reader.stream((chunk) => {
          // After the end marker the rest of the body is read and dropped, so the pooled connection can
          // carry the next request.
          if (done) return undefined;
          deps.gc.processed(chunk.length);
          const events: ResponsesEvent[] = [];
          for (const message of parser.feed(decoder.decode(chunk))) {
            if (isDoneMarker(message.data)) {
              done = true;
              break;
            }
            let data: unknown;
            try {
              data = JSON.parse(message.data);
            } catch {
              deps.log.write(`req=${id} stream error: skipped an unparseable chunk: ${message.data.slice(0, 200)}`);
              continue;
            }
            const translated = translator.message(data, message.event);
            for (let i = 0; i < translated.length; i++) events.push(translated[i]);
            if (translator.ended) {
              done = true;
              break;
            }
          }
          // Returns a promise only while the client is slow, which pauses the reading.
          return emit(events);
        });
        if (!done) {
          const tail = parser.feed(decoder.end()).concat(parser.end());
          done = tail.some((m) => isDoneMarker(m.data));
          await emit(tail.flatMap((m) => (isDoneMarker(m.data) ? [] : safeMessage(translator, m.data, m.event))));
        }
        drained = true;
        cleanEnd = done;
      }
      const failed = translator.ended && translator.response.status === "failed";
      await emit(translator.finish(cleanEnd));
      if (failed) {
        const error = translator.response.error;
        deps.metrics.recordUpstreamError("stream_error", error?.message ?? "", Date.now());
        deps.log.write(`req=${id} stream error: provider reported ${error?.code}: ${error?.message}`);
        return "failed";
      }
      return translator.response.status;
    } catch (e) {
      const error = e instanceof UpstreamError ? e
        : e instanceof SseOverflowError ? new UpstreamError("stream_error", `stream error: ${e.message}`)
        : new UpstreamError("stream_error", `stream error: ${(e as Error).message}`);
      deps.metrics.recordUpstreamError(error.kind, error.message, Date.now());
      if (error.kind === "client_gone") {
        deps.log.write(`req=${id} client went away mid-stream (Broken pipe); upstream request cancelled`);
        return "client_gone";
      }
      deps.log.write(`req=${id} upstream ${error.message}`);
      await emit(translator.fail(error.kind, error.message));
      return "failed";
    } finally {
      // Closing after the end returns the connection to the pool before the client can send its next request.
      await reader.close(drained);
    }
  }
}

/** OpenAI-style end marker; checked before JSON.parse, cheaply (most messages are long JSON objects). */
function isDoneMarker(data: string): boolean {
  return data.length <= 16 && data.trim() === "[DONE]";
}

function safeMessage(translator: ReplyTranslator, data: string, event: string | null): ResponsesEvent[] {
  try {
    return translator.message(JSON.parse(data), event);
  } catch {
    return [];
  }
}
