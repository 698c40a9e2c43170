// Usage accounting (usage-stats.json, B.18 shape), prices and budgets, and the bgp-pools.json model.
import { moveRoute, parsePools, poolLabel, PoolsFormatError, removePool, resolveRoute, serializePools, sortedRoutes, stripPoolMark, upsertPool,
  validatePool, type BgpPool } from "../../src/lib/bgp-pools.js";
import { parseEndpoints, setDefaultEndpoint, type Endpoint } from "../../src/lib/endpoints.js";
import { blendedPrice, costUsd, DEFAULT_PRICES, effectivePrices, parseUsageSettings, priceOf, UsageSettingsFormatError } from "../../src/lib/prices.js";
import { badgeFor, budgetAlertText, dueBudgetAlerts, hourSeries, summarize } from "../../src/launcher/usage-summary.js";
import { formatCount, hourLabels, niceCeiling, stackedBars } from "../../src/ui/plot-geometry.js";
import { applyUsageRecords, emptyUsageStats, hourKey, localDate, parseUsageStats, providerHost, requestLogLine, serializeUsageStats, UsageStatsFormatError,
  type AttemptRecord, type UsageRecord } from "../../src/lib/usage-stats.js";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

const attempt = (over: Partial<AttemptRecord> = {}): AttemptRecord => ({ route: null, model: "m", outcome: "completed", status: 200, tokensIn: 100, tokensOut: 10,
  tokensCached: 0, estimated: false, startMs: 0, firstByteMs: 50, endMs: 80, error: null, ...over });

const rec = (over: Partial<UsageRecord> = {}): UsageRecord => {
  const attempts = over.attempts ?? [attempt()];
  return { atMs: T0, id: "req_1", provider: "api.example.com", label: "Example", route: null, model: "m", backend: "openai-compat", stream: true, status: 200,
    outcome: "completed", tokensIn: attempts.reduce((a, t) => a + t.tokensIn, 0), tokensOut: attempts.reduce((a, t) => a + t.tokensOut, 0),
    tokensCached: attempts.reduce((a, t) => a + t.tokensCached, 0), estimated: attempts.some((a) => a.estimated), durationMs: 1200, ttfbMs: 300,
    failoverMs: null, error: null, ...over, attempts };
};

describe("usage-stats.json", () => {
  it("adds requests per provider in the original's fields, with models, hours, days and first-byte times", () => {
    let stats = applyUsageRecords(emptyUsageStats(), [rec(), rec({ outcome: "failed", status: 502, error: "HTTP 502", attempts: [attempt({ outcome: "failed", tokensIn: 0, tokensOut: 0 })] })], T0);
    stats = applyUsageRecords(stats, [rec({ atMs: T0 + 3600_000, model: "n", attempts: [attempt({ model: "n", tokensIn: 7, tokensOut: 3, tokensCached: 2 })] })], T0 + 3600_000);
    const p = stats.providers["api.example.com"];
    expect(p).toEqual(jasmine.objectContaining({ total_requests: 3, successes: 2, failures: 1, total_tokens_in: 107, total_tokens_out: 13, total_tokens_cached: 2,
      estimated_requests: 0, total_duration_s: 3.6, last_error: "HTTP 502", label: "Example" }));
    expect(p.models).toEqual({ m: { requests: 2, tokens_in: 100, tokens_out: 10, tokens_cached: 0 }, n: { requests: 1, tokens_in: 7, tokens_out: 3, tokens_cached: 2 } });
    expect(p.ttfb_ms_recent).toEqual([300, 300]);
    expect(stats.hourly[hourKey(T0)]["api.example.com"]).toEqual({ requests: 2, failures: 1, tokens_in: 100, tokens_out: 10 });
    expect(stats.daily[localDate(T0)].Example.m).toEqual({ requests: 2, tokens_in: 100, tokens_out: 10, tokens_cached: 0 });
    expect(stats.updated).toBe(new Date(T0 + 3600_000).toISOString());
    // The file reads back as it was written.
    expect(parseUsageStats(serializeUsageStats(stats))).toEqual(stats);
  });

  it("counts a pool's failovers per route and a race loser's estimated input under its own model", () => {
    const tries = [attempt({ route: "a", model: "ma", outcome: "failed_before_first_byte", status: 500, tokensIn: 0, tokensOut: 0, error: "HTTP 500" }),
      attempt({ route: "b", model: "mb", outcome: "race_lost", tokensIn: 40, tokensOut: 0, estimated: true }), attempt({ route: "c", model: "mc" })];
    const stats = applyUsageRecords(emptyUsageStats(), [rec({ provider: "bgp:P", label: "bgp:P", route: "c", model: "mc", attempts: tries })], T0);
    const p = stats.providers["bgp:P"];
    expect(p.routes).toEqual({ a: { requests: 1, successes: 0, failures: 1, tokens_in: 0, tokens_out: 0, tokens_cached: 0, last_error: "HTTP 500" },
      b: { requests: 1, successes: 0, failures: 0, tokens_in: 40, tokens_out: 0, tokens_cached: 0, last_error: null },
      c: { requests: 1, successes: 1, failures: 0, tokens_in: 100, tokens_out: 10, tokens_cached: 0, last_error: null } });
    expect(p.models).toEqual({ mc: { requests: 1, tokens_in: 100, tokens_out: 10, tokens_cached: 0 }, mb: { requests: 0, tokens_in: 40, tokens_out: 0, tokens_cached: 0 } });
    expect(p.estimated_requests).toBe(1);
    expect(p.total_tokens_in).toBe(140);
  });

  it("keeps 7 days of hours and 100 days of days", () => {
    let stats = applyUsageRecords(emptyUsageStats(), [rec({ atMs: T0 - 8 * 86400_000 }), rec({ atMs: T0 - 101 * 86400_000 }), rec()], T0);
    expect(Object.keys(stats.hourly)).toEqual([hourKey(T0)]);
    expect(Object.keys(stats.daily).sort()).toEqual([localDate(T0 - 8 * 86400_000), localDate(T0)]);
    stats = applyUsageRecords(stats, [], T0 + 8 * 86400_000);
    expect(Object.keys(stats.hourly)).toEqual([]);
  });

  it("reads the original's file (no new fields) and refuses what is not JSON", () => {
    const stats = parseUsageStats(JSON.stringify({ providers: { "api.z.ai": { total_requests: 4, successes: 3, failures: 1, total_tokens_in: 10, total_tokens_out: 5,
      total_duration_s: 2, models: { "glm-5.1": { requests: 4, tokens_in: 10, tokens_out: 5 } }, last_used: "2025-01-01T00:00:00Z", last_error: "x" } }, updated: "t" }));
    expect(stats.providers["api.z.ai"].models["glm-5.1"]).toEqual({ requests: 4, tokens_in: 10, tokens_out: 5, tokens_cached: 0 });
    expect(stats.providers["api.z.ai"].ttfb_ms_recent).toEqual([]);
    expect(stats.hourly).toEqual({});
    expect(() => parseUsageStats("{")).toThrowError(UsageStatsFormatError, /not valid JSON/);
    expect(() => parseUsageStats("[]")).toThrowError(UsageStatsFormatError, /JSON object/);
  });

  it("writes one JSON line per request for requests.log, and keys providers by host", () => {
    const line = JSON.parse(requestLogLine(rec({ failoverMs: 12 })));
    expect(line).toEqual(jasmine.objectContaining({ id: "req_1", provider: "api.example.com", tokens_in: 100, tokens_out: 10, failover_ms: 12, ttfb_ms: 300 }));
    expect(line.attempts[0]).toEqual(jasmine.objectContaining({ outcome: "completed", first_byte_ms: 50 }));
    expect(providerHost("https://user:pw@API.Example.com:8443/v1?key=x")).toBe("api.example.com:8443");
    expect(providerHost("http://127.0.0.1:1234/v1")).toBe("127.0.0.1:1234");
  });
});

describe("prices and budgets", () => {
  it("prices the presets' published models and lets the user's prices win", () => {
    expect(DEFAULT_PRICES["gpt-4o"]).toEqual({ input: 2.5, output: 10, cached: 1.25 });
    const settings = parseUsageSettings(JSON.stringify({ prices: { "gpt-4o": { input: 1, output: 2 }, "glm-5.1": { input: 0.6, output: 2.2 } }, budgets: { Work: 20, "bgp:P": 5, Off: 0 } }));
    const prices = effectivePrices(settings);
    expect(prices["gpt-4o"]).toEqual({ input: 1, output: 2 });
    expect(priceOf(prices, "glm-5.1")).toEqual({ input: 0.6, output: 2.2 });
    expect(priceOf(prices, "anthropic:claude-sonnet-4-6")).toEqual({ input: 3, output: 15, cached: 0.3 });
    expect(priceOf(prices, "openai/gpt-4o-mini")).toEqual(DEFAULT_PRICES["gpt-4o-mini"]);
    expect(priceOf(prices, "unknown-model")).toBeNull();
    expect(settings.budgets).toEqual({ Work: 20, "bgp:P": 5 });
  });

  it("costs cached input at the cache price and the rest at the input price", () => {
    // 1M in (400k cached), 100k out at 3 / 0.3 / 15 per million.
    expect(costUsd({ tokens_in: 1_000_000, tokens_cached: 400_000, tokens_out: 100_000 }, { input: 3, output: 15, cached: 0.3 })).toBeCloseTo(1.8 + 0.12 + 1.5, 9);
    expect(costUsd({ tokens_in: 1000, tokens_cached: 1000, tokens_out: 0 }, { input: 2, output: 4 })).toBeCloseTo(0.002, 9);
    expect(blendedPrice({ input: 3, output: 15 })).toBe(9);
    expect(blendedPrice(null)).toBe(0);
  });

  it("refuses prices and budgets it cannot use, saying which", () => {
    expect(() => parseUsageSettings('{"prices":{"m":{"input":-1,"output":2}}}')).toThrowError(UsageSettingsFormatError, /'m'/);
    expect(() => parseUsageSettings('{"budgets":{"x":"ten"}}')).toThrowError(UsageSettingsFormatError, /'x'/);
    expect(() => parseUsageSettings("nope")).toThrowError(UsageSettingsFormatError, /not valid JSON/);
  });
});

describe("bgp-pools.json", () => {
  const endpoints: Endpoint[] = [
    { name: "Z.AI", backend_type: "openai-compat", base_url: "https://api.z.ai/api/coding/paas/v4", api_key: "", default_model: "glm-5.1", models: ["glm-5.1", "glm-5"], provider_preset: "Z.ai Coding" },
    { name: "Claude", backend_type: "anthropic", base_url: "https://api.anthropic.com/v1", api_key: "", default_model: "", models: ["claude-sonnet-4-5"], provider_preset: "Anthropic" },
    { name: "Gem", backend_type: "gemini-oauth-cli", base_url: "https://cloudcode-pa.googleapis.com", api_key: "", default_model: "gemini-2.5-pro", models: [], provider_preset: "x" },
  ];
  const ORIGINAL = JSON.stringify({ pools: [{ name: "Main", strategy: "failover", routes: [
    { name: "zai", endpoint_name: "Z.AI", target_url: "", api_key: "", model: "glm-5", priority: 1, reasoning_enabled: true },
    { name: "own", endpoint_name: "", target_url: "https://openrouter.ai/api/v1", api_key: "sk-or-v1-plain", model: "x/y", priority: 0 }] }], extra: { kept: 1 } });

  it("reads the original's format, keeps unknown fields, and resolves routes through their endpoints", () => {
    const doc = parsePools(ORIGINAL);
    const pool = doc.pools[0];
    expect(sortedRoutes(pool).map((r) => r.name)).toEqual(["own", "zai"]);
    expect(resolveRoute(pool.routes[0], endpoints)).toEqual({ name: "zai", backend: "openai-compat", targetUrl: "https://api.z.ai/api/coding/paas/v4", model: "glm-5",
      priority: 1, endpoint: "Z.AI" });
    expect(resolveRoute(pool.routes[1], endpoints)).toEqual({ name: "own", backend: "openai-compat", targetUrl: "https://openrouter.ai/api/v1", model: "x/y", priority: 0, endpoint: null });
    expect(resolveRoute({ ...pool.routes[0], model: "", endpoint_name: "Claude" }, endpoints)).toEqual(jasmine.objectContaining({ backend: "anthropic", model: "claude-sonnet-4-5" }));
    const again = JSON.parse(serializePools(doc));
    expect(again.extra).toEqual({ kept: 1 });
    expect(again.pools[0].routes[0].reasoning_enabled).toBeTrue();
  });

  it("refuses files it cannot use", () => {
    expect(() => parsePools("{")).toThrowError(PoolsFormatError, /not valid JSON/);
    expect(() => parsePools('{"pools":{}}')).toThrowError(PoolsFormatError, /must be a list/);
    expect(() => parsePools('{"pools":[{"name":"a"},{"name":"a"}]}')).toThrowError(PoolsFormatError, /two pools are named 'a'/);
    expect(() => parsePools('{"pools":[{"name":"a","strategy":"random"}]}')).toThrowError(PoolsFormatError, /failover or race/);
    expect(() => parsePools('{"pools":[{"name":"a","routes":[{"backend_type":"smtp"}]}]}')).toThrowError(PoolsFormatError, /unknown backend_type/);
  });

  it("validates what the pool editor saves", () => {
    const pool = parsePools(ORIGINAL).pools[0];
    expect(validatePool(pool, [], endpoints)).toEqual([]);
    expect(validatePool({ ...pool, name: "Z.AI" }, [], endpoints)).toEqual(["An endpoint is named 'Z.AI' too; give the pool another name."]);
    expect(validatePool({ ...pool, routes: [] }, [pool], endpoints)).toEqual(["A pool named 'Main' already exists.", "Add at least one route."]);
    const bad: BgpPool = { name: "B", strategy: "failover", routes: [
      { name: "a", endpoint_name: "Gone", target_url: "", api_key: "", model: "", priority: 0 },
      { name: "a", endpoint_name: "", target_url: "ftp://x", api_key: "", model: "", priority: 1 },
      { name: "g", endpoint_name: "Gem", target_url: "", api_key: "", model: "", priority: 2 }] };
    expect(validatePool(bad, [], endpoints)).toEqual(["Route 'a' names the endpoint 'Gone', which does not exist.", "Two routes are named 'a'.",
      "Route 'a': the URL must start with http:// or https://.", "Route 'a': choose a model.", "Route 'g': endpoints with a Google login cannot be pool routes yet."]);
  });

  it("reorders routes by trading places and priorities, and edits pools", () => {
    const pool = parsePools(ORIGINAL).pools[0];
    const moved = moveRoute(pool, 0, 1);
    expect(moved.routes.map((r) => [r.name, r.priority])).toEqual([["zai", 0], ["own", 1]]);
    expect(sortedRoutes(moved).map((r) => r.name)).toEqual(["zai", "own"]);
    expect(moveRoute(moved, 0, -1).routes.map((r) => r.name)).toEqual(["zai", "own"]);
    // Equal priorities keep the listed order, and a move still swaps them.
    const tied: BgpPool = { ...pool, routes: pool.routes.map((r) => ({ ...r, priority: 0 })) };
    expect(moveRoute(tied, 1, -1).routes.map((r) => r.name)).toEqual(["own", "zai"]);
    let doc = upsertPool({ pools: [] }, { ...pool, routes: [{ ...pool.routes[1], target_url: " https://x/v1/ " }] });
    expect(doc.pools[0].routes[0].target_url).toBe("https://x/v1");
    doc = upsertPool(doc, { ...doc.pools[0], name: "Renamed" }, "Main");
    expect(doc.pools.map((p) => p.name)).toEqual(["Renamed"]);
    expect(removePool(doc, "Renamed").pools).toEqual([]);
    expect(poolLabel("Main")).toBe("🔀 Main");
    expect(stripPoolMark("🔀 Main")).toBe("Main");
    expect(stripPoolMark("Main")).toBe("Main");
  });

  it("lets endpoints.json's default name a pool", () => {
    const text = '{"default":"Main","endpoints":[{"name":"a"}]}';
    expect(parseEndpoints(text).default).toBe("a");
    expect(parseEndpoints(text, ["Main"]).default).toBe("Main");
    expect(setDefaultEndpoint(parseEndpoints(text), "Main", ["Main"]).default).toBe("Main");
    expect(() => setDefaultEndpoint(parseEndpoints(text), "Nope", ["Main"])).toThrowError(/no endpoint or pool named 'Nope'/);
  });
});

describe("Usage window figures", () => {
  it("sums totals, prices this month's and today's tokens, and badges providers by failure rate", () => {
    const today = rec({ provider: "a.example", label: "A", model: "gpt-4o", attempts: [attempt({ model: "gpt-4o", tokensIn: 1_000_000, tokensOut: 100_000, tokensCached: 0 })] });
    const failed = (provider: string) => rec({ provider, outcome: "failed", status: 500, error: "boom", attempts: [attempt({ outcome: "failed", tokensIn: 0, tokensOut: 0 })] });
    const okB = (i: number) => rec({ id: `b${i}`, provider: "b.example", label: "B", model: "mystery", attempts: [attempt({ model: "mystery" })] });
    const records = [today, failed("a.example"), ...Array.from({ length: 18 }, (_, i) => okB(i)), failed("b.example"), failed("b.example")];
    const stats = applyUsageRecords(emptyUsageStats(), records, T0);
    const s = summarize(stats, { prices: {}, budgets: { A: 10, B: 1 } }, T0);
    expect(s.requests).toBe(22);
    expect(s.successRate).toBeCloseTo(19 / 22, 6);
    expect(s.costToday).toBeCloseTo(2.5 + 1, 9);
    expect(s.costMonth).toBeCloseTo(3.5, 9);
    expect(s.unpriced).toEqual(["mystery"]);
    const a = s.cards.find((c) => c.key === "a.example")!;
    const b = s.cards.find((c) => c.key === "b.example")!;
    expect([a.badge, b.badge]).toEqual(["ERR", "WARN"]); // 1/2 = 50 %, 2/20 = 10 %
    expect(badgeFor(1, 20)).toBe("OK"); // exactly 5 %
    expect(badgeFor(3, 20)).toBe("WARN"); // exactly 15 %
    expect(badgeFor(4, 20)).toBe("ERR");
    expect(a.costUsd).toBeCloseTo(3.5, 9);
    expect(b.topModels[0]).toEqual({ model: "mystery", requests: 18, share: 0.9, tokens: 18 * 110 });
    expect(b.ttfbP50).toBe(300);
    expect(s.budgets).toEqual([{ name: "A", budget: 10, spent: 3.5, share: 0.35 }, { name: "B", budget: 1, spent: 0, share: 0 }]);
    const hours = hourSeries(stats, T0, 24);
    expect(hours.tokensIn.length).toBe(24);
    expect(hours.tokensIn[23]).toBe(1_000_000 + 18 * 100);
    expect(hours.requests[23]).toBe(22);
  });

  it("gives each budget alert once a month: 80 %, then 100 %, or 100 % alone when both are passed at once", () => {
    const st = (name: string, share: number) => ({ name, budget: 10, spent: share * 10, share });
    let r = dueBudgetAlerts([st("A", 0.5)], { month: "", given: {} }, "2026-11");
    expect(r.alerts).toEqual([]);
    r = dueBudgetAlerts([st("A", 0.85), st("B", 1.2)], r.state, "2026-11");
    expect(r.alerts.map((a) => [a.name, a.level])).toEqual([["A", 80], ["B", 100]]);
    r = dueBudgetAlerts([st("A", 0.9), st("B", 1.5)], r.state, "2026-11");
    expect(r.alerts).toEqual([]);
    r = dueBudgetAlerts([st("A", 1)], r.state, "2026-11");
    expect(r.alerts.map((a) => [a.name, a.level])).toEqual([["A", 100]]);
    // A new month starts over.
    expect(dueBudgetAlerts([st("A", 0.8)], r.state, "2026-12").alerts.map((a) => a.level)).toEqual([80]);
    expect(budgetAlertText({ name: "bgp:Main", level: 100, spent: 10.5, budget: 10 }).title).toBe("Monthly budget reached for the AI BGP pool 'Main'");
  });

  it("lays out plots: nice axis tops, stacked bars, labels", () => {
    expect([0, 1, 3, 7, 12, 99, 101, 2500].map(niceCeiling)).toEqual([1, 1, 5, 10, 20, 100, 200, 5000]);
    expect([999, 1234, 25_000, 2_500_000].map(formatCount)).toEqual(["999", "1.2k", "25k", "2.5M"]);
    const area = { x: 0, y: 0, width: 100, height: 50 };
    const { bars, max } = stackedBars([[10, 0, 30], [5, 0, 20]], area, 0);
    expect(max).toBe(50);
    expect(bars.map((b) => [b.series, Math.round(b.x), Math.round(b.y), Math.round(b.height)])).toEqual([[0, 0, 40, 10], [1, 0, 35, 5], [0, 67, 20, 30], [1, 67, 0, 20]]);
    const first = Math.floor(T0 / 3600_000);
    expect(hourLabels(first, 8, 4).map((l) => l.index)).toEqual([0, 4]);
    expect(hourLabels(first, 48, 4, true).length).toBe(2);
  });
});
