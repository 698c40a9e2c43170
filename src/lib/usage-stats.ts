// usage-stats.json: what every request cost, per provider (B.18 shape) plus the buckets the Usage window
// and the budgets read (per hour, per day and model, recent first-byte times). Pure: the proxy applies
// records to the document it read and writes it back; the launcher only reads it.

/** One try of one route (or of the single provider) inside a request. */
export interface AttemptRecord {
  /** The pool route's name; null for a proxy serving one endpoint. */
  route: string | null;
  model: string;
  /** completed | incomplete | failed | client_gone | failed_before_first_byte | rate_limited | rejected | race_lost */
  outcome: string;
  status: number | null;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  /** True when the provider reported no usage and the tokens are chars/4 estimates. */
  estimated: boolean;
  /** Milliseconds from the start of the request. */
  startMs: number;
  /** First byte of this route's answer, from the start of the request; null when none came. */
  firstByteMs: number | null;
  endMs: number;
  error: string | null;
}

/** One request as the proxy saw it, with every route it tried. */
export interface UsageRecord {
  atMs: number;
  id: string;
  /** The provider's host, or `bgp:<pool>`. */
  provider: string;
  /** The launcher's name for what served it (endpoint, or `bgp:<pool>`); what budgets are set on. */
  label: string;
  /** The route that answered (pools), or the last one tried. */
  route: string | null;
  model: string;
  backend: string;
  stream: boolean;
  status: number;
  outcome: string;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  estimated: boolean;
  durationMs: number;
  /** First byte that reached the client. */
  ttfbMs: number | null;
  /** From the failure that caused the last failover to the first byte from the next route. */
  failoverMs: number | null;
  error: string | null;
  attempts: AttemptRecord[];
}

export interface TokenCounts {
  requests: number;
  tokens_in: number;
  tokens_out: number;
  tokens_cached: number;
}

export interface RouteUsage extends TokenCounts {
  successes: number;
  failures: number;
  last_error: string | null;
}

export interface ProviderUsage {
  total_requests: number;
  successes: number;
  failures: number;
  total_tokens_in: number;
  total_tokens_out: number;
  total_tokens_cached: number;
  /** Requests whose tokens are (partly) chars/4 estimates. */
  estimated_requests: number;
  total_duration_s: number;
  models: Record<string, { requests: number; tokens_in: number; tokens_out: number; tokens_cached: number }>;
  /** Pools only: each route's share, failovers included. */
  routes?: Record<string, RouteUsage>;
  last_used: string | null;
  last_error: string | null;
  /** The launcher's name for it, when known (endpoint or pool). */
  label?: string;
  /** First-byte times of the most recent requests (ms), oldest first; for p50/p90. */
  ttfb_ms_recent: number[];
}

export interface HourBucket {
  requests: number;
  failures: number;
  tokens_in: number;
  tokens_out: number;
}

export interface UsageStats {
  providers: Record<string, ProviderUsage>;
  /** Hour number since the epoch (UTC) → provider → counts; the last 7 days. */
  hourly: Record<string, Record<string, HourBucket>>;
  /** Local date YYYY-MM-DD → label → model → tokens; kept DAILY_DAYS days (cost and budgets). */
  daily: Record<string, Record<string, Record<string, TokenCounts>>>;
  updated: string | null;
}

export const HOURS_KEPT = 7 * 24;
export const DAILY_DAYS = 100;
export const TTFB_SAMPLES = 200;
const HOUR_MS = 3600 * 1000;

export function emptyUsageStats(): UsageStats {
  return { providers: {}, hourly: {}, daily: {}, updated: null };
}

export class UsageStatsFormatError extends Error {
  override name = "UsageStatsFormatError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : null);

function counts(v: unknown): TokenCounts {
  const o = isObject(v) ? v : {};
  return { requests: num(o.requests), tokens_in: num(o.tokens_in), tokens_out: num(o.tokens_out), tokens_cached: num(o.tokens_cached) };
}

function mapOf<T>(v: unknown, each: (item: unknown) => T): Record<string, T> {
  const out: Record<string, T> = {};
  if (isObject(v)) for (const [k, item] of Object.entries(v)) out[k] = each(item);
  return out;
}

/**
 * Reads the file (the original's B.18 fields, with what is missing filled in). Throws
 * UsageStatsFormatError for text that is not a JSON object; the caller keeps such a file aside.
 */
export function parseUsageStats(text: string): UsageStats {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageStatsFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new UsageStatsFormatError("the top level must be a JSON object");
  const providers = mapOf(raw.providers, (p): ProviderUsage => {
    const o = isObject(p) ? p : {};
    const usage: ProviderUsage = {
      total_requests: num(o.total_requests), successes: num(o.successes), failures: num(o.failures),
      total_tokens_in: num(o.total_tokens_in), total_tokens_out: num(o.total_tokens_out), total_tokens_cached: num(o.total_tokens_cached),
      estimated_requests: num(o.estimated_requests), total_duration_s: num(o.total_duration_s),
      models: mapOf(o.models, (m) => {
        const c = counts(m);
        return { requests: c.requests, tokens_in: c.tokens_in, tokens_out: c.tokens_out, tokens_cached: c.tokens_cached };
      }),
      last_used: strOrNull(o.last_used), last_error: strOrNull(o.last_error),
      ttfb_ms_recent: Array.isArray(o.ttfb_ms_recent) ? o.ttfb_ms_recent.filter((x): x is number => typeof x === "number" && Number.isFinite(x)) : [],
    };
    if (isObject(o.routes)) usage.routes = mapOf(o.routes, (r) => {
      const ro = isObject(r) ? r : {};
      return { ...counts(r), successes: num(ro.successes), failures: num(ro.failures), last_error: strOrNull(ro.last_error) };
    });
    if (typeof o.label === "string") usage.label = o.label;
    return usage;
  });
  const hourly = mapOf(raw.hourly, (h) => mapOf(h, (b): HourBucket => {
    const o = isObject(b) ? b : {};
    return { requests: num(o.requests), failures: num(o.failures), tokens_in: num(o.tokens_in), tokens_out: num(o.tokens_out) };
  }));
  const daily = mapOf(raw.daily, (d) => mapOf(d, (l) => mapOf(l, counts)));
  return { providers, hourly, daily, updated: strOrNull(raw.updated) };
}

export function serializeUsageStats(stats: UsageStats): string {
  return `${JSON.stringify(stats, null, 1)}\n`;
}

/** The hour bucket key of a moment (hours since the epoch). */
export function hourKey(ms: number): string {
  return String(Math.floor(ms / HOUR_MS));
}

/** The local calendar date of a moment, YYYY-MM-DD (budgets are per calendar month where the user is). */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The provider delivered an answer (the client may still have left before its end). */
export function isSuccess(outcome: string): boolean {
  return outcome === "completed" || outcome === "incomplete";
}

/** Counted against the provider: it failed (not the client's leaving, nor a race it lost). */
export function isFailure(outcome: string): boolean {
  return outcome === "failed" || outcome === "failed_before_first_byte" || outcome === "rate_limited";
}

function emptyProvider(): ProviderUsage {
  return { total_requests: 0, successes: 0, failures: 0, total_tokens_in: 0, total_tokens_out: 0, total_tokens_cached: 0, estimated_requests: 0,
    total_duration_s: 0, models: {}, last_used: null, last_error: null, ttfb_ms_recent: [] };
}

/** Adds records to the document (a copy; the input is not changed) and drops buckets past their age. */
export function applyUsageRecords(stats: UsageStats, records: readonly UsageRecord[], nowMs: number): UsageStats {
  const out: UsageStats = JSON.parse(JSON.stringify(stats)) as UsageStats;
  for (const r of records) {
    const p = (out.providers[r.provider] ??= emptyProvider());
    p.total_requests++;
    if (isSuccess(r.outcome)) p.successes++;
    else if (isFailure(r.outcome)) p.failures++;
    p.total_tokens_in += r.tokensIn;
    p.total_tokens_out += r.tokensOut;
    p.total_tokens_cached += r.tokensCached;
    if (r.estimated) p.estimated_requests++;
    p.total_duration_s = Math.round((p.total_duration_s + r.durationMs / 1000) * 1000) / 1000;
    p.last_used = new Date(r.atMs).toISOString();
    if (r.error && !isSuccess(r.outcome)) p.last_error = r.error;
    if (r.label && r.label !== r.provider) p.label = r.label;
    if (r.ttfbMs !== null && isSuccess(r.outcome)) {
      p.ttfb_ms_recent.push(r.ttfbMs);
      if (p.ttfb_ms_recent.length > TTFB_SAMPLES) p.ttfb_ms_recent.splice(0, p.ttfb_ms_recent.length - TTFB_SAMPLES);
    }
    // Per model and per day: the request counts once, under the model that answered (or was tried
    // last); tokens count under the model of each try that cost any (a race's loser too).
    const dayLabel = ((out.daily[localDate(r.atMs)] ??= {})[r.label || r.provider] ??= {});
    const zero = () => ({ requests: 0, tokens_in: 0, tokens_out: 0, tokens_cached: 0 });
    (p.models[r.model] ??= zero()).requests++;
    (dayLabel[r.model] ??= zero()).requests++;
    const tries: { model: string; tokensIn: number; tokensOut: number; tokensCached: number }[] = r.attempts.length ? r.attempts : [r];
    for (const a of tries) {
      if (a.tokensIn + a.tokensOut + a.tokensCached === 0) continue;
      for (const bucket of [(p.models[a.model] ??= zero()), (dayLabel[a.model] ??= zero())]) {
        bucket.tokens_in += a.tokensIn;
        bucket.tokens_out += a.tokensOut;
        bucket.tokens_cached += a.tokensCached;
      }
    }
    if (r.provider.startsWith("bgp:")) {
      p.routes ??= {};
      for (const a of r.attempts) {
        if (a.route === null) continue;
        const ru = (p.routes[a.route] ??= { requests: 0, successes: 0, failures: 0, tokens_in: 0, tokens_out: 0, tokens_cached: 0, last_error: null });
        ru.requests++;
        if (isSuccess(a.outcome)) ru.successes++;
        else if (isFailure(a.outcome)) ru.failures++;
        ru.tokens_in += a.tokensIn;
        ru.tokens_out += a.tokensOut;
        ru.tokens_cached += a.tokensCached;
        if (a.error && isFailure(a.outcome)) ru.last_error = a.error;
      }
    }
    const h = ((out.hourly[hourKey(r.atMs)] ??= {})[r.provider] ??= { requests: 0, failures: 0, tokens_in: 0, tokens_out: 0 });
    h.requests++;
    if (isFailure(r.outcome)) h.failures++;
    h.tokens_in += r.tokensIn;
    h.tokens_out += r.tokensOut;
  }
  const oldestHour = Number(hourKey(nowMs)) - HOURS_KEPT;
  for (const key of Object.keys(out.hourly)) if (Number(key) <= oldestHour) delete out.hourly[key];
  const oldestDay = localDate(nowMs - DAILY_DAYS * 24 * HOUR_MS);
  for (const key of Object.keys(out.daily)) if (key < oldestDay) delete out.daily[key];
  out.updated = new Date(nowMs).toISOString();
  return out;
}

/** Sums of a request's tries (what the request cost in all). */
export function sumAttempts(attempts: readonly AttemptRecord[]): { tokensIn: number; tokensOut: number; tokensCached: number; estimated: boolean } {
  const sum = { tokensIn: 0, tokensOut: 0, tokensCached: 0, estimated: false };
  for (const a of attempts) {
    sum.tokensIn += a.tokensIn;
    sum.tokensOut += a.tokensOut;
    sum.tokensCached += a.tokensCached;
    sum.estimated ||= a.estimated;
  }
  return sum;
}

/** One requests.log line (JSON, snake_case); secrets are the writer's to redact. */
export function requestLogLine(r: UsageRecord): string {
  return JSON.stringify({
    ts: new Date(r.atMs).toISOString(), id: r.id, provider: r.provider, label: r.label, route: r.route, model: r.model, backend: r.backend,
    stream: r.stream, status: r.status, outcome: r.outcome, tokens_in: r.tokensIn, tokens_out: r.tokensOut, tokens_cached: r.tokensCached,
    estimated: r.estimated, duration_ms: r.durationMs, ttfb_ms: r.ttfbMs, failover_ms: r.failoverMs, error: r.error,
    attempts: r.attempts.map((a) => ({ route: a.route, model: a.model, outcome: a.outcome, status: a.status, tokens_in: a.tokensIn,
      tokens_out: a.tokensOut, tokens_cached: a.tokensCached, estimated: a.estimated, start_ms: a.startMs, first_byte_ms: a.firstByteMs,
      end_ms: a.endMs, error: a.error })),
  });
}

/** The provider key of a base URL: its host (and port when one is given), without credentials. */
export function providerHost(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(url.trim());
  return m ? m[1].toLowerCase() : url.trim() || "unknown";
}
