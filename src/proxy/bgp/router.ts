// AI BGP: which of a pool's routes to try, in what order, and each route's health. Pure: the clock is
// injected, the proxy feeds it outcomes.
//
// Order: ascending score = 10·priority + min(5·EWMA first-byte seconds, 50) + 100·recent error rate
// + min(blended USD per million tokens, 50). The user's order leads; a route 2 s slower than the next,
// one that failed recently, or an expensive one gives way. Unlike the original's `failures·20`, the error
// rate decays with time (a window), so a route that failed once yesterday is not punished today.
// Breaker: 3 failures in a row open a route for 60 s; then it is half-open: one request may probe it
// (one at a time); success closes it, failure opens it again. A 429 cools the route down for its
// Retry-After (else 120 s) without counting toward the breaker: being rate limited is not being broken.
import { routeKey, type RouteStateName, type RouteStatsEntry, type RouteStatsFile } from "../../lib/route-stats.js";

export interface RouteSettings {
  name: string;
  /** Public URL (credentials taken out): part of the B.17 key. */
  url: string;
  model: string;
  priority: number;
  /** Blended USD per million tokens (0: free or unknown). */
  pricePerMTok: number;
}

export interface RouterPolicy {
  failuresToOpen: number;
  openMs: number;
  defaultCooldownMs: number;
  maxCooldownMs: number;
  ewmaAlpha: number;
  errorWindowMs: number;
  errorWindowSize: number;
  weights: { priority: number; ttfbPerS: number; ttfbCap: number; errorRate: number; price: number; priceCap: number };
}

export const DEFAULT_ROUTER_POLICY: RouterPolicy = {
  failuresToOpen: 3, openMs: 60_000, defaultCooldownMs: 120_000, maxCooldownMs: 3_600_000, ewmaAlpha: 0.25,
  errorWindowMs: 10 * 60_000, errorWindowSize: 20,
  weights: { priority: 10, ttfbPerS: 5, ttfbCap: 50, errorRate: 100, price: 1, priceCap: 50 },
};

interface Health {
  ewmaTtfbS: number | null;
  consecutiveFailures: number;
  lastSuccessMs: number | null;
  lastFailureMs: number | null;
  /** Set while the breaker is open or half-open (the moment it opened + openMs). */
  openUntilMs: number | null;
  probeInFlight: boolean;
  coolingUntilMs: number | null;
  lastError: string | null;
  outcomes: { atMs: number; ok: boolean }[];
  requests: number;
  failures: number;
}

export interface RouteView {
  key: string;
  index: number;
  settings: RouteSettings;
  state: RouteStateName;
  score: number;
  errorRate: number;
  ewmaTtfbS: number | null;
  consecutiveFailures: number;
  /** When an open or cooling route may take traffic again. */
  availableAtMs: number | null;
}

export type Transition =
  | { kind: "opened"; route: string; failures: number; untilMs: number }
  | { kind: "half_open"; route: string }
  | { kind: "closed"; route: string }
  | { kind: "cooling"; route: string; untilMs: number }
  | { kind: "exhausted"; open: number; cooling: number; retryAfterMs: number }
  | { kind: "recovered" };

/** Why no route can be tried now, and when one can. */
export interface Blocked {
  /** Every unavailable route is only cooling down (rate limited), none is open. */
  allCooling: boolean;
  retryAfterMs: number;
}

export class PoolRouter {
  readonly #health: Health[];
  readonly #keys: string[];
  #reported: RouteStateName[];
  #exhausted = false;

  constructor(readonly pool: string, readonly routes: readonly RouteSettings[], private readonly now: () => number,
    readonly policy: RouterPolicy = DEFAULT_ROUTER_POLICY) {
    this.#keys = routes.map((r) => routeKey(r.name, r.url, r.model));
    this.#health = routes.map(() => ({ ewmaTtfbS: null, consecutiveFailures: 0, lastSuccessMs: null, lastFailureMs: null, openUntilMs: null,
      probeInFlight: false, coolingUntilMs: null, lastError: null, outcomes: [], requests: 0, failures: 0 }));
    this.#reported = routes.map(() => "closed");
  }

  /** Picks up what an earlier proxy learned (bgp-route-stats.json), for the routes that are still the same. */
  restore(file: RouteStatsFile): void {
    this.#keys.forEach((key, i) => {
      const e = file[key];
      if (!e) return;
      const h = this.#health[i];
      h.ewmaTtfbS = e.ewma_latency_s;
      h.consecutiveFailures = e.consecutive_failures;
      h.lastSuccessMs = e.last_success === null ? null : e.last_success * 1000;
      h.lastFailureMs = e.last_failure === null ? null : e.last_failure * 1000;
      h.openUntilMs = e.open_until_ts === null ? null : e.open_until_ts * 1000;
      h.coolingUntilMs = e.rate_limited_until === null ? null : e.rate_limited_until * 1000;
      h.lastError = e.last_error;
      h.requests = e.requests;
      h.failures = e.failures;
    });
    this.#reported = this.#health.map((_, i) => this.#state(i, this.now()));
  }

  #state(i: number, now: number): RouteStateName {
    const h = this.#health[i];
    if (h.openUntilMs !== null) return now < h.openUntilMs ? "open" : "half_open";
    if (h.coolingUntilMs !== null && now < h.coolingUntilMs) return "cooling";
    return "closed";
  }

  #available(i: number, now: number): boolean {
    const h = this.#health[i];
    if (h.coolingUntilMs !== null && now < h.coolingUntilMs) return false;
    const state = this.#state(i, now);
    return state === "closed" || (state === "half_open" && !h.probeInFlight);
  }

  #errorRate(i: number, now: number): number {
    const recent = this.#health[i].outcomes.filter((o) => now - o.atMs <= this.policy.errorWindowMs);
    return recent.length === 0 ? 0 : recent.filter((o) => !o.ok).length / recent.length;
  }

  #score(i: number, now: number): number {
    const w = this.policy.weights;
    const h = this.#health[i];
    const ttfb = Math.min(w.ttfbPerS * (h.ewmaTtfbS ?? 0), w.ttfbCap);
    const price = Math.min(w.price * this.routes[i].pricePerMTok, w.priceCap);
    return Math.round((w.priority * this.routes[i].priority + ttfb + w.errorRate * this.#errorRate(i, now) + price) * 100) / 100;
  }

  #view(i: number, now: number): RouteView {
    const h = this.#health[i];
    const state = this.#state(i, now);
    const until = Math.max(state === "open" ? h.openUntilMs ?? 0 : 0, h.coolingUntilMs !== null && now < h.coolingUntilMs ? h.coolingUntilMs : 0);
    return { key: this.#keys[i], index: i, settings: this.routes[i], state, score: this.#score(i, now), errorRate: this.#errorRate(i, now),
      ewmaTtfbS: h.ewmaTtfbS, consecutiveFailures: h.consecutiveFailures, availableAtMs: until > 0 ? until : null };
  }

  /** Every route as it stands, in the order they would be tried (unavailable ones last). */
  views(): RouteView[] {
    const now = this.now();
    const all = this.routes.map((_, i) => this.#view(i, now));
    const rank = (v: RouteView) => (this.#available(v.index, now) ? 0 : 1);
    return all.sort((a, b) => rank(a) - rank(b) || a.score - b.score || a.index - b.index);
  }

  /** Routes that may be tried now, best first, leaving out those already tried in this request. */
  candidates(exclude: ReadonlySet<number> = new Set()): RouteView[] {
    const now = this.now();
    return this.routes.map((_, i) => i).filter((i) => !exclude.has(i) && this.#available(i, now)).map((i) => this.#view(i, now))
      .sort((a, b) => a.score - b.score || a.index - b.index);
  }

  /** A request goes to route `i` (a half-open route is now being probed: no second probe meanwhile). */
  take(i: number): void {
    const h = this.#health[i];
    h.requests++;
    if (this.#state(i, this.now()) === "half_open") h.probeInFlight = true;
  }

  #outcome(i: number, ok: boolean, now: number): void {
    const h = this.#health[i];
    h.outcomes.push({ atMs: now, ok });
    const cutoff = now - this.policy.errorWindowMs;
    while (h.outcomes.length > this.policy.errorWindowSize || (h.outcomes.length > 0 && h.outcomes[0].atMs < cutoff)) h.outcomes.shift();
  }

  /** The route answered (its first byte came after `ttfbMs`). */
  succeeded(i: number, ttfbMs: number | null): void {
    const now = this.now();
    const h = this.#health[i];
    if (ttfbMs !== null) {
      const s = ttfbMs / 1000;
      h.ewmaTtfbS = h.ewmaTtfbS === null ? s : this.policy.ewmaAlpha * s + (1 - this.policy.ewmaAlpha) * h.ewmaTtfbS;
      h.ewmaTtfbS = Math.round(h.ewmaTtfbS * 1000) / 1000;
    }
    h.consecutiveFailures = 0;
    h.openUntilMs = null;
    h.probeInFlight = false;
    h.lastSuccessMs = now;
    this.#outcome(i, true, now);
  }

  /** The route failed (an error status, no connection, a broken stream). */
  failed(i: number, error: string): void {
    const now = this.now();
    const h = this.#health[i];
    const wasHalfOpen = this.#state(i, now) === "half_open";
    h.consecutiveFailures++;
    h.failures++;
    h.lastFailureMs = now;
    h.lastError = error;
    h.probeInFlight = false;
    if (wasHalfOpen || h.consecutiveFailures >= this.policy.failuresToOpen) h.openUntilMs = now + this.policy.openMs;
    this.#outcome(i, false, now);
  }

  /** The route said 429: it cools down for its Retry-After (bounded), else the default. */
  rateLimited(i: number, retryAfterMs: number | null, error: string): void {
    const now = this.now();
    const h = this.#health[i];
    const wait = retryAfterMs === null ? this.policy.defaultCooldownMs : Math.min(Math.max(retryAfterMs, 1000), this.policy.maxCooldownMs);
    h.coolingUntilMs = now + wait;
    h.failures++;
    h.lastFailureMs = now;
    h.lastError = error;
    h.probeInFlight = false;
    this.#outcome(i, false, now);
  }

  /** The try ended without telling anything about the route (a race it lost, the client left, a bad request). */
  released(i: number): void {
    this.#health[i].probeInFlight = false;
  }

  /** When nothing can be tried: whether it is only rate limits, and when the first route comes back. */
  blocked(): Blocked {
    const now = this.now();
    const views = this.routes.map((_, i) => this.#view(i, now));
    const waits = views.map((v) => (v.availableAtMs === null ? 0 : Math.max(0, v.availableAtMs - now)));
    return { allCooling: views.every((v) => v.state === "cooling"), retryAfterMs: waits.length ? Math.min(...waits) : 0 };
  }

  /** Every route is open or cooling down (a half-open one still probing counts as down). */
  exhausted(): boolean {
    const now = this.now();
    return this.routes.length > 0 && this.routes.every((_, i) => !this.#available(i, now) && !this.#health[i].probeInFlight);
  }

  /** What changed since the last call: each route's state, and the pool as a whole (for the log). */
  transitions(): Transition[] {
    const now = this.now();
    const out: Transition[] = [];
    this.routes.forEach((route, i) => {
      const state = this.#state(i, now);
      if (state === this.#reported[i]) return;
      const h = this.#health[i];
      if (state === "open") out.push({ kind: "opened", route: route.name, failures: h.consecutiveFailures, untilMs: h.openUntilMs! });
      else if (state === "half_open") out.push({ kind: "half_open", route: route.name });
      else if (state === "cooling") out.push({ kind: "cooling", route: route.name, untilMs: h.coolingUntilMs! });
      else out.push({ kind: "closed", route: route.name });
      this.#reported[i] = state;
    });
    const exhausted = this.exhausted();
    if (exhausted && !this.#exhausted) {
      const views = this.routes.map((_, i) => this.#state(i, now));
      out.push({ kind: "exhausted", open: views.filter((s) => s === "open" || s === "half_open").length, cooling: views.filter((s) => s === "cooling").length,
        retryAfterMs: this.blocked().retryAfterMs });
    } else if (!exhausted && this.#exhausted) out.push({ kind: "recovered" });
    this.#exhausted = exhausted;
    return out;
  }

  /** The B.17 document for this pool's routes. */
  snapshot(): RouteStatsFile {
    const now = this.now();
    const sec = (ms: number | null) => (ms === null ? null : Math.round(ms) / 1000);
    const out: RouteStatsFile = {};
    this.routes.forEach((r, i) => {
      const h = this.#health[i];
      const v = this.#view(i, now);
      const entry: RouteStatsEntry = {
        ewma_latency_s: h.ewmaTtfbS, consecutive_failures: h.consecutiveFailures, last_success: sec(h.lastSuccessMs), last_failure: sec(h.lastFailureMs),
        open_until_ts: sec(h.openUntilMs), rate_limited_until: sec(h.coolingUntilMs !== null && h.coolingUntilMs > now ? h.coolingUntilMs : null),
        last_error: h.lastError, pool: this.pool, route: r.name, model: r.model, url: r.url, priority: r.priority, state: v.state, score: v.score,
        error_rate: Math.round(v.errorRate * 1000) / 1000, requests: h.requests, failures: h.failures, updated: sec(now)!,
      };
      out[this.#keys[i]] = entry;
    });
    return out;
  }
}
