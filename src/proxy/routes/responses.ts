// POST /v1/responses: parse, translate, call the provider (with retries), stream the answer back. With
// an AI BGP pool, the routes are tried in the router's order (or raced), each with its own backend and
// model; a route that fails before its first real event is replaced by the next one, unseen by the client.
import Gio from "gi://Gio";
import Soup from "gi://Soup?version=3.0";
import type { GcScheduler } from "../../lib/gc-scheduler.js";
import { randomId } from "../../lib/ids.js";
import type { PoolStrategy } from "../../lib/pool-handover.js";
import { Utf8StreamDecoder } from "../../lib/utf8-stream.js";
import type { LogFile } from "../../lib/log-file.js";
import { redactSecrets } from "../../lib/redact.js";
import { sumAttempts, type AttemptRecord, type UsageRecord } from "../../lib/usage-stats.js";
import { withSecretQuery } from "../../lib/url-secrets.js";
import { FirstByteGate } from "../bgp/first-byte-gate.js";
import type { PoolRouter } from "../bgp/router.js";
import { describeUpstreamError, isContextLengthError } from "../errors.js";
import { sendError, sendJson } from "../http.js";
import { DEFAULT_MAX_DEPTH, parseResponsesBody } from "../intake.js";
import { applyReasoning, type ReasoningSetting } from "../../lib/reasoning.js";
import { FAILURE_KINDS, formatLogLine, type FailureKind } from "../log-lines.js";
import type { ProxyMetrics, UpstreamErrorKind } from "../metrics.js";
import type { ResponseStore } from "../response-store.js";
import type { InputItem, ResponseObject, ResponsesRequest } from "../responses/types.js";
import { parseRetryAfter, passOnRetryAfter, POOL_ROUTE_RETRY_POLICY, turnKey, type RetryPolicy, type TurnRetryLedger } from "../retry-policy.js";
import { silenceBounds, type SilenceBounds, type SilenceOverrides } from "../silence.js";
import { formatSse, JsonLinesParser, SseOverflowError, SseParser } from "../sse.js";
import { StreamingResponse } from "../sse-writer.js";
import { AdapterError, joinUrl, TranslationError, type BackendAdapter, type ReplyTranslator, type ResponsesEvent, type RetryAfterError, type StreamFraming, type UpstreamCall } from "../translate/contract.js";
import { BodyReader, UpstreamClient, UpstreamError, type RetryBudget, type UpstreamReply } from "../upstream.js";

/** One provider the route can send to: the proxy's only one, or a pool route. */
export interface UpstreamTarget {
  /** The pool route's name; null for a proxy serving one endpoint. */
  route: string | null;
  /** Its index in the pool's router. */
  index: number;
  adapter: BackendAdapter;
  /** The backend's own headers with the provider key (empty when the proxy holds no key). */
  providerHeaders: Record<string, string>;
  targetUrl: string;
  apiKey: string;
  /** Credentials taken out of the target URL, put back on each upstream request. */
  targetSecrets: { basicAuth: string | null; secretQuery: readonly [string, string][] };
  /** The model this route sends whatever the client asked for (pool routes). */
  model?: string;
  backend: string;
}

/** A pool: its routes are `targets`, tried in the router's order. */
export interface PoolRouting {
  name: string;
  strategy: PoolStrategy;
  router: PoolRouter;
  /** After each outcome: the route stats file and the state lines follow. */
  changed: () => void;
  /** Headers time limit for one route (a silent route must not hold the request for the idle timeout). */
  headersTimeoutMs: number;
}

/** Where each request's usage goes (usage-stats.json, requests.log). */
export interface UsageSink {
  record(record: UsageRecord): void;
}

export interface ResponsesRouteDeps {
  /** The one provider, or a pool's routes (with `pool`). */
  targets: UpstreamTarget[];
  pool: PoolRouting | null;
  /** The request body as the server read it (bounded), or null when it nests deeper than `maxDepth`. */
  readBody: (msg: Soup.ServerMessage, maxDepth: number) => Uint8Array | null;
  /** Literal secrets (provider keys, client token, URL credentials) kept out of every answer and line. */
  secrets: readonly string[];
  /** A client token guards the proxy: the client's Authorization is that token and never goes upstream. */
  clientTokenRequired: boolean;
  upstream: UpstreamClient;
  store: ResponseStore;
  metrics: ProxyMetrics;
  log: LogFile;
  retryPolicy: RetryPolicy;
  /** The proxy's retries per Codex turn (one budget across Codex's own attempts). */
  retryLedger: TurnRetryLedger;
  /** Overrides of the per-model silence bounds. Mutable: the watchdog may raise the idle bound at run
   * time (POST /admin/idle-timeout) instead of a restart. */
  silence: SilenceOverrides;
  maxBodyBytes: number;
  maxStreamBufferBytes: number;
  /** Called around each request so /health can report live streams. */
  onStreamCount: (delta: number) => void;
  gc: GcScheduler;
  /** Replaces the requested model (set after the watchdog switched provider). */
  forceModel?: string;
  usage: UsageSink | null;
  /** The provider key in usage-stats.json (host, or bgp:<pool>) and the launcher's name for it. */
  usageProvider: string;
  usageLabel: string;
  /** The endpoint's reasoning setting, applied to every request before translation. */
  reasoning?: ReasoningSetting;
}

const MAX_ERROR_BODY = 1024 * 1024;
/** Routes raced at once by the `race` strategy. */
export const RACE_WIDTH = 3;

type SendResult =
  | { kind: "reply"; call: UpstreamCall; reply: UpstreamReply }
  /** `silent`: no response headers within the first-byte bound (a stream then fails like any other). */
  | { kind: "failed"; status: number; message: string; code: string | null; headers: Record<string, string>; retryAfterMs: number | null; silent?: boolean }
  | { kind: "client_gone" };

/** Sends a batch of events to the client: nothing to wait for, or a promise while the client is slow. */
type Emit = (events: ResponsesEvent[]) => Promise<void> | undefined;

/** What one request's upstream calls share: its silence bounds and its turn's retry budget. */
interface RequestContext {
  id: string;
  bounds: SilenceBounds;
  budget: RetryBudget;
  /** The turn's key in the retry ledger (null: a client that names no turn). */
  turn: string | null;
}
/** Parameter adjustments after a 400/422 (the original's ErrorAnalyzer allowed 2). */
const MAX_ADJUSTMENTS = 2;

/** What a failure says about the route: broken, rate limited, or nothing (the request itself was refused). */
type Charge = "failure" | "rate_limited" | "none";

type AttemptResult =
  | { kind: "answered"; outcome: string }
  | { kind: "failed"; status: number; message: string; code: string | null; headers: Record<string, string>; charge: Charge; retryAfterMs: number | null }
  | { kind: "client_gone" }
  | { kind: "cancelled" };

/** One try of one target within a request. */
class Attempt {
  readonly cancellable = new Gio.Cancellable();
  readonly gate: FirstByteGate;
  readonly startMs: number;
  /** Set when it lost a race: its cancellation is not the client's leaving nor a failure. */
  lostRace = false;
  /** From the start of the request: this target's first real event. */
  firstByteMs: number | null = null;
  /** Characters of text and arguments it streamed (for a chars/4 estimate when no usage comes). */
  saidChars = 0;
  endMs = 0;
  translator: ReplyTranslator | null = null;
  call: UpstreamCall | null = null;
  result: AttemptResult | null = null;
  readonly #link: number;

  constructor(readonly target: UpstreamTarget, private readonly parent: Gio.Cancellable, hold: boolean, readonly requestStart: number) {
    this.gate = new FirstByteGate(hold);
    this.startMs = Date.now() - requestStart;
    this.#link = parent.connect(() => this.cancellable.cancel());
  }

  finish(result: AttemptResult): AttemptResult {
    this.parent.disconnect(this.#link);
    this.endMs = Date.now() - this.requestStart;
    this.result = result;
    return result;
  }
}

/** The client's side of a streamed answer: begun by the first events that may reach it. */
class ClientStream {
  #out: StreamingResponse | null = null;
  /** From the start of the request: the first byte the client got. */
  firstByteMs: number | null = null;

  constructor(private readonly msg: Soup.ServerMessage, private readonly id: string, private readonly maxBuffer: number,
    private readonly cancellable: Gio.Cancellable, private readonly started: number) {}

  get began(): boolean {
    return this.#out !== null;
  }

  get closed(): boolean {
    return this.#out?.closed ?? false;
  }

  /** Nothing to wait for in the usual case; a promise only while the client is slow. */
  write(events: readonly ResponsesEvent[], route: string | null): Promise<void> | undefined {
    if (events.length === 0) return undefined;
    if (!this.#out) {
      this.#out = new StreamingResponse(this.msg, this.maxBuffer);
      // Route names are the user's text: percent-encoded so a header can carry any of them.
      this.#out.begin("text/event-stream", { "x-request-id": this.id, ...(route !== null ? { "x-codex-launcher-route": encodeURIComponent(route) } : {}) });
      this.#out.onClose(() => this.cancellable.cancel());
      this.firstByteMs = Date.now() - this.started;
    }
    // One string per batch: everything translated from one upstream read leaves as one chunk.
    let text = "";
    for (const e of events) text += formatSse(e.type, e);
    return this.#out.write(text);
  }

  end(): void {
    this.#out?.end();
  }
}

export class ResponsesRoute {
  readonly #loggedNotes = new Set<string>();

  constructor(private readonly deps: ResponsesRouteDeps) {}

  /** The idle bound set for every model (null: the per-model defaults apply). */
  get idleTimeoutS(): number | null {
    return this.deps.silence.idleS ?? null;
  }

  /** Raises (or lowers) the idle bound, for every model, for requests that start from now on. */
  set idleTimeoutS(seconds: number) {
    this.deps.silence.idleS = seconds;
  }

  get silenceOverrides(): Readonly<SilenceOverrides> {
    return this.deps.silence;
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
    const pool = deps.pool;
    /** `upstream`: the provider's failure was already logged in detail (its own typed line); this is the
     * summary. Anything else is the client's error, logged as `refused`: never a proxy fault. */
    const reply = (status: number, message: string, code: string | null = null, headers: Record<string, string> = {}, upstream = false) => {
      sendError(msg, status, message, code, { "x-request-id": id, ...headers });
      msg.unpause();
      deps.metrics.recordRequest(status, Date.now() - started, null, Date.now());
      deps.log.write(upstream
        ? formatLogLine(id, "request", { method: "POST", path, backend: pool ? "bgp" : deps.targets[0].backend, status, outcome: "failed", dur_ms: Date.now() - started },
          { code, pool: pool?.name })
        : formatLogLine(id, "refused", { method: "POST", path, status, code }, { message }));
    };

    const raw = deps.readBody(msg, DEFAULT_MAX_DEPTH);
    if (raw === null) return reply(400, `request body nests deeper than ${DEFAULT_MAX_DEPTH} levels`, "invalid_request");
    const intake = parseResponsesBody(raw, { maxBodyBytes: deps.maxBodyBytes, maxDepth: DEFAULT_MAX_DEPTH }, deps.forceModel);
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
    const cancellable = new Gio.Cancellable();
    const disconnected = msg.connect("disconnected", () => cancellable.cancel());
    // With a client token, the client's Authorization is that token: it never goes to the provider.
    const clientAuth = deps.clientTokenRequired ? null : msg.get_request_headers().get_one("Authorization");
    const turn = this.#turn(msg.get_request_headers());
    const client = new ClientStream(msg, id, deps.maxStreamBufferBytes, cancellable, started);
    const attempts: Attempt[] = [];
    let winner: Attempt | null = null;
    deps.metrics.activeStreams++;
    deps.onStreamCount(1);
    try {
      const tried = new Set<number>();
      for (let round = 0; !winner; round++) {
        const picks = pool ? this.#pick(pool, tried) : round === 0 ? [deps.targets[0]] : [];
        if (picks.length === 0) break;
        const racers = picks.map((t) => new Attempt(t, cancellable, pool !== null, started));
        attempts.push(...racers);
        let leader: Attempt | null = null;
        // The first racer to say something real wins; the others are cancelled (not failures).
        const claim = (a: Attempt) => {
          if (leader && leader !== a) return false;
          leader = a;
          for (const other of racers) if (other !== a) {
            other.lostRace = true;
            other.cancellable.cancel();
          }
          return true;
        };
        await Promise.all(racers.map((a) => this.#attempt(id, turn, a, request, input, stream, clientAuth, claim, client)));
        if (pool) this.#settle(pool, racers);
        winner = racers.find((a) => a.result?.kind === "answered") ?? null;
        if (racers.some((a) => a.result?.kind === "client_gone") || cancellable.is_cancelled()) break;
      }
    } finally {
      msg.disconnect(disconnected);
      deps.metrics.activeStreams--;
      deps.onStreamCount(-1);
    }

    if (!winner) {
      const record = this.#usage(id, request, stream, started, attempts, null, 0, "failed");
      if (attempts.some((a) => a.result?.kind === "client_gone") || cancellable.is_cancelled()) {
        // A reply that had started was logged as it broke off (mid_stream).
        if (!attempts.some((a) => a.translator !== null)) deps.log.write(formatLogLine(id, "client_gone", { where: "before_reply" }));
        deps.usage?.record({ ...record, status: 499, outcome: "client_gone", error: null });
        return;
      }
      const failure = this.#failureReply(attempts);
      deps.usage?.record({ ...record, status: failure.status, error: failure.message });
      return reply(failure.status, failure.message, failure.code, failure.headers, true);
    }

    const translator = winner.translator!;
    let status = 200;
    let outcome = (winner.result as { outcome: string }).outcome;
    let ttfbMs: number | null;
    const routeHeader: Record<string, string> = winner.target.route !== null ? { "x-codex-launcher-route": encodeURIComponent(winner.target.route) } : {};
    if (stream) {
      if (client.closed && outcome !== "completed") outcome = "client_gone";
      client.end();
      ttfbMs = client.firstByteMs;
    } else {
      const response = translator.response;
      status = response.status === "failed" ? 502 : 200;
      if (status === 200) sendJson(msg, 200, response, { "x-request-id": id, ...routeHeader });
      else sendError(msg, 502, response.error?.message ?? "upstream failed", response.error?.code ?? null, { "x-request-id": id, ...routeHeader });
      ttfbMs = Date.now() - started;
      msg.unpause();
    }

    const response = translator.response;
    // The adjustments that produced this answer worked: the adapter may remember them now, and only now.
    if (response.status === "completed" || response.status === "incomplete") winner.call?.succeeded?.();
    const usage = response.usage;
    if (usage) deps.metrics.recordTokens(usage.input_tokens, usage.output_tokens);
    if (request.store !== false && response.status === "completed") deps.store.put(response, input, Date.now());
    deps.metrics.recordRequest(status, Date.now() - started, ttfbMs, Date.now());
    const record = this.#usage(id, request, stream, started, attempts, winner, status, outcome);
    deps.usage?.record({ ...record, ttfbMs });
    deps.log.write(formatLogLine(id, "request", { method: "POST", path, backend: winner.target.backend, stream, status, outcome,
      dur_ms: Date.now() - started, ttfb_ms: ttfbMs, tokens_in: usage?.input_tokens ?? 0, tokens_out: usage?.output_tokens ?? 0,
      items: response.output.map((o) => o.type).join(",") || null, attempts: pool ? attempts.length : undefined, failover_ms: record.failoverMs ?? undefined },
    { model: request.model, pool: pool?.name, route: winner.target.route ?? undefined }));
  }

  /** The next routes to try: the best one (failover), or the best few at once (race). */
  #pick(pool: PoolRouting, tried: Set<number>): UpstreamTarget[] {
    const width = pool.strategy === "race" ? RACE_WIDTH : 1;
    const picks = pool.router.candidates(tried).slice(0, width);
    for (const view of picks) {
      tried.add(view.index);
      pool.router.take(view.index);
    }
    return picks.map((view) => this.deps.targets[view.index]);
  }

  /** Tells the router how each try went. */
  #settle(pool: PoolRouting, racers: readonly Attempt[]): void {
    const { router } = pool;
    for (const a of racers) {
      const i = a.target.index;
      const r = a.result!;
      const ttfb = a.firstByteMs === null ? null : a.firstByteMs - a.startMs;
      if (r.kind === "answered") {
        if (r.outcome === "failed") router.failed(i, this.#errorOf(a) ?? "the stream failed after its first byte");
        else router.succeeded(i, ttfb);
      } else if (r.kind === "failed") {
        if (r.charge === "failure") router.failed(i, r.message);
        else if (r.charge === "rate_limited") router.rateLimited(i, r.retryAfterMs, r.message);
        else router.released(i);
      } else router.released(i);
    }
    pool.changed();
  }

  #errorOf(a: Attempt): string | null {
    const r = a.result;
    if (r?.kind === "failed") return r.message;
    const error = a.translator?.response.error;
    return error ? this.#redact(`${error.code}: ${error.message}`) : null;
  }

  /** The answer when no target answered: the provider's own error, or the pool's verdict. */
  #failureReply(attempts: readonly Attempt[]): { status: number; message: string; code: string | null; headers: Record<string, string> } {
    const pool = this.deps.pool;
    const failures = attempts.map((a) => a.result).filter((r): r is Extract<AttemptResult, { kind: "failed" }> => r?.kind === "failed");
    if (!pool) {
      const f = failures[0];
      return f ? { status: f.status, message: f.message, code: f.code, headers: f.headers } : { status: 502, message: "the upstream call failed", code: null, headers: {} };
    }
    const blocked = pool.router.blocked();
    const retryAfter = { "Retry-After": String(Math.max(1, Math.ceil(blocked.retryAfterMs / 1000))) };
    // The request itself was refused everywhere (a 400 on every route): that answer, not "the pool failed".
    if (failures.length > 0 && failures.every((f) => f.charge === "none")) {
      const last = failures[failures.length - 1];
      return { status: last.status, message: last.message, code: last.code, headers: last.headers };
    }
    if ((failures.length === 0 && blocked.allCooling) || (failures.length > 0 && failures.every((f) => f.charge === "rate_limited") && blocked.allCooling))
      return { status: 503, message: `every route of the AI BGP pool '${pool.name}' is rate limited; retry after ${retryAfter["Retry-After"]} s`,
        code: "bgp_rate_limited", headers: retryAfter };
    const detail = attempts.filter((a) => a.result?.kind === "failed").map((a) => `${a.target.route}: ${(a.result as { message: string }).message}`).join("; ");
    return { status: 502, message: failures.length === 0
      ? `every route of the AI BGP pool '${pool.name}' failed recently and is resting; retry after ${retryAfter["Retry-After"]} s`
      : `every route of the AI BGP pool '${pool.name}' failed: ${detail}`, code: "bgp_all_routes_failed", headers: retryAfter };
  }

  /** The usage record of a request: every try with its tokens (the provider's, else chars/4 estimates). */
  #usage(id: string, request: ResponsesRequest, stream: boolean, started: number, attempts: readonly Attempt[], winner: Attempt | null,
    status: number, outcome: string): UsageRecord {
    const tries: AttemptRecord[] = attempts.map((a) => this.#attemptRecord(a, request, a === winner ? outcome : undefined));
    const sum = sumAttempts(tries);
    const last = winner ?? attempts[attempts.length - 1] ?? null;
    // Failover time: from the failure that made the pool move on to the first byte from the route that answered.
    let failoverMs: number | null = null;
    if (winner && winner.firstByteMs !== null) {
      const before = attempts.filter((a) => a !== winner && a.result?.kind === "failed" && a.endMs <= winner.firstByteMs!);
      if (before.length > 0) failoverMs = winner.firstByteMs - Math.max(...before.map((a) => a.endMs));
    }
    const error = winner ? this.#errorOf(winner) : last ? this.#errorOf(last) : null;
    return { atMs: started, id, provider: this.deps.usageProvider, label: this.deps.usageLabel, route: last?.target.route ?? null,
      model: last ? last.target.model ?? request.model ?? "" : request.model ?? "", backend: last?.target.backend ?? "", stream, status, outcome,
      tokensIn: sum.tokensIn, tokensOut: sum.tokensOut, tokensCached: sum.tokensCached, estimated: sum.estimated, durationMs: Date.now() - started,
      ttfbMs: null, failoverMs, error: outcome === "completed" ? null : error, attempts: tries };
  }

  #attemptRecord(a: Attempt, request: ResponsesRequest, outcome?: string): AttemptRecord {
    const r = a.result;
    const base = { route: a.target.route, model: a.target.model ?? request.model ?? "", startMs: a.startMs, firstByteMs: a.firstByteMs, endMs: a.endMs };
    const response = a.translator?.response ?? null;
    const usage = response?.usage ?? null;
    const sentChars = a.call ? JSON.stringify(a.call.body).length : 0;
    if (r?.kind === "answered") {
      const tokens = usage ? { tokensIn: usage.input_tokens, tokensOut: usage.output_tokens, tokensCached: usage.input_tokens_details?.cached_tokens ?? 0, estimated: false }
        : { tokensIn: Math.ceil(sentChars / 4), tokensOut: Math.ceil(Math.max(outputChars(response!), a.saidChars) / 4), tokensCached: 0, estimated: true };
      return { ...base, outcome: outcome ?? r.outcome, status: 200, ...tokens, error: r.outcome === "failed" ? this.#errorOf(a) : null };
    }
    if (r?.kind === "cancelled") {
      // A race's loser was asked to answer and may have been billed for reading the request: its input
      // is estimated (marked so), its output is what it had said when cancelled.
      return { ...base, outcome: "race_lost", status: null, tokensIn: Math.ceil(sentChars / 4), tokensOut: usage?.output_tokens ?? 0, tokensCached: 0,
        estimated: sentChars > 0, error: null };
    }
    if (r?.kind === "failed") {
      const kind = r.charge === "rate_limited" ? "rate_limited" : r.charge === "none" ? "rejected" : "failed_before_first_byte";
      return { ...base, outcome: kind, status: r.status, tokensIn: 0, tokensOut: 0, tokensCached: 0, estimated: false, error: r.message };
    }
    return { ...base, outcome: "client_gone", status: null, tokensIn: 0, tokensOut: 0, tokensCached: 0, estimated: false, error: null };
  }

  /**
   * One try of one target: translate for its backend (and model), send with its retries, and pump its
   * answer through its first-byte gate. With a pool, nothing reaches the client before the gate
   * commits, and `claim` decides which racer may commit.
   */
  async #attempt(id: string, turn: string | null, a: Attempt, request: ResponsesRequest, input: InputItem[], stream: boolean, clientAuth: string | null,
    claim: (a: Attempt) => boolean, client: ClientStream): Promise<AttemptResult> {
    const { deps } = this;
    const target = a.target;
    const routeRequest = target.model ? { ...request, model: target.model } : request;
    let call: UpstreamCall;
    try {
      // Awaited only when the adapter is asynchronous (a token refresh): an await costs gjs 1.74 a
      // main-loop turn before the request can go upstream.
      const prepared = target.adapter.prepare(routeRequest, input, stream);
      call = prepared instanceof Promise ? await prepared : prepared;
    } catch (e) {
      if (e instanceof TranslationError) return a.finish({ kind: "failed", status: 400, message: e.message, code: "invalid_request", headers: {}, charge: "none", retryAfterMs: null });
      // The request passed validation but a translator still could not read it: still the request's
      // shape, so the client gets a 400 (and the proxy logs the detail for us to fix).
      if (e instanceof TypeError || e instanceof RangeError) {
        deps.log.write(formatLogLine(id, "internal_error", { during: "translation" }, { message: this.#redact(String(e.stack ?? e)) }));
        return a.finish({ kind: "failed", status: 400, message: `the request could not be translated for ${target.adapter.name}: ${e.message}`, code: "invalid_request",
          headers: {}, charge: "none", retryAfterMs: null });
      }
      if (e instanceof AdapterError) {
        // Logged once here in full (the watchdog reads its typed code, e.g. E4 for an expired login).
        deps.log.write(formatLogLine(id, "adapter_error", { code: e.code, status: e.status }, { message: this.#redact(e.message), route: target.route ?? undefined }));
        return a.finish({ kind: "failed", status: e.status, message: e.message, code: e.code, headers: {}, charge: "failure", retryAfterMs: null });
      }
      throw e;
    }
    a.call = call;
    for (const note of call.notes) {
      if (this.#loggedNotes.size < 1000 && !this.#loggedNotes.has(note)) {
        this.#loggedNotes.add(note);
        deps.log.write(formatLogLine(null, "translate_note", {}, { note }));
      }
    }
    if (!target.targetUrl) return a.finish({ kind: "failed", status: 503, message: "the proxy has no upstream configured (--target-url)", code: "no_upstream", headers: {}, charge: "none", retryAfterMs: null });

    const ctx = this.#context(id, routeRequest.model ?? "", turn);
    const sent = await this.#send(ctx, target, call, stream, clientAuth, a.cancellable);
    if (sent.kind === "client_gone") return a.finish(a.lostRace ? { kind: "cancelled" } : { kind: "client_gone" });
    if (sent.kind === "failed" && sent.silent && stream && !this.deps.pool) {
      // No headers within the first-byte bound: Codex gets a stream that fails with the reason, as it
      // does when the body stays silent (it then retries the stream, and shows the message). A pool
      // moves on to its next route instead.
      const translator = call.translator();
      a.translator = translator;
      await client.write([...translator.start(), ...translator.fail("first_byte_timeout", sent.message)], target.route);
      return a.finish({ kind: "answered", outcome: "failed" });
    }
    if (sent.kind === "failed") {
      const charge: Charge = sent.status === 429 ? "rate_limited" : [400, 404, 405, 413, 415, 422].includes(sent.status) && sent.code !== "model_not_found" ? "none" : "failure";
      return a.finish({ ...sent, charge });
    }
    a.call = sent.call;
    const translator = sent.call.translator();
    a.translator = translator;
    const emit: Emit = (events) => {
      if (a.lostRace || events.length === 0) return undefined;
      for (const e of events) if (typeof e.delta === "string") a.saidChars += e.delta.length;
      const { forward, committedNow } = a.gate.offer(events);
      if (a.firstByteMs === null && (committedNow || forward.length > 0)) a.firstByteMs = Date.now() - a.requestStart;
      if (committedNow && !claim(a)) {
        a.lostRace = true;
        a.cancellable.cancel();
        return;
      }
      return stream && forward.length > 0 ? client.write(forward, target.route) : undefined;
    };
    const outcome = await this.#pumpAll(ctx, target, sent.call, sent.reply, translator, stream, clientAuth, a.cancellable, emit,
      { route: target.route, committed: () => a.gate.committed, lostRace: () => a.lostRace });
    if (a.lostRace) return a.finish({ kind: "cancelled" });
    if (outcome === "client_gone" && !client.began) return a.finish({ kind: "client_gone" });
    // Nothing reached the client (still held, or a whole-JSON answer not sent yet): the next route may answer.
    const unseen = !a.gate.committed || (!stream && outcome === "failed" && this.deps.pool !== null);
    if (unseen && this.deps.pool !== null && outcome !== "client_gone") {
      const error = translator.response.error;
      return a.finish({ kind: "failed", status: 502, message: this.#redact(error ? `${error.code}: ${error.message}` : "the answer ended before its first byte"),
        code: error?.code ?? null, headers: {}, charge: "failure", retryAfterMs: null });
    }
    return a.finish({ kind: "answered", outcome });
  }

  /** The Codex turn a request belongs to (null: a client that names none). */
  #turn(headers: Soup.MessageHeaders): string | null {
    return turnKey(headers.get_one("x-codex-turn-metadata"), headers.get_one("session-id"));
  }

  /**
   * What one try's upstream calls share: the silence bounds of the model it asks for, and its retry
   * budget: the turn's (one budget across Codex's own attempts), or its own for a pool route (whose
   * policy allows one quick retry; the pool's next route is the real retry).
   */
  #context(id: string, model: string, turn: string | null): RequestContext {
    const { deps } = this;
    let ownRetries = 0;
    const budget: RetryBudget = turn && !deps.pool
      ? { spent: () => deps.retryLedger.retriesSpent(turn, Date.now()), spend: () => deps.retryLedger.spendRetry(turn, Date.now()) }
      : { spent: () => ownRetries, spend: () => void ownRetries++ };
    return { id, bounds: silenceBounds(model, deps.silence), budget, turn };
  }

  /**
   * Sends one upstream call with the retry policy (before the first byte) and the adapter's own
   * adjustments after an error it understands (a rejected optional parameter, a stale access token).
   * A pool route uses the pool's short retries and headers bound, and writes route_* lines instead of
   * upstream_* (the pool handles its routes' failures; the watchdog hears of the pool as a whole).
   */
  async #send(ctx: RequestContext, target: UpstreamTarget, first: UpstreamCall, stream: boolean, clientAuth: string | null,
    cancellable: Gio.Cancellable): Promise<SendResult> {
    const { deps } = this;
    const { id } = ctx;
    const pool = deps.pool;
    const route = target.route ?? undefined;
    const policy = pool ? POOL_ROUTE_RETRY_POLICY : deps.retryPolicy;
    const firstByteMs = ctx.bounds.firstByteS * 1000;
    const headersTimeoutMs = pool ? Math.min(pool.headersTimeoutMs, firstByteMs) : firstByteMs;
    let call = first;
    for (let adjustments = 0; ; adjustments++) {
      const headers: Record<string, string> = { "Content-Type": "application/json", Accept: stream ? "text/event-stream" : "application/json",
        ...call.headers, ...target.providerHeaders };
      if (target.targetSecrets.basicAuth && !headers.Authorization) headers.Authorization = target.targetSecrets.basicAuth;
      // No key here and none from the adapter (a login's access token): the client's own is the key.
      if (!target.apiKey && clientAuth && !call.headers?.Authorization) headers.Authorization = clientAuth;
      let upstreamReply: UpstreamReply;
      try {
        // Serialised once per call; the upstream client encodes it together with the head into one buffer,
        // which retries reuse.
        const body = JSON.stringify(call.body);
        deps.gc.requestData(body.length);
        upstreamReply = await deps.upstream.sendWithRetries(
          { method: "POST", url: call.url ?? withSecretQuery(joinUrl(target.targetUrl, call.path), target.targetSecrets.secretQuery), headers,
            body },
          policy, ctx.budget, cancellable, headersTimeoutMs,
          (n) => {
            // A failed attempt the proxy retries is a failure too: counted like the final one.
            const kind = n.status === null ? failureKind(n.kind ?? "other") : httpKind(n.status);
            deps.metrics.recordUpstreamError(n.status === null ? n.kind ?? "other" : kind as UpstreamErrorKind, this.#redact(n.reason), Date.now());
            deps.log.write(formatLogLine(id, pool ? "route_retry" : "upstream_retry", { kind, status: n.status, attempt: n.attempt, of: n.maxAttempts - 1,
              delay_s: Number((n.delayMs / 1000).toFixed(1)) }, { detail: this.#redact(n.reason), route }));
          });
      } catch (e) {
        if (!(e instanceof UpstreamError)) throw e;
        const message = this.#redact(e.message);
        // Logged once for the request (a race's loser is cancelled by the pool, not by the client).
        if (e.kind === "client_gone") return { kind: "client_gone" };
        deps.metrics.recordUpstreamError(e.kind === "timeout" ? "first_byte_timeout" : e.kind, message, Date.now());
        if (e.kind === "timeout") {
          // Silence before the headers is the first-byte bound firing: the same signal as a silent body
          // (for a pool route, a route line: the pool moves on).
          deps.log.write(formatLogLine(id, pool ? "route_error" : "stream_error", { kind: "first_byte_timeout", where: "before_headers" }, { message, route }));
          return { kind: "failed", status: 504, message, code: "first_byte_timeout", headers: {}, retryAfterMs: null, silent: true };
        }
        deps.log.write(formatLogLine(id, pool ? "route_error" : "upstream_error", { kind: failureKind(e.kind) }, { message, route }));
        return { kind: "failed", status: 502, message: `upstream unreachable: ${message}`, code: e.kind, headers: {}, retryAfterMs: null };
      }
      if (upstreamReply.status < 400) return { kind: "reply", call, reply: upstreamReply };

      const text = await new BodyReader(upstreamReply.stream, cancellable, ctx.bounds.idleS * 1000).text(MAX_ERROR_BODY).catch(() => "");
      const described = describeUpstreamError(upstreamReply.status, text);
      // A provider's error body can echo the key back: redacted before it reaches anyone.
      const code = described.code === null ? null : this.#redact(described.code);
      const status = upstreamReply.status;
      // A request too long for the model is not the parameters' fault: nothing to adjust or learn, and
      // Codex gets the code it understands (it tells the user the context window is full).
      const contextFull = isContextLengthError(status, described.code, described.message);
      let adjusted: RetryAfterError | null;
      try {
        adjusted = adjustments < MAX_ADJUSTMENTS && !contextFull ? (await call.retryAfterError?.(status, described.message)) ?? null : null;
      } catch (e) {
        if (!(e instanceof AdapterError)) throw e;
        // The adjustment itself failed (the access token could not be renewed): that, not the 401, is the news.
        deps.log.write(formatLogLine(id, "adapter_error", { code: e.code, status: e.status }, { message: this.#redact(e.message), route }));
        return { kind: "failed", status: e.status, message: e.message, code: e.code, headers: {}, retryAfterMs: null };
      }
      if (adjusted) {
        // The adapter understood the error (an optional parameter the provider does not take, a stale
        // token): the adjusted call goes out once more.
        deps.log.write(formatLogLine(id, "adjusted", { status, dropped: adjusted.dropped.join(",") || null },
          { reason: adjusted.reason ?? (adjusted.dropped.length ? "the provider rejected optional parameters; retrying without them" : "adjusted"), route }));
        call = adjusted.call;
        continue;
      }
      // The adapter may know what the error means for its provider (and says it in the log line too).
      const message = this.#redact(call.explainError?.(status, described.message, code) ?? described.message);
      const finalCode = contextFull ? "context_length_exceeded" : code;
      const clientStatus = contextFull ? 400 : status;
      deps.metrics.recordUpstreamError(status === 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx", message, Date.now());
      deps.log.write(formatLogLine(id, pool ? "route_error" : "upstream_error", { kind: httpKind(clientStatus), status: clientStatus },
        { code: finalCode, message, route }));
      const retryAfterMs = parseRetryAfter(upstreamReply.headers.get_one("Retry-After"), Date.now());
      // A 429 goes back with a Retry-After, so that Codex spends its own attempts on it (it retries a
      // 429 only when told when); the proxy's own budget for the turn is spent or the wait was long.
      // A pool route's 429 cools the route instead (the pool answers for itself).
      const retryAfterS = pool ? (status === 429 && retryAfterMs !== null ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : null)
        : passOnRetryAfter(status, retryAfterMs, code, status === 429 && ctx.turn ? deps.retryLedger.throttled(ctx.turn, Date.now()) : 1);
      return { kind: "failed", status: clientStatus, message: `upstream HTTP ${status}: ${message}`, code: finalCode,
        headers: retryAfterS !== null ? { "Retry-After": String(retryAfterS) } : {}, retryAfterMs };
    }
  }

  /**
   * Pumps a reply into the translator, then the follow-ups the translator asks for (continuation()),
   * each sent like the first; returns how the response ended.
   */
  async #pumpAll(ctx: RequestContext, target: UpstreamTarget, call: UpstreamCall, reply: UpstreamReply, translator: ReplyTranslator, stream: boolean,
    clientAuth: string | null, cancellable: Gio.Cancellable, emit: Emit, where: PumpContext): Promise<string> {
    const { id } = ctx;
    // The first events go out now; awaiting only a slow client keeps the body's first read on this turn.
    const wait = emit(translator.start());
    if (wait) await wait;
    let outcome = await this.#pump(ctx, reply, call.framing ?? "sse", translator, cancellable, emit, where);
    for (let next = translator.ended ? null : translator.continuation?.() ?? null; next; next = translator.ended ? null : translator.continuation?.() ?? null) {
      this.deps.log.write(formatLogLine(id, "continuation"));
      const sent = await this.#send(ctx, target, next, stream, clientAuth, cancellable);
      if (sent.kind === "client_gone") return "client_gone";
      if (sent.kind === "failed") {
        await emit(translator.fail("upstream_error", sent.message));
        return "failed";
      }
      outcome = await this.#pump(ctx, sent.reply, sent.call.framing ?? "sse", translator, cancellable, emit, where);
    }
    if (!translator.ended) {
      // A translator that kept the response open but asked for nothing more: end it as it stands.
      await emit(translator.fail("stream_incomplete", "the answer was left unfinished"));
      return "failed";
    }
    return outcome;
  }

  /** Reads one provider reply into the translator; returns how it ended. */
  async #pump(ctx: RequestContext, reply: UpstreamReply, framing: StreamFraming, translator: ReplyTranslator, cancellable: Gio.Cancellable,
    emit: Emit, where: PumpContext): Promise<string> {
    const { deps } = this;
    const { id } = ctx;
    // A pool route that fails before its first byte is replaced, unseen: a route line, not a stream error.
    const streamEvent = () => (where.route !== null && !where.committed() ? "route_error" : "stream_error");
    const reader = new BodyReader(reply.stream, cancellable, ctx.bounds.idleS * 1000);
    reader.expectFirstByteWithin(ctx.bounds.firstByteS * 1000, reply.sentAtMs);
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
              // One bad chunk is skipped, not fatal; its text is quoted so it can never read as a signal.
              deps.log.write(formatLogLine(id, "stream_error", { kind: "unparseable_chunk", fatal: false }, { chunk: this.#redact(message.data.slice(0, 200)), route: where.route ?? undefined }));
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
      // The provider's own error event failed the response mid-stream; otherwise finish() fails it when
      // the body ended before the provider's end marker. Both are upstream failures the watchdog and
      // /monitoring must see, not only a failed outcome.
      const providerFailed = translator.ended && translator.response.status === "failed";
      await emit(translator.finish(cleanEnd));
      if (translator.response.status === "failed") {
        const error = translator.response.error;
        const message = this.#redact(error?.message ?? "");
        const kind = providerFailed ? "provider_error" : "cut";
        deps.metrics.recordUpstreamError(kind, message, Date.now());
        deps.log.write(formatLogLine(id, streamEvent(), { kind }, { code: error?.code ?? null, message, route: where.route ?? undefined }));
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
        // A race's loser was cancelled by the pool, not by the client.
        if (!where.lostRace()) deps.log.write(formatLogLine(id, "client_gone", { where: "mid_stream" }));
        return "client_gone";
      }
      deps.log.write(formatLogLine(id, streamEvent(), { kind: e instanceof SseOverflowError ? "overflow" : failureKind(error.kind) }, { message, route: where.route ?? undefined }));
      await emit(translator.fail(error.kind, message));
      return "failed";
    } finally {
      // Closing after the end returns the connection to the pool before the client can send its next request.
      await reader.close(drained);
    }
  }
}

/** Where a pump runs: which pool route (if any), whether its answer reached the client, whether it lost a race. */
interface PumpContext {
  route: string | null;
  committed: () => boolean;
  lostRace: () => boolean;
}

/** Characters of what an answer said (text, call arguments, reasoning), for a chars/4 estimate. */
function outputChars(response: ResponseObject): number {
  let chars = 0;
  for (const item of response.output) {
    if (item.type === "message") for (const c of item.content) chars += c.text.length;
    else if (item.type === "function_call") chars += item.name.length + item.arguments.length;
    else if (item.type === "custom_tool_call") chars += item.name.length + item.input.length;
    else if (item.type === "reasoning") for (const s of item.summary) chars += s.text.length;
  }
  return chars;
}

/** The failure class of a non-HTTP upstream error, for the log line the watchdog reads. */
function failureKind(kind: string): FailureKind {
  if (kind === "stream_error") return "other";
  return (FAILURE_KINDS as readonly string[]).includes(kind) ? kind as FailureKind : "other";
}

function httpKind(status: number): FailureKind {
  return status === 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx";
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
