// AI BGP routing with an injected clock: score, breaker, half-open probe, cooldowns, the first-byte
// gate, the B.17 document.
import { parseHandedPool, PoolHandoverError } from "../../src/lib/pool-handover.js";
import { parseRouteStats, poolRoutes, routeKey, serializeRouteStats } from "../../src/lib/route-stats.js";
import { FirstByteGate } from "../../src/proxy/bgp/first-byte-gate.js";
import { PoolRouter, type RouteSettings } from "../../src/proxy/bgp/router.js";
import type { ResponsesEvent } from "../../src/proxy/translate/contract.js";

const route = (name: string, priority: number, pricePerMTok = 0): RouteSettings => ({ name, url: `http://${name}.test/v1`, model: `m-${name}`, priority, pricePerMTok });

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) };
  return c;
}

const names = (router: PoolRouter, exclude = new Set<number>()) => router.candidates(exclude).map((v) => v.settings.name);

describe("PoolRouter", () => {
  it("tries routes by priority when nothing else is known", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("b", 1), route("a", 0), route("c", 2)], c.now);
    expect(names(router)).toEqual(["a", "b", "c"]);
    expect(router.candidates()[0].score).toBe(0);
    expect(names(router, new Set([1]))).toEqual(["b", "c"]);
  });

  it("scores priority, EWMA first-byte time, recent errors and price together", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("fast", 1), route("slow", 0), route("dear", 0, 30)], c.now);
    // slow: 4 s to the first byte → 5·4 = 20 points, more than its one priority step ahead of fast.
    router.take(1);
    router.succeeded(1, 4000);
    router.take(0);
    router.succeeded(0, 200);
    const views = router.candidates();
    expect(views.map((v) => [v.settings.name, v.score])).toEqual([["fast", 11], ["slow", 20], ["dear", 30]]);
    // EWMA with α 0.25: 4 s then 0 s → 3 s.
    router.take(1);
    router.succeeded(1, 0);
    expect(router.candidates().find((v) => v.settings.name === "slow")!.ewmaTtfbS).toBe(3);
    // One failure after one success: 'fast' has an error rate of 1/2 (50 points).
    router.take(0);
    router.failed(0, "HTTP 500");
    expect(router.candidates().find((v) => v.settings.name === "fast")!.errorRate).toBeCloseTo(1 / 2, 5);
    expect(names(router)[0]).toBe("slow");
    // The window forgets: ten minutes later the failure no longer counts.
    c.advance(11 * 60_000);
    expect(router.candidates().find((v) => v.settings.name === "fast")!.errorRate).toBe(0);
  });

  it("opens a route after 3 failures in a row for 60 s, probes it half-open once, closes it on success", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("broken", 0), route("good", 1)], c.now);
    for (let i = 0; i < 2; i++) {
      router.take(0);
      router.failed(0, "HTTP 500");
    }
    expect(names(router)).toEqual(["good", "broken"]);
    router.take(0);
    router.failed(0, "HTTP 500");
    expect(names(router)).toEqual(["good"]);
    expect(router.transitions()).toEqual([{ kind: "opened", route: "broken", failures: 3, untilMs: c.t + 60_000 }]);
    c.advance(59_999);
    expect(names(router)).toEqual(["good"]);
    c.advance(1);
    expect(router.views()[1].state).toBe("half_open");
    expect(names(router)).toEqual(["good", "broken"]);
    expect(router.transitions()).toEqual([{ kind: "half_open", route: "broken" }]);
    router.take(0);
    // One probe at a time.
    expect(names(router)).toEqual(["good"]);
    router.succeeded(0, 100);
    expect(router.views().find((v) => v.settings.name === "broken")!.state).toBe("closed");
    expect(router.transitions()).toEqual([{ kind: "closed", route: "broken" }]);
  });

  it("opens a half-open route again when its probe fails", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("x", 0)], c.now);
    for (let i = 0; i < 3; i++) {
      router.take(0);
      router.failed(0, "refused");
    }
    c.advance(60_000);
    router.take(0);
    router.failed(0, "refused");
    expect(router.views()[0].state).toBe("open");
    expect(router.views()[0].availableAtMs).toBe(c.t + 60_000);
    // A probe that ends without a verdict (the client left) frees the probe slot.
    c.advance(60_000);
    router.take(0);
    expect(router.candidates().length).toBe(0);
    router.released(0);
    expect(router.candidates().length).toBe(1);
  });

  it("cools a rate-limited route down for its Retry-After, else 120 s, without opening it", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("limited", 0), route("other", 1)], c.now);
    router.take(0);
    router.rateLimited(0, 30_000, "HTTP 429");
    expect(names(router)).toEqual(["other"]);
    expect(router.views().find((v) => v.settings.name === "limited")).toEqual(jasmine.objectContaining({ state: "cooling", consecutiveFailures: 0, availableAtMs: c.t + 30_000 }));
    c.advance(30_000);
    expect(names(router)).toEqual(["other", "limited"]);
    router.take(0);
    router.rateLimited(0, null, "HTTP 429");
    expect(router.views().find((v) => v.settings.name === "limited")!.availableAtMs).toBe(c.t + 120_000);
  });

  it("says when every route is down, whether only rate limits are to blame, and when one comes back", () => {
    const c = clock();
    const router = new PoolRouter("P", [route("a", 0), route("b", 1)], c.now);
    router.rateLimited(0, 10_000, "429");
    router.rateLimited(1, 40_000, "429");
    expect(router.exhausted()).toBeTrue();
    expect(router.blocked()).toEqual({ allCooling: true, retryAfterMs: 10_000 });
    expect(router.transitions()).toEqual([{ kind: "cooling", route: "a", untilMs: c.t + 10_000 }, { kind: "cooling", route: "b", untilMs: c.t + 40_000 },
      { kind: "exhausted", open: 0, cooling: 2, retryAfterMs: 10_000 }]);
    expect(router.transitions()).toEqual([]);
    c.advance(10_000);
    expect(router.exhausted()).toBeFalse();
    expect(router.transitions()).toEqual([{ kind: "closed", route: "a" }, { kind: "recovered" }]);
    for (let i = 0; i < 3; i++) router.failed(0, "500");
    expect(router.blocked()).toEqual({ allCooling: false, retryAfterMs: 30_000 });
  });

  it("writes the B.17 document and picks it up again after a restart", () => {
    const c = clock(1_700_000_000_000);
    const router = new PoolRouter("P", [route("a", 0), route("b", 1)], c.now);
    router.take(0);
    router.succeeded(0, 1500);
    for (let i = 0; i < 3; i++) {
      router.take(1);
      router.failed(1, "HTTP 500: boom");
    }
    const file = router.snapshot();
    const key = routeKey("b", "http://b.test/v1", "m-b");
    expect(Object.keys(file)).toEqual([routeKey("a", "http://a.test/v1", "m-a"), key]);
    expect(file[key]).toEqual(jasmine.objectContaining({ consecutive_failures: 3, last_failure: 1_700_000_000, open_until_ts: 1_700_000_060,
      rate_limited_until: null, last_error: "HTTP 500: boom", pool: "P", route: "b", state: "open", requests: 3, failures: 3 }));
    expect(file[routeKey("a", "http://a.test/v1", "m-a")].ewma_latency_s).toBe(1.5);
    const reread = parseRouteStats(serializeRouteStats(file));
    expect(poolRoutes(reread, "P").map((e) => e.route)).toEqual(["a", "b"]);
    const again = new PoolRouter("P", [route("a", 0), route("b", 1)], c.now);
    again.restore(reread);
    expect(names(again)).toEqual(["a"]);
    expect(again.transitions()).toEqual([]);
    // The original's entries (without our fields) are read too.
    expect(parseRouteStats(JSON.stringify({ "x::http://h/v1::m": { ewma_latency_s: 0.5, consecutive_failures: 1 } }))["x::http://h/v1::m"])
      .toEqual(jasmine.objectContaining({ route: "x", url: "http://h/v1", model: "m", ewma_latency_s: 0.5, state: "closed" }));
  });
});

describe("FirstByteGate", () => {
  const ev = (type: string): ResponsesEvent => ({ type, sequence_number: 0 });

  it("holds the opening events until something real comes, then lets everything through", () => {
    const gate = new FirstByteGate(true);
    expect(gate.offer([ev("response.created"), ev("response.in_progress")])).toEqual({ forward: [], committedNow: false });
    expect(gate.offer([ev("response.output_item.added"), ev("response.content_part.added")]).forward).toEqual([]);
    const first = gate.offer([ev("response.output_text.delta")]);
    expect(first.committedNow).toBeTrue();
    expect(first.forward.map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.output_item.added",
      "response.content_part.added", "response.output_text.delta"]);
    expect(gate.offer([ev("response.failed")])).toEqual({ forward: [ev("response.failed")], committedNow: false });
  });

  it("drops an answer that fails before its first real event (the next route answers instead)", () => {
    const gate = new FirstByteGate(true);
    gate.offer([ev("response.created")]);
    expect(gate.offer([ev("response.failed")]).forward).toEqual([]);
    expect(gate.state).toBe("failed");
    expect(gate.offer([ev("response.output_text.delta")]).forward).toEqual([]);
  });

  it("lets a completed answer with no text commit, and passes everything at once when not holding", () => {
    const gate = new FirstByteGate(true);
    expect(gate.offer([ev("response.created"), ev("response.completed")]).committedNow).toBeTrue();
    const open = new FirstByteGate(false);
    expect(open.offer([ev("response.created")])).toEqual({ forward: [ev("response.created")], committedNow: false });
  });
});

describe("pool handover", () => {
  it("reads the resolved pool, defaulting what the original's bgp_routes left out", () => {
    const pool = parseHandedPool({ pool: "P", strategy: "race", routes: [{ name: "a", backend: "anthropic", target_url: "https://a/v1", api_key: "k", model: "m", priority: 2, price_per_mtok: 9 }] });
    expect(pool).toEqual({ pool: "P", strategy: "race", routes: [{ name: "a", backend: "anthropic", target_url: "https://a/v1", api_key: "k", model: "m", priority: 2, price_per_mtok: 9 }] });
    expect(parseHandedPool([{ target_url: "http://x/v1", model: "m" }], "orig").routes[0]).toEqual({ name: "route-1", backend: "openai-compat",
      target_url: "http://x/v1", api_key: "", model: "m", priority: 0, price_per_mtok: 0 });
  });

  it("refuses pools it cannot route, saying why", () => {
    expect(() => parseHandedPool({ pool: "P", routes: [] })).toThrowError(PoolHandoverError, /has no routes/);
    expect(() => parseHandedPool({ pool: "P", strategy: "random", routes: [{}] })).toThrowError(PoolHandoverError, /failover or race/);
    expect(() => parseHandedPool({ pool: "P", routes: [{ name: "a", target_url: "ftp://x", model: "m" }] })).toThrowError(PoolHandoverError, /http\(s\) URL/);
    expect(() => parseHandedPool({ pool: "P", routes: [{ name: "a", target_url: "http://x", model: "m", backend: "kiro-oauth" }] })).toThrowError(PoolHandoverError, /not served/);
    expect(() => parseHandedPool({ pool: "P", routes: [{ name: "a", target_url: "http://x", model: "m", backend: "gemini-oauth-cli" }] })).toThrowError(PoolHandoverError, /Google login/);
    expect(() => parseHandedPool({ pool: "P", routes: [{ name: "a", target_url: "http://x", model: "m" }, { name: "a", target_url: "http://y", model: "m" }] }))
      .toThrowError(PoolHandoverError, /two routes are named 'a'/);
  });
});
