// bgp-route-stats.json: each pool route's health as the proxy last saw it (B.17 shape: a flat object
// keyed `name::url::model`, the original's fields, plus the state, score and pool the AI BGP window
// shows). Written by the proxy, read by the launcher. Pure.

export type RouteStateName = "closed" | "open" | "half_open" | "cooling";

export interface RouteStatsEntry {
  /** EWMA of the time to the route's first byte, seconds (α 0.25); the original's name. */
  ewma_latency_s: number | null;
  consecutive_failures: number;
  /** Epoch seconds, as the original wrote them. */
  last_success: number | null;
  last_failure: number | null;
  open_until_ts: number | null;
  rate_limited_until: number | null;
  last_error: string | null;
  pool: string;
  route: string;
  model: string;
  url: string;
  priority: number;
  state: RouteStateName;
  /** Lower is tried first (see proxy/bgp/router.ts). */
  score: number;
  /** Share of failed tries in the recent window (0..1). */
  error_rate: number;
  requests: number;
  failures: number;
  /** Epoch seconds of this entry. */
  updated: number;
}

export type RouteStatsFile = Record<string, RouteStatsEntry>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const num = (v: unknown): number => numOrNull(v) ?? 0;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const STATES: readonly RouteStateName[] = ["closed", "open", "half_open", "cooling"];

export function routeKey(name: string, url: string, model: string): string {
  return `${name}::${url}::${model}`;
}

/** Throws on text that is not a JSON object; entries of other shapes (the original's) are filled in. */
export function parseRouteStats(text: string): RouteStatsFile {
  const raw = JSON.parse(text) as unknown;
  if (!isObject(raw)) throw new Error("the top level must be a JSON object");
  const out: RouteStatsFile = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!isObject(value)) continue;
    const [name = "", url = "", model = ""] = key.split("::");
    out[key] = {
      ewma_latency_s: numOrNull(value.ewma_latency_s), consecutive_failures: num(value.consecutive_failures),
      last_success: numOrNull(value.last_success), last_failure: numOrNull(value.last_failure), open_until_ts: numOrNull(value.open_until_ts),
      rate_limited_until: numOrNull(value.rate_limited_until), last_error: typeof value.last_error === "string" ? value.last_error : null,
      pool: str(value.pool), route: str(value.route) || name, model: str(value.model) || model, url: str(value.url) || url,
      priority: num(value.priority), state: STATES.includes(value.state as RouteStateName) ? value.state as RouteStateName : "closed",
      score: num(value.score), error_rate: num(value.error_rate), requests: num(value.requests), failures: num(value.failures), updated: num(value.updated),
    };
  }
  return out;
}

export function serializeRouteStats(file: RouteStatsFile): string {
  return `${JSON.stringify(file, null, 1)}\n`;
}

/** A pool's entries, best score first. */
export function poolRoutes(file: RouteStatsFile, pool: string): RouteStatsEntry[] {
  return Object.values(file).filter((e) => e.pool === pool).sort((a, b) => a.score - b.score);
}
