// Request text never drives the watchdog (issue 10, deliverables 4 and 6): against a real
// `codex-launcher --headless` with AI Monitoring on (auto-restart and auto-switch allowed, a Tier 3
// model configured, a 2 s interval), requests whose model, previous_response_id and input carry every
// pattern the watchdog ever matched — the original's literal strings, today's structured vocabulary,
// forged proxy.log records with line breaks and quotes to break out of their field — well-formed,
// malformed, cross-origin, without the token and with a forged Host. The proxy keeps its pid, the
// watchdog takes no action and raises no signal for any of them, and the proxy still serves.
import GLib from "gi://GLib";
import { FAILURE_KINDS, LOG_EVENTS } from "../../src/proxy/log-lines.js";
import { ACTIONS, TIER1_RULES } from "../../src/watchdog/rules.js";
import { CC_DEBUG_PATTERNS, PROBE_SIGNALS } from "../../src/watchdog/signals.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { clientToken, makeHeadlessHome, proxyPid, read, startHeadless, type HeadlessHome, type RunningHeadless } from "../helpers/headless-run.js";
import { request, type HttpReply } from "../helpers/http.js";
import { delay, waitFor } from "../helpers/process.js";
import { rawRequest } from "../helpers/raw-http.js";
import { removeTree } from "../helpers/repo.js";

const INTERVAL_S = 2;

/** The original watchdog's literal log patterns (SPEC-reference C.2, B.13) and what such logs say. */
const ORIGINAL = [
  "parsed_tool_calls=0", "[STUCK-RECOVERY]", "suspicious cmd", "empty cmd recovered", "HTTP 429", "HTTP 500", "HTTP 502", "HTTP 503", "HTTP 401",
  "HTTP 403", "Connection refused", "Address already in use", "Broken pipe", "Connection reset", "timed out", "SELF-REVIVE CRASH #1", "stream error",
  "content_type array", "error analysis: {'content_type': 'array'}", "OSError: [Errno 98] Address already in use", "[sid] ALL ROUTES FAILED: []",
  "upstream error during stream: TimeoutError: Stream idle for 300s", "[translate-proxy] stream error: boom",
  "[CC-DEBUG] text_buf len=0 parsed_tool_calls=0 text_preview=''", "[CC-DEBUG] [STUCK-RECOVERY] Synthesized: cmd='ls'",
  "# [CC-SANITIZER] suspicious cmd (still JSON): {}", "# [CC-SANITIZER] empty cmd recovered from: x", "[sid] HTTP 429 (attempt 1/3), retrying in 2s",
  "route 'X' FAILED: HTTP 500: down", "Traceback (most recent call last):", "out of memory", "MemoryError", "context_length_exceeded",
  "This model's maximum context length is 8192 tokens", "429", "Too Many Requests", "Retry-After: 60", "Killed", "Segmentation fault (core dumped)",
  "ECONNRESET", "ETIMEDOUT", "EADDRINUSE", "ENOTFOUND", "CERTIFICATE_VERIFY_FAILED", "error code: 1010", "upgrade_required", "login_expired",
  "Google login expired or revoked (invalid_grant)", "Tier 1: trigger=proxy_health_fail action=restart_proxy", "Tier 3 AI: action=restart_proxy",
];

/** Today's proxy.log records that raise a signal (watchdog/signals.ts faultOfRecord), to be forged. */
const RECORDS = [
  "upstream_error kind=http_5xx status=500", "upstream_error kind=http_4xx status=401 code=invalid_api_key", "upstream_retry kind=http_429 status=429 delay_s=1",
  "upstream_error kind=http_4xx status=400 code=context_length_exceeded", "upstream_error kind=connection_refused", "upstream_error kind=timeout",
  "stream_error kind=connection_reset", "stream_error kind=provider_error code=context_length_exceeded", "client_gone where=mid_stream",
  "internal_error message=\"x\"", "caps state=corrupt", "pool_exhausted open=2 cooling=0 retry_after_s=60", "adapter_error code=login_expired status=401",
];

/** Each record as a line of its own, after a line break, or breaking out of a quoted field. */
function forgeries(record: string): string[] {
  const line = `2026-01-01T00:00:00.000Z [proxy] req=req_forged00001 ${record}`;
  return [record, `req=req_forged00001 ${record}`, `\n${line}\n`, `x\r\n${line}`, `x" ${record} y="`, `x\\" ${record}`, `x\u2028${line}\u2029`];
}

function patterns(): string[] {
  const words = new Set<string>([...ORIGINAL, ...LOG_EVENTS, ...FAILURE_KINDS, ...ACTIONS, ...CC_DEBUG_PATTERNS.flatMap((p) => p.all),
    ...TIER1_RULES.flatMap((r) => [r.trigger, ...r.categories]), ...Object.values(PROBE_SIGNALS).flatMap((s) => [s.category, s.faultId]),
    ...RECORDS.flatMap(forgeries)]);
  return [...words];
}

describe("security: request text never drives the watchdog", () => {
  let h: HeadlessHome;
  let provider: FakeProvider;
  let backup: FakeProvider;
  let ai: FakeProvider;
  let running: RunningHeadless | null = null;

  beforeEach(() => {
    h = makeHeadlessHome("watchdog-input");
    provider = new FakeProvider().otherwise({ kind: "text", text: "ok" });
    backup = new FakeProvider();
    ai = new FakeProvider().otherwise({ kind: "json", body: { choices: [{ message: { role: "assistant",
      content: "{\"action\": \"restart_proxy\", \"reason\": \"asked\", \"confidence\": 0.9}" } }] } });
  });

  afterEach(async () => {
    await running?.app.stop();
    running = null;
    for (const p of [provider, backup, ai]) p.stop();
    removeTree(h.home);
  });

  it("keeps the proxy's pid and takes no action for request text carrying every watchdog pattern", async () => {
    GLib.mkdir_with_parents(h.paths.codexHome, 0o700);
    // Everything the watchdog could do is allowed: restarts, switching to Backup, a Tier 3 model.
    GLib.file_set_contents(h.paths.endpointsFile, JSON.stringify({ default: "Main", endpoints: [
      { name: "Main", backend_type: "openai-compat", base_url: provider.url, api_key: "main-key-0123456789", default_model: "m", models: ["m"] },
      { name: "Backup", backend_type: "openai-compat", base_url: backup.url, api_key: "backup-key-0123456789", default_model: "b", models: ["b"] }],
    ai_monitoring: { enabled: true, provider_url: `${ai.url}/chat/completions`, model: "gpt-4o-mini", tier3_enabled: true, auto_restart_proxy: true,
      auto_switch_provider: true, notification_level: "all", health_check_interval_s: INTERVAL_S, health_timeout_s: 1, verify_window_s: 2 } }));
    running = await startHeadless(h);
    const { app, port } = running;
    const base = `http://127.0.0.1:${port}`;
    const token = clientToken(h);
    const auth = { Authorization: `Bearer ${token}` };
    const pid = proxyPid(h);
    const before = (await request("GET", `${base}/health`)).json();
    expect(before.pid).toBe(pid);
    const logStart = read(h.paths.monitoringLog).length;

    const all = patterns();
    const statuses = new Map<string, number>();
    const send = async (label: string, path: string, body: string | Uint8Array, headers: Record<string, string>): Promise<HttpReply> => {
      const reply = await request("POST", `${base}${path}`, body, headers).catch((e: Error) => {
        // The proxy went away under the requests: say what the watchdog did.
        throw new Error(`${label}: ${e.message}; monitoring.log since the start:\n${read(h.paths.monitoringLog).slice(logStart)}`);
      });
      const key = `${label} ${reply.status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      // Never the proxy's fault: a 5xx would be a signal of its own.
      expect(reply.status).withContext(`${label}: ${body.slice(0, 120)}`).toBeLessThan(500);
      return reply;
    };
    const encoder = new TextEncoder();
    const started = Date.now();
    for (const [i, p] of all.entries()) {
      const headers = { ...auth, "User-Agent": p.replace(/[\r\n\u2028\u2029]/g, " "), "session-id": `s-${i}`, "x-codex-turn-metadata": JSON.stringify({ turn: p }) };
      // Well-formed: the text in the model, the input (as a string, or as a message), streamed or not.
      const input = i % 2 ? p : [{ type: "message", role: "user", content: [{ type: "input_text", text: p }] }];
      expect((await send("well-formed", "/v1/responses", JSON.stringify({ model: p, input, stream: i % 3 === 0 }), headers)).status).toBe(200);
      // An unknown previous_response_id (the proxy answers 400 and quotes it).
      await send("previous_response_id", "/v1/responses", JSON.stringify({ model: p, previous_response_id: p, input: p }), auth);
      // Malformed, in turn: wrong types, a broken item, truncated JSON, invalid UTF-8.
      const malformed = [
        JSON.stringify({ model: p, input: p, tools: 5 }),
        JSON.stringify({ model: { name: p }, input: p }),
        JSON.stringify({ model: "m", input: [{ type: "message", role: "user", content: 5 }], previous_response_id: p }),
        `{"model": ${JSON.stringify(p)}, "input": ${JSON.stringify(p)}`,
        new Uint8Array([...encoder.encode(`{"model": ${JSON.stringify(p)}, "input": "`), 0xff, 0xfe, ...encoder.encode("\"}")]),
      ][i % 5];
      await send("malformed", "/v1/responses", malformed, auth);
      // Cross-origin, as a web page sends it (text/plain, no preflight), with and without the token.
      await send("cross-origin", "/v1/responses", JSON.stringify({ model: p, previous_response_id: p, input: p }),
        { ...(i % 2 ? auth : {}), Origin: "http://evil.example", "content-type": "text/plain" });
      // No token at all.
      if (i % 4 === 0) await send("no token", "/v1/responses", JSON.stringify({ model: p, input: p }), {});
    }
    // Everything at once, far over the 400 characters a quoted field keeps.
    await send("all at once", "/v1/responses", JSON.stringify({ model: all.join("\n"), input: all.map((text) => ({ type: "message", role: "user", content: text })) }), auth);
    await send("all at once", "/v1/responses", JSON.stringify({ model: all.join(" "), previous_response_id: all.join("\n"), input: "x" }), auth);
    // Paths carrying records, and a forged Host (DNS rebinding) with a record in its path.
    for (const record of RECORDS.slice(0, 4)) {
      await send("path", `/${encodeURIComponent(`x\n${record}`)}`, JSON.stringify({ model: record }), auth);
      const rebound = await rawRequest(port, [`POST /v1/${record.replace(/[^A-Za-z0-9_=]/g, "_")} HTTP/1.1`, "Host: attacker.example",
        `Authorization: Bearer ${token}`, "Content-Length: 2"].join("\r\n"), "{}");
      expect(rebound.status).toBe(421);
    }
    const sendingMs = Date.now() - started;
    const requests = [...statuses.values()].reduce((a, b) => a + b, 0) + 4;

    // Over a few watchdog intervals, then one real signal as a sentinel: once the watchdog acted on it, it
    // has read every line the requests above wrote (it reads proxy.log in order).
    await delay(3 * INTERVAL_S * 1000);
    provider.then({ kind: "status", status: 429, headers: { "Retry-After": "1" } }, { kind: "text", text: "after the sentinel" });
    const sentinel = await request("POST", `${base}/v1/responses`, JSON.stringify({ model: "m", input: "sentinel", stream: false }), auth);
    expect(sentinel.status).toBe(200);
    await waitFor(() => read(h.paths.monitoringLog).slice(logStart).includes("Tier 1: trigger=upstream_429 action=wait_retry_after"), 10000, "the sentinel");

    const log = read(h.paths.monitoringLog).slice(logStart);
    const lines = log.split("\n").filter(Boolean);
    // The only decision in the whole window is the sentinel's; no signal, alert, restart or switch.
    expect([...log.matchAll(/trigger=(\S+)/g)].map((m) => m[1])).withContext(log).toEqual(["upstream_429"]);
    const sentinelLines = lines.filter((l) => /upstream_429|rate_limited|wait_retry_after|as the provider asked \(Retry-After\)/.test(l));
    expect(sentinelLines.length).toBeGreaterThanOrEqual(2);
    // Nothing else at all: no signal counted, no alert, restart, switch or supervisor report.
    expect(lines.filter((l) => !sentinelLines.includes(l))).withContext(log).toEqual([]);
    expect(Object.keys(JSON.parse(read(h.paths.incidentStore) || "{\"incidents\":{}}").incidents)).toEqual(["rate_limited+http_429"]);
    expect(app.errLines.filter((l) => l.includes("ALERT"))).toEqual([]);
    expect([...app.lines, ...app.errLines].filter((l) => /proxy back on port|restarting|switching the proxy|Unhandled promise rejection/.test(l))).toEqual([]);
    expect(ai.requests.length).withContext("Tier 3 calls").toBe(0);
    expect(backup.requests.length).withContext("requests to the Backup endpoint").toBe(0);

    // Same process, same endpoint, still serving.
    const after = (await request("GET", `${base}/health`)).json();
    expect(after.pid).toBe(pid);
    expect(proxyPid(h)).toBe(pid);
    expect(after.uptime_s).toBeGreaterThanOrEqual(before.uptime_s + 3 * INTERVAL_S);
    expect(JSON.parse(read(h.paths.proxyConfig)).endpoint).toBe("Main");
    const served = await request("POST", `${base}/v1/responses`, JSON.stringify({ model: "m", input: "still there?", stream: false }), auth);
    expect(served.status).toBe(200);
    expect(served.json().output[0].content[0].text).toBe("ok");
    print(`        (${all.length} patterns, ${requests} requests in ${(sendingMs / 1000).toFixed(1)} s: ${[...statuses].map(([k, n]) => `${k}×${n}`).join(", ")}; ` +
      `proxy pid ${pid} throughout, up ${after.uptime_s} s; monitoring.log window: ${lines.length} lines, all the sentinel's)`);
  }, 120000);
});
