import { MonitorBrain } from "../../src/watchdog/brain.js";
import { readMonitoringConfig, DEFAULT_MONITORING } from "../../src/watchdog/config.js";
import { AiAnswerError, callCostUsd, chatCompletionsUrl, incidentReportText, parseAiAnswer } from "../../src/watchdog/diagnosis.js";
import { AiRateLimit, budgetVerdict, EscalatingCooldown, RestartBudget } from "../../src/watchdog/guards.js";
import { emptyStore, evictLru, incidentPattern, knownFix, noteOccurrence, parseIncidentStore, recordAiUsage, recordOutcome,
  IncidentFormatError } from "../../src/watchdog/incidents.js";
import { RuleEngine, TIER1_RULES } from "../../src/watchdog/rules.js";
import { classifyLine, probeSignal, type Signal } from "../../src/watchdog/signals.js";
import { formatLogLine, parseLogLine } from "../../src/proxy/log-lines.js";
import { isCodexArgv, listeningInodes, socketInode } from "../../src/lib/proc-net.js";

const sig = (category: string, atMs: number, faultId = "B2", extra: Partial<Signal> = {}): Signal => ({ faultId, category, source: "proxy.log", detail: category, atMs, ...extra });

describe("failure signals", () => {
  const at = (message: string) => `2026-11-25T10:00:00.000Z [proxy] ${message}`;

  it("classifies the proxy's structured lines by their typed fields", () => {
    const cases: [string, string, string][] = [
      [formatLogLine("r1", "upstream_retry", { kind: "http_429", status: 429, attempt: 1, of: 2, delay_s: 2 }, { detail: "HTTP 429 Too Many Requests" }), "B1", "rate_limited"],
      [formatLogLine("r1", "upstream_error", { kind: "http_5xx", status: 500 }, { code: null, message: "boom" }), "B2", "server_error"],
      [formatLogLine("r1", "upstream_error", { kind: "http_5xx", status: 503 }, { message: "x" }), "B2", "server_error"],
      [formatLogLine("r1", "upstream_error", { kind: "http_4xx", status: 401 }, { message: "Invalid API key" }), "B3", "auth_failure"],
      [formatLogLine("r1", "upstream_error", { kind: "http_4xx", status: 403 }, { message: "nope" }), "B4", "forbidden"],
      [formatLogLine("r1", "upstream_error", { kind: "http_4xx", status: 403 }, { code: "upgrade_required", message: "update" }), "B4", "upgrade_required"],
      [formatLogLine("r1", "upstream_error", { kind: "http_4xx", status: 400 }, { code: "context_length_exceeded", message: "too long" }), "D5", "context_overflow"],
      [formatLogLine("r1", "upstream_error", { kind: "connection_refused" }, { message: "Connection refused: could not connect" }), "B9", "provider_unreachable"],
      [formatLogLine("r1", "upstream_error", { kind: "dns" }, { message: "x" }), "A7", "dns_failure"],
      [formatLogLine("r1", "upstream_error", { kind: "tls" }, { message: "x" }), "A6", "tls_error"],
      [formatLogLine("r1", "client_gone", { where: "mid_stream" }), "B7", "broken_pipe"],
      [formatLogLine("r1", "stream_error", { kind: "connection_reset" }, { message: "peer" }), "B6", "connection_reset"],
      [formatLogLine("r1", "stream_error", { kind: "idle_timeout" }, { message: "no data for 300 s" }), "B5", "stream_idle"],
      [formatLogLine("r1", "upstream_error", { kind: "timeout" }, { message: "no response headers within 300 s" }), "B5", "timeout"],
      [formatLogLine("r1", "stream_error", { kind: "provider_error" }, { code: "overloaded", message: "x" }), "B6", "stream_error"],
      [formatLogLine("r1", "stream_error", { kind: "unparseable_chunk", fatal: false }, { chunk: "{oops" }), "B6", "stream_error"],
      [formatLogLine(null, "caps", { state: "corrupt" }, { message: "/x/provider-caps.json is corrupt (bad); kept aside" }), "E1", "schema_corrupt"],
      [formatLogLine("r1", "internal_error", {}, { message: "TypeError" }), "X2", "proxy_internal_error"],
      [formatLogLine("r1", "adapter_error", { code: "login_expired", status: 401 }, { message: "Google login expired or revoked (invalid_grant). Sign in again" }), "E4", "oauth_expired"],
      [formatLogLine("r1", "adapter_error", { code: "login_required", status: 401 }, { message: "Not signed in to Google" }), "E4", "oauth_expired"],
      [formatLogLine(null, "pool_exhausted", { open: 1, cooling: 2, retry_after_s: 30 }, { pool: "Main" }), "E5", "routes_exhausted"],
    ];
    for (const [line, faultId, category] of cases) {
      const s = classifyLine(at(line), "proxy.log", 1);
      expect(s && [s.faultId, s.category]).withContext(line).toEqual([faultId, category]);
    }
  });

  it("leaves a pool route's own failures to the pool (no signal), whatever its name says", () => {
    for (const line of [formatLogLine("r1", "route_error", { kind: "http_5xx", status: 500 }, { message: "boom", route: "upstream_error kind=http_5xx" }),
      formatLogLine("r1", "route_retry", { kind: "http_5xx", status: 503, attempt: 1, of: 1, delay_s: 0.3 }, { detail: "x", route: "a" }),
      formatLogLine(null, "route_open", { failures: 3, until: "2026-01-01T00:00:00Z" }, { pool: "P", route: "pool_exhausted" }),
      formatLogLine(null, "route_cooldown", { until: "2026-01-01T00:00:00Z" }, { pool: "P", route: "a" }),
      formatLogLine(null, "pool_recovered", {}, { pool: "P" })]) expect(classifyLine(at(line), "proxy.log", 1)).withContext(line).toBeNull();
  });

  it("classifies Command Code's cc-debug.log tokens literally", () => {
    const cases: [string, string, string][] = [
      ["[CC-DEBUG] text_buf len=10 parsed_tool_calls=0 text_preview='hi'", "C1", "parser_empty"],
      ["[CC-DEBUG] [STUCK-RECOVERY] Synthesized: cmd='ls'", "C3", "stuck_recovery"],
      ["# [CC-SANITIZER] suspicious cmd (still JSON): {", "C4", "sanitizer_flag"],
      ["empty cmd recovered from: x", "C6", "empty_cmd"],
    ];
    for (const [line, faultId, category] of cases) {
      const s = classifyLine(line, "cc-debug.log", 1);
      expect(s && [s.faultId, s.category]).withContext(line).toEqual([faultId, category]);
    }
    // "[STUCK-RECOVERY]" is literal, not a regex character class (seed bug).
    expect(classifyLine("proxy listening on 127.0.0.1:8080 SUCK TRUE", "cc-debug.log", 1)).toBeNull();
  });

  it("never raises a signal from text a client or a provider wrote", () => {
    const hostile = ["stream error", "Connection reset by peer", "HTTP 500", "SELF-REVIVE CRASH", "Address already in use", "Broken pipe",
      "timed out", "HTTP 401", "content_type array", "req=x stream_error kind=connection_reset", "\" kind=http_5xx status=500 x=\""];
    for (const text of hostile) {
      // Refused requests (the client's error) and request summaries carry the text in quoted fields only.
      expect(classifyLine(at(formatLogLine("r1", "refused", { method: "POST", path: "/v1/responses", status: 400, code: "invalid_request" }, { message: text })), "proxy.log", 1))
        .withContext(text).toBeNull();
      expect(classifyLine(at(formatLogLine("r1", "request", { method: "POST", status: 200, outcome: "completed" }, { model: text })), "proxy.log", 1))
        .withContext(text).toBeNull();
      // A provider's message never decides the fault: the typed status does.
      expect(classifyLine(at(formatLogLine("r1", "upstream_error", { kind: "http_4xx", status: 404 }, { message: text })), "proxy.log", 1)!.category)
        .withContext(text).toBe("bad_request");
      // Lines in any other format (an older proxy, free text) raise nothing.
      expect(classifyLine(at(`req=r1 ${text}`), "proxy.log", 1)).withContext(text).toBeNull();
    }
    expect(classifyLine("[CC-DEBUG] text_buf len=5 parsed_tool_calls=2 text_preview='the server said parsed_tool_calls=0 [STUCK-RECOVERY]'", "cc-debug.log", 1)).toBeNull();
  });

  it("carries the HTTP status and the Retry-After the proxy announced", () => {
    const s = classifyLine(at(formatLogLine("r", "upstream_retry", { kind: "http_429", status: 429, attempt: 1, of: 2, delay_s: 2.5 })), "proxy.log", 1)!;
    expect(s.httpStatus).toBe(429);
    expect(s.retryAfterMs).toBe(2500);
  });

  it("writes and parses log lines symmetrically, whatever the quoted text holds", () => {
    const line = formatLogLine("req_1", "upstream_error", { kind: "http_4xx", status: 400, empty: null }, { code: "x y", message: "a \"quoted\" kind=http_5xx\nnext" });
    expect(parseLogLine(line)).toEqual({ req: "req_1", event: "upstream_error", fields: { kind: "http_4xx", status: "400", empty: "-", code: "x y", message: "a \"quoted\" kind=http_5xx\nnext" } });
    expect(parseLogLine("req=x not_an_event a=1")).toBeNull();
    expect(parseLogLine("request a=\"unterminated")).toBeNull();
  });
});

describe("Tier 1 rules", () => {
  it("covers the design's 17 triggers", () => {
    const triggers = TIER1_RULES.map((r) => r.trigger);
    for (const t of ["proxy_health_fail", "proxy_port_conflict", "proxy_memory_over_limit", "upstream_429", "upstream_502_503", "upstream_500_repeat_3x",
      "upstream_timeout", "upstream_401_403", "stream_broken_pipe", "stream_reset", "stream_idle_300s", "parsed_tool_calls_0_x3",
      "sanitizer_suspicious_5x", "stuck_recovery_x5", "codex_process_dead", "codex_memory_over_4gb", "schema_content_type_array"]) expect(triggers).toContain(t);
    expect(TIER1_RULES.find((r) => r.trigger === "stream_broken_pipe")!.action).toBe("ignore");
  });

  it("counts over a sliding window: 3 server errors within 60 s switch provider, 3 spread out do not", () => {
    const spread = new RuleEngine();
    expect(spread.feed(sig("server_error", 0))!.rule.trigger).toBe("upstream_502_503");
    expect(spread.feed(sig("server_error", 61_000))!.rule.trigger).toBe("upstream_502_503");
    expect(spread.feed(sig("server_error", 122_000))!.rule.trigger).toBe("upstream_502_503");
    const burst = new RuleEngine();
    burst.feed(sig("server_error", 0));
    burst.feed(sig("server_error", 10_000));
    expect(burst.feed(sig("server_error", 20_000))!.rule.trigger).toBe("upstream_500_repeat_3x");
    // The run starts over after firing (the original's counters never reset).
    expect(burst.feed(sig("server_error", 21_000))!.rule.trigger).toBe("upstream_502_503");
  });

  it("needs 3 parser failures within 5 minutes before clearing the schema cache", () => {
    const engine = new RuleEngine();
    expect(engine.feed(sig("parser_empty", 0, "C1"))).toBeNull();
    expect(engine.feed(sig("parser_empty", 1000, "C1"))).toBeNull();
    expect(engine.feed(sig("parser_empty", 2000, "C1"))!.rule.action).toBe("clear_schema_cache");
  });
});

describe("safety guards", () => {
  it("allows 5 restarts per 10 minutes", () => {
    const b = new RestartBudget();
    for (let i = 0; i < 5; i++) {
      expect(b.allows(i * 1000)).toBeTrue();
      b.spend(i * 1000);
    }
    expect(b.allows(6000)).toBeFalse();
    expect(b.allows(600_001)).toBeTrue();
  });

  it("escalates the cooldown per pattern 30 s → 60 s → 300 s → alert, and resets after a quiet period", () => {
    const c = new EscalatingCooldown();
    expect(c.check("p", 0)).toEqual({ kind: "act" });
    c.acted("p", 0);
    expect(c.check("p", 29_000).kind).toBe("wait");
    expect(c.check("p", 30_000)).toEqual({ kind: "act" });
    c.acted("p", 30_000);
    expect(c.check("p", 89_000).kind).toBe("wait");
    expect(c.check("p", 90_000)).toEqual({ kind: "act" });
    c.acted("p", 90_000);
    expect(c.check("p", 389_000).kind).toBe("wait");
    expect(c.check("p", 390_000)).toEqual({ kind: "alert" });
    expect(c.check("other", 390_000)).toEqual({ kind: "act" });
    expect(c.check("p", 90_000 + 15 * 60_000 + 1)).toEqual({ kind: "act" });
    // Past the ladder it keeps alerting, but no more often than the last step.
    for (const at of [0, 30_000, 90_000, 390_000]) c.acted("q", at);
    expect(c.check("q", 391_000).kind).toBe("wait");
    expect(c.check("q", 690_000)).toEqual({ kind: "alert" });
  });

  it("limits AI calls to 1 per minute and 10 per day, and stops at the monthly budget", () => {
    const ai = new AiRateLimit();
    expect(ai.verdict(0).ok).toBeTrue();
    ai.record(0);
    expect(ai.verdict(59_000).ok).toBeFalse();
    for (let i = 1; i < 10; i++) ai.record(i * 61_000);
    expect(ai.verdict(11 * 61_000)).toEqual(jasmine.objectContaining({ ok: false }));
    expect(ai.verdict(24 * 3600_000 + 1).ok).toBeTrue();
    expect(budgetVerdict(1.99, 2).ok).toBeTrue();
    expect(budgetVerdict(2, 2).ok).toBeFalse();
  });
});

describe("Tier 2 incident store", () => {
  it("applies a known fix only after verified successes above 70 %", () => {
    let d = emptyStore();
    const p = incidentPattern(["bad_request"], 400);
    expect(p).toBe("bad_request+http_400");
    d = noteOccurrence(d, p, ["B8"], "2026-01-01T00:00:00Z");
    expect(knownFix(d, p)).toBeNull();
    d = recordOutcome(d, p, "clear_schema_cache", "tier3_ai", true, "2026-01-01T00:01:00Z", true);
    expect(knownFix(d, p)).toBeNull(); // one success is not enough
    d = recordOutcome(d, p, "clear_schema_cache", "tier3_ai", true, "2026-01-01T00:02:00Z", true);
    expect(knownFix(d, p)).toEqual({ fix: "clear_schema_cache", rate: 1 });
    d = recordOutcome(d, p, "clear_schema_cache", "tier3_ai", false, "2026-01-01T00:03:00Z", true);
    expect(d.incidents[p].fail_count).toBe(1);
    expect(knownFix(d, p)).toBeNull(); // 2 of 3 is not above 0.7
  });

  it("keeps a proven fix when another one succeeds once", () => {
    let d = emptyStore();
    for (let i = 0; i < 4; i++) d = recordOutcome(d, "p", "restart_proxy", "tier1_rule", true, `t${i}`, true);
    d = recordOutcome(d, "p", "switch_provider", "tier3_ai", true, "t9", true);
    expect(d.incidents.p.fix).toBe("restart_proxy");
    expect(d.incidents.p.success_count).toBe(4);
  });

  it("keeps at most 500 patterns, dropping the least recently seen", () => {
    let d = emptyStore();
    for (let i = 0; i < 503; i++) d = noteOccurrence(d, `p${i}`, ["X"], new Date(1_000_000 + i * 1000).toISOString());
    expect(Object.keys(d.incidents).length).toBe(500);
    expect(d.incidents.p0).toBeUndefined();
    expect(d.incidents.p502).toBeDefined();
    expect(Object.keys(evictLru(d, 10).incidents).length).toBe(10);
  });

  it("reads the original's store shape and rejects garbage", () => {
    const d = parseIncidentStore('{"version":1,"incidents":{"server_error+repeat_3x":{"fix":"switch_provider","success_count":3,"fail_count":1,"last_seen":"2026-05-22T16:00:00Z","occurrences":5}},"stats":{"ai_calls":2,"tokens_used":1600}}');
    expect(d.incidents["server_error+repeat_3x"].occurrences).toBe(5);
    expect(d.stats.tokens_used).toBe(1600);
    expect(() => parseIncidentStore("{")).toThrowError(IncidentFormatError);
    expect(() => parseIncidentStore('{"incidents":[]}')).toThrowError(IncidentFormatError);
  });

  it("adds real AI usage, the monthly cost restarting each month", () => {
    let d = recordAiUsage(emptyStore(), 500, 0.01, "2026-10");
    d = recordAiUsage(d, 300, 0.02, "2026-10");
    expect(d.stats).toEqual(jasmine.objectContaining({ ai_calls: 2, tokens_used: 800, month: "2026-10" }));
    expect(d.stats.cost_month_usd).toBeCloseTo(0.03, 6);
    d = recordAiUsage(d, 100, 0.005, "2026-11");
    expect(d.stats.cost_month_usd).toBeCloseTo(0.005, 6);
    expect(d.stats.cost_usd).toBeCloseTo(0.035, 6);
  });
});

describe("Tier 3 answers and reports", () => {
  it("accepts exactly one JSON object with an allowed action (code fences tolerated)", () => {
    expect(parseAiAnswer('{"action":"restart_proxy","reason":"dead","confidence":0.9}')).toEqual({ action: "restart_proxy", reason: "dead", confidence: 0.9 });
    expect(parseAiAnswer('```json\n{"action":"ignore","reason":"transient","confidence":0.4}\n```').action).toBe("ignore");
  });

  it("rejects prose, unknown actions and bad confidence", () => {
    expect(() => parseAiAnswer("I think you should restart the proxy.")).toThrowError(AiAnswerError, /not one JSON object/);
    expect(() => parseAiAnswer('{"action":"rm_rf_home","reason":"x","confidence":1}')).toThrowError(AiAnswerError, /not on the allow-list/);
    expect(() => parseAiAnswer('{"action":"ignore","confidence":7}')).toThrowError(AiAnswerError, /confidence/);
    expect(() => parseAiAnswer('{"action":"ignore" "confidence":1}')).toThrowError(AiAnswerError, /not valid JSON/);
  });

  it("redacts secrets in the incident report", () => {
    const text = incidentReportText({ time: "t", session: "s", trigger: "novel:x", proxy: { alive: true, port: 1, uptimeS: 1, memoryMb: 1 },
      upstream: { url: "https://x/v1", model: "m", lastHttpCode: 400, lastError: "Incorrect API key provided: sk-live-abcdefghijklmnop" },
      recentErrors: ["Authorization: Bearer abcdef123456789", "key=my-literal-secret-value"], parser: { parsedToolCallsZero: 0, stuckRecoveries: 0, sanitizerFlags: 0 },
      provider: { backendType: "openai-compat", model: "m" }, history: [] }, ["my-literal-secret-value"]);
    expect(text).not.toMatch(/abcdefghijklmnop|abcdef123456789|my-literal-secret-value/);
    expect(text).toContain("INCIDENT REPORT:");
  });

  it("prices calls from the real usage; local Ollama models are free", () => {
    expect(callCostUsd("gpt-4o-mini", "https://api.openai.com/v1/chat/completions", 1_000_000, 1_000_000)).toBeCloseTo(0.75, 6);
    expect(callCostUsd("qwen3:8b", "http://127.0.0.1:11434/v1/chat/completions", 5000, 100)).toBe(0);
    expect(callCostUsd("mystery", "https://x", 1_000_000, 0)).toBe(1);
    expect(chatCompletionsUrl("https://api.openai.com/v1/")).toBe("https://api.openai.com/v1/chat/completions");
  });
});

describe("MonitorBrain", () => {
  const month = "2026-11";
  const config = (over = {}) => ({ ...DEFAULT_MONITORING, enabled: true, ...over });

  it("leaves a crashed, hung or bloated proxy to the supervisor: recorded, never guarded by cooldowns", () => {
    const brain = new MonitorBrain(config());
    for (let i = 0; i < 8; i++) {
      const d = brain.decide(probeSignal(i % 2 ? "healthHung" : "childExited", "x", i * 1000), emptyStore(), i * 1000, month);
      expect(d).toEqual(jasmine.objectContaining({ kind: "act", tier: 1, action: "supervise" }));
    }
    expect(brain.restarts.used(10_000)).toBe(0);
  });

  it("never restarts the proxy for faults of single requests", () => {
    const brain = new MonitorBrain(config({ auto_switch_provider: false }));
    const actions: string[] = [];
    let t = 0;
    for (const category of ["stream_error", "connection_reset", "timeout", "stream_idle", "broken_pipe", "bad_request", "proxy_internal_error"]) {
      const d = brain.decide(sig(category, (t += 1000)), emptyStore(), t, month);
      if (d.kind === "act") actions.push(d.action);
    }
    for (const action of actions) expect(["restart_proxy", "kill_stale_and_restart"]).not.toContain(action);
    expect(actions).toContain("increase_timeout"); // raised in the running proxy, no restart
  });

  it("Tier 2 reuses a Tier 1 fix once it was verified to work (no AI configured), and stops repeating one that keeps failing", () => {
    const brain = new MonitorBrain(config());
    let store = emptyStore();
    const first = brain.decide(sig("timeout", 0, "B5"), store, 0, month);
    expect(first).toEqual(jasmine.objectContaining({ kind: "act", tier: 1, action: "increase_timeout", pattern: "timeout" }));
    for (let i = 0; i < 2; i++) store = recordOutcome(store, "timeout", "increase_timeout", "tier1_rule", true, `t${i}`, true);
    const later = brain.decide(sig("timeout", 3_600_000, "B5"), store, 3_600_000, month);
    expect(later).toEqual(jasmine.objectContaining({ kind: "act", tier: 2, action: "increase_timeout", trigger: "known:timeout" }));
    let failing = emptyStore();
    for (let i = 0; i < 3; i++) failing = recordOutcome(failing, "timeout", "increase_timeout", "tier1_rule", false, `t${i}`, true);
    const fresh = new MonitorBrain(config());
    const d = fresh.decide(sig("timeout", 0, "B5"), failing, 0, month);
    expect(d.kind).toBe("alert");
    expect((d as any).reason).toContain("increase_timeout is not repeated: it failed 3 of 3 times for timeout");
  });

  it("E4: alerts about a dead Google login once per 5-minute cooldown and never restarts for it", () => {
    const brain = new MonitorBrain(config());
    const e4 = (at: number) => brain.decide(sig("oauth_expired", at, "E4"), emptyStore(), at, month);
    expect(e4(0)).toEqual(jasmine.objectContaining({ kind: "act", action: "alert_user", trigger: "oauth_expired" }));
    const seen: string[] = [];
    // Codex retrying every 10 s for an hour: one alert per 5 minutes at most, nothing else.
    for (let at = 10_000; at <= 3600_000; at += 10_000) {
      const d = e4(at);
      if (d.kind !== "suppressed") seen.push(`${d.kind}@${at / 1000}`);
      if (d.kind === "act") expect(d.action).toBe("alert_user");
    }
    expect(seen.length).toBe(12); // at 5, 10, … 60 minutes
    expect(brain.restarts.used(3600_000)).toBe(0);
  });

  it("E5: alerts once per 5 minutes while every route of the pool is down, and restarts nothing", () => {
    const brain = new MonitorBrain(config());
    const e5 = (at: number) => brain.decide(sig("routes_exhausted", at, "E5"), emptyStore(), at, month);
    expect(e5(0)).toEqual(jasmine.objectContaining({ kind: "act", action: "alert_user", trigger: "bgp_all_routes_down" }));
    expect(e5(60_000).kind).toBe("suppressed");
    expect(e5(300_000)).toEqual(jasmine.objectContaining({ kind: "act", action: "alert_user" }));
    expect(brain.restarts.used(300_000)).toBe(0);
  });

  it("never restarts or alerts about a proxy the user stopped", () => {
    const brain = new MonitorBrain(config());
    brain.manualStop = true;
    expect(brain.decide(probeSignal("childExited", "exit", 0), emptyStore(), 0, month)).toEqual(jasmine.objectContaining({ kind: "suppressed", reason: "the user stopped the proxy" }));
    expect(brain.decide(probeSignal("proxyMemory", "x", 1), emptyStore(), 1, month).kind).toBe("suppressed");
    expect(brain.decide(probeSignal("healthFailed", "x", 1), emptyStore(), 1, month).kind).toBe("suppressed");
  });

  it("leaves switching provider to the user when auto-switch is off", () => {
    const brain = new MonitorBrain(config({ auto_switch_provider: false }));
    brain.decide(sig("server_error", 0, "B2", { httpStatus: 500 }), emptyStore(), 0, month);
    brain.decide(sig("server_error", 1000, "B2", { httpStatus: 500 }), emptyStore(), 1000, month);
    const d = brain.decide(sig("server_error", 2000, "B2", { httpStatus: 500 }), emptyStore(), 2000, month);
    expect(d.kind).toBe("alert");
    expect((d as any).reason).toContain("auto-switch is off");
  });

  it("applies a Tier 2 known fix to a failure no rule covers, without asking the AI", () => {
    const brain = new MonitorBrain(config({ provider_url: "http://127.0.0.1:1/v1", model: "m" }));
    let store = emptyStore();
    for (let i = 0; i < 3; i++) store = recordOutcome(store, "bad_request+http_400", "clear_schema_cache", "tier3_ai", true, `t${i}`, true);
    const d = brain.decide(sig("bad_request", 0, "B8", { httpStatus: 400 }), store, 0, month);
    expect(d).toEqual(jasmine.objectContaining({ kind: "act", tier: 2, action: "clear_schema_cache" }));
  });

  it("asks the AI about a novel failure once per minute, and alerts when no AI is configured", () => {
    const withAi = new MonitorBrain(config({ provider_url: "http://127.0.0.1:1/v1", model: "m" }));
    expect(withAi.decide(sig("bad_request", 0, "B8"), emptyStore(), 0, month).kind).toBe("ask_ai");
    expect(withAi.decide(sig("context_overflow", 1000, "D5"), emptyStore(), 1000, month)).toEqual(jasmine.objectContaining({ kind: "alert" }));
    const noAi = new MonitorBrain(config());
    expect(noAi.decide(sig("bad_request", 0, "B8"), emptyStore(), 0, month)).toEqual(jasmine.objectContaining({ kind: "alert" }));
  });

  it("stops asking the AI once the monthly budget is spent", () => {
    const brain = new MonitorBrain(config({ provider_url: "http://127.0.0.1:1/v1", model: "m", monthly_budget_usd: 0.01 }));
    const store = recordAiUsage(emptyStore(), 100, 0.02, month);
    const d = brain.decide(sig("bad_request", 0, "B8"), store, 0, month);
    expect(d.kind).toBe("alert");
    expect((d as any).reason).toContain("AI budget reached");
  });
});

describe("monitoring config", () => {
  it("reads the ai_monitoring section with defaults and bounds, falling back to the original's file", () => {
    expect(readMonitoringConfig({ enabled: true, health_check_interval_s: 99 }).health_check_interval_s).toBe(30);
    expect(readMonitoringConfig(undefined, { enabled: true, model: "qwen" })).toEqual(jasmine.objectContaining({ enabled: true, model: "qwen", max_memory_mb: 1024 }));
    expect(readMonitoringConfig(null).enabled).toBeFalse();
  });
});

describe("/proc/net/tcp", () => {
  it("finds the inode listening on a port", () => {
    const text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n" +
      "   1: 0100007F:1F90 0100007F:D3A2 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1\n";
    expect(listeningInodes(text, 8080)).toEqual([4242]);
    expect(socketInode("socket:[4242]")).toBe(4242);
    expect(socketInode("/dev/null")).toBeNull();
  });

  it("recognises the Codex process, not the shell or terminal that launched it", () => {
    expect(isCodexArgv(["/usr/local/bin/codex"])).toBeTrue();
    expect(isCodexArgv(["node", "/usr/lib/node_modules/@openai/codex/bin/codex.js"])).toBeTrue();
    expect(isCodexArgv(["/x/vendor/x86_64-unknown-linux-musl/bin/codex", "exec"])).toBeTrue();
    expect(isCodexArgv(["sh", "-c", "cd /p && /usr/local/bin/codex"])).toBeFalse();
    expect(isCodexArgv(["xterm", "-e", "sh", "-c", "codex"])).toBeFalse();
    expect(isCodexArgv(["/h/.codex/packages/app-server-daemon/bin/codex", "app-server", "--listen", "unix://"])).toBeFalse();
  });
});
