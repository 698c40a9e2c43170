import { MonitorBrain } from "../../src/watchdog/brain.js";
import { readMonitoringConfig, DEFAULT_MONITORING } from "../../src/watchdog/config.js";
import { AiAnswerError, callCostUsd, chatCompletionsUrl, incidentReportText, parseAiAnswer } from "../../src/watchdog/diagnosis.js";
import { AiRateLimit, budgetVerdict, EscalatingCooldown, RestartBudget } from "../../src/watchdog/guards.js";
import { emptyStore, evictLru, incidentPattern, knownFix, noteOccurrence, parseIncidentStore, recordAiUsage, recordOutcome,
  IncidentFormatError } from "../../src/watchdog/incidents.js";
import { RuleEngine, TIER1_RULES } from "../../src/watchdog/rules.js";
import { classifyLine, probeSignal, type Signal } from "../../src/watchdog/signals.js";
import { isCodexArgv, listeningInodes, socketInode } from "../../src/lib/proc-net.js";

const sig = (category: string, atMs: number, faultId = "B2", extra: Partial<Signal> = {}): Signal => ({ faultId, category, source: "proxy.log", detail: category, atMs, ...extra });

describe("failure signals", () => {
  it("classifies the proxy.log lines of the design's table", () => {
    const cases: [string, string, string][] = [
      ["req=r1 upstream HTTP 429 Too Many Requests (retry 1/2 in 2.0 s)", "B1", "rate_limited"],
      ["req=r1 upstream HTTP 500 Internal Server Error: boom", "B2", "server_error"],
      ["req=r1 upstream HTTP 503 Service Unavailable: x", "B2", "server_error"],
      ["req=r1 upstream HTTP 401 Unauthorized: Invalid API key", "B3", "auth_failure"],
      ["req=r1 upstream HTTP 403 Forbidden: nope", "B4", "forbidden"],
      ["req=r1 upstream Connection refused: could not connect", "B9", "provider_unreachable"],
      ["curl: (7) Failed to connect: Connection refused", "A1", "proxy_dead"],
      ["codex-launcher-proxy: error: cannot listen on 127.0.0.1:8080: address already in use", "A2", "port_conflict"],
      ["req=r1 client went away mid-stream (Broken pipe); upstream request cancelled", "B7", "broken_pipe"],
      ["req=r1 upstream Connection reset: peer", "B6", "connection_reset"],
      ["req=r1 upstream timed out: no data for 300 s (stream idle timeout)", "B5", "stream_idle"],
      ["req=r1 upstream timed out: no response headers within 300 s", "B5", "timeout"],
      ["req=r1 stream error: provider reported overloaded", "B6", "stream_error"],
      ["SELF-REVIVE CRASH #3", "A5", "proxy_crash"],
      ["error analysis: {'content_type': 'array'}", "E1", "schema_corrupt"],
      ["provider caps: /x/provider-caps.json is corrupt (bad); kept aside", "E1", "schema_corrupt"],
      ["[CC-DEBUG] text_buf len=10 parsed_tool_calls=0 text_preview='hi'", "C1", "parser_empty"],
      ["[CC-DEBUG] [STUCK-RECOVERY] Synthesized: cmd='ls'", "C3", "stuck_recovery"],
      ["# [CC-SANITIZER] suspicious cmd (still JSON): {", "C4", "sanitizer_flag"],
      ["empty cmd recovered from: x", "C6", "empty_cmd"],
      ["req=r1 login_expired: Google login expired or revoked (invalid_grant: Token has been expired or revoked.). Sign in again: …", "E4", "oauth_expired"],
      ["req=r1 login_required: Not signed in to Google: no credentials at /home/u/.gemini/oauth_creds.json. Sign in …", "E4", "oauth_expired"],
    ];
    for (const [line, faultId, category] of cases) {
      const s = classifyLine(`2026-11-25T10:00:00Z [proxy] ${line}`, "proxy.log", 1);
      expect(s && [s.faultId, s.category]).withContext(line).toEqual([faultId, category]);
    }
  });

  it("matches [STUCK-RECOVERY] literally, not as a regex character class (seed bug)", () => {
    expect(classifyLine("proxy listening on 127.0.0.1:8080 SUCK TRUE", "proxy.log", 1)).toBeNull();
    expect(classifyLine("[proxy] Listening", "proxy.log", 1)).toBeNull();
  });

  it("ignores failure words inside echoed model text", () => {
    expect(classifyLine("[CC-DEBUG] text_buf len=5 parsed_tool_calls=2 text_preview='the server said HTTP 500 Connection refused'", "cc-debug.log", 1)).toBeNull();
    expect(classifyLine("req=r stream error: skipped an unparseable chunk: HTTP 401", "proxy.log", 1)!.category).toBe("stream_error");
  });

  it("carries the HTTP status and the Retry-After the proxy announced", () => {
    const s = classifyLine("req=r upstream HTTP 429 Too Many Requests (retry 1/2 in 2.5 s)", "proxy.log", 1)!;
    expect(s.httpStatus).toBe(429);
    expect(s.retryAfterMs).toBe(2500);
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

  it("restarts a crashed proxy at once, then waits out the cooldown, and stops at the restart cap", () => {
    const brain = new MonitorBrain(config());
    const first = brain.decide(probeSignal("childExited", "exit", 0), emptyStore(), 0, month);
    expect(first).toEqual(jasmine.objectContaining({ kind: "act", tier: 1, action: "restart_proxy" }));
    expect(brain.decide(probeSignal("childExited", "exit", 10_000), emptyStore(), 10_000, month).kind).toBe("suppressed");
    for (let i = 1; i < 5; i++) brain.restarts.spend(20_000 + i);
    const capped = brain.decide(probeSignal("healthFailed", "refused", 50_000), emptyStore(), 50_000, month);
    expect(capped.kind).toBe("alert");
    expect((capped as any).reason).toContain("restart cap reached");
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

  it("never restarts or alerts about a proxy the user stopped", () => {
    const brain = new MonitorBrain(config());
    brain.manualStop = true;
    expect(brain.decide(probeSignal("childExited", "exit", 0), emptyStore(), 0, month)).toEqual(jasmine.objectContaining({ kind: "suppressed", reason: "the user stopped the proxy" }));
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
