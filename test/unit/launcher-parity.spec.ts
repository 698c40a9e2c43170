// Pure logic behind the launcher's Doctor, latency badge, model tools, setup export/import, Codex login
// status and per-endpoint reasoning.
import { parseEndpoints, type EndpointsDoc } from "../../src/lib/endpoints.js";
import { applyReasoning, endpointReasoning } from "../../src/lib/reasoning.js";
import { blockedReason, doctorLatency, doctorSummary, doctorTarget, judgeAuth, judgeDns, judgeModel, judgeRoundTrip, judgeStream, judgeTls,
  judgeToolCall, pendingRows, type DoctorRow, type DoctorTarget } from "../../src/launcher/model/doctor.js";
import { formatMs, LatencyBook, latencyBadge, latencyLevel } from "../../src/launcher/model/latency.js";
import { mergeModels, normaliseModelId, parseBulkModels, sortModels, syncFromPreset } from "../../src/launcher/model/model-list.js";
import { buildBundle, BundleError, describeMerge, mergeSetup, parseBundle, serializeBundle } from "../../src/launcher/model/setup-bundle.js";
import { codexFlagChoices, loginLine, parseLoginStatus, readSessionOptions } from "../../src/launcher/model/codex-login.js";

const target = (url: string) => doctorTarget(url) as DoctorTarget;

describe("Doctor verdicts", () => {
  it("reads the target from the base URL, and refuses what is not http(s)", () => {
    expect(doctorTarget("https://api.deepseek.com/v1")).toEqual({ scheme: "https", host: "api.deepseek.com", port: 443, ipLiteral: false });
    expect(doctorTarget("http://127.0.0.1:8000/v1")).toEqual({ scheme: "http", host: "127.0.0.1", port: 8000, ipLiteral: true });
    expect(doctorTarget("http://user:pw@[::1]:9/v1")).toEqual({ scheme: "http", host: "::1", port: 9, ipLiteral: true });
    expect((doctorTarget("api.example.com") as { error: string }).error).toContain("not an http:// or https:// address");
  });

  it("DNS: an IP needs no lookup; an unknown host fails with its name", () => {
    expect(judgeDns(target("http://127.0.0.1:1/v1"), null).state).toBe("pass");
    const row = judgeDns(target("https://nowhere.invalid/v1"), { error: "Error resolving “nowhere.invalid”: Name or service not known", notFound: true, ms: 3 });
    expect(row).toEqual(jasmine.objectContaining({ state: "fail", reason: "nowhere.invalid does not resolve (no such host)" }));
    expect(judgeDns(target("https://a.example/v1"), { addresses: ["1.2.3.4", "5.6.7.8"], ms: 2 }).reason).toBe("a.example → 1.2.3.4, 5.6.7.8");
  });

  it("TLS: skipped for plain http, failed with the cause for https", () => {
    expect(judgeTls(target("http://localhost:8000/v1"), null)).toEqual(jasmine.objectContaining({ state: "skip", reason: "plain http to a local server: no TLS needed" }));
    expect(judgeTls(target("http://lan.example/v1"), null).reason).toContain("not encrypted");
    expect(judgeTls(target("https://x.example/v1"), { ok: false, error: "the certificate has expired", ms: 5 }).reason).toContain("the certificate has expired");
    expect(judgeTls(target("https://x.example/v1"), { ok: true, ms: 5 }).state).toBe("pass");
  });

  it("authentication: 401/403 fail with the provider's words; no model list is not a verdict", () => {
    const refused = judgeAuth(true, true, { reply: { status: 401, message: "Invalid API key", ms: 9 }, models: null });
    expect(refused).toEqual(jasmine.objectContaining({ state: "fail", reason: "the provider refused the key (HTTP 401: Invalid API key)" }));
    expect(judgeAuth(true, false, { reply: { status: 403, message: "", ms: 9 }, models: null }).reason).toBe("no API key is set and the provider wants one (HTTP 403)");
    expect(judgeAuth(true, true, { reply: { status: 200, message: "", ms: 9 }, models: ["a"] }).state).toBe("pass");
    expect(judgeAuth(false, true, { reply: null, models: null }).state).toBe("skip");
    expect(judgeAuth(true, true, { reply: { status: 404, message: "", ms: 1 }, models: null }).state).toBe("skip");
    expect(judgeAuth(true, true, { reply: { error: "Connection refused", ms: 1 }, models: null }).state).toBe("fail");
  });

  it("model: listed passes, missing fails naming a near miss or examples", () => {
    expect(judgeModel("m", { reply: null, models: ["a", "m"] }).state).toBe("pass");
    expect(judgeModel("GLM-5", { reply: null, models: ["glm-5", "glm-4"] }).reason).toContain("did you mean 'glm-5'?");
    const missing = judgeModel("gone", { reply: null, models: ["a", "b", "c", "d", "e"] });
    expect(missing).toEqual(jasmine.objectContaining({ state: "fail", reason: "'gone' is not among the 5 models the provider lists (e.g. a, b, c, d, …)" }));
    expect(judgeModel("m", { reply: null, models: null }).state).toBe("skip");
  });

  it("SSE: a JSON answer to a streamed request fails; an event stream passes", () => {
    const json = judgeStream({ status: 200, contentType: "application/json", firstBytes: "{\"id\":1}", message: "", ttfbMs: 40, framing: "sse" });
    expect(json.state).toBe("fail");
    expect(json.reason).toContain("answered application/json instead of an event stream (SSE)");
    expect(judgeStream({ status: 200, contentType: "text/event-stream; charset=utf-8", firstBytes: "data: {}\n\n", message: "", ttfbMs: 40, framing: "sse" }))
      .toEqual(jasmine.objectContaining({ state: "pass", ms: 40 }));
    expect(judgeStream({ status: 401, contentType: "application/json", firstBytes: "", message: "bad key", ttfbMs: 4, framing: "sse" }).reason).toContain("HTTP 401: bad key");
    expect(judgeStream({ status: 200, contentType: "application/x-ndjson", firstBytes: "{\"a\":1}\n", message: "", ttfbMs: 4, framing: "json-lines" }).state).toBe("pass");
  });

  it("tool call: a function_call passes; text instead fails and says what it means for Codex", () => {
    expect(judgeToolCall({ status: 200, body: { output: [{ type: "function_call", name: "get_current_time" }] }, message: "", ms: 5 }).reason)
      .toBe("answered with a call of get_current_time");
    const text = judgeToolCall({ status: 200, body: { output: [{ type: "message", content: [{ type: "output_text", text: "It is noon." }] }] }, message: "", ms: 5 });
    expect(text.state).toBe("fail");
    expect(text.reason).toContain("answered with text instead of calling the tool (\"It is noon.\")");
  });

  it("round trip: response.completed passes; response.failed fails with its message", () => {
    expect(judgeRoundTrip({ status: 200, events: [{ type: "response.created" }, { type: "response.completed" }], message: "", ttfbMs: 12, ms: 30 }))
      .toEqual(jasmine.objectContaining({ state: "pass", ms: 12 }));
    expect(judgeRoundTrip({ status: 200, events: [{ type: "response.failed", message: "upstream 500" }], message: "", ttfbMs: 12, ms: 30 }).reason)
      .toBe("the stream failed: upstream 500");
    expect(judgeRoundTrip({ status: 502, events: [], message: "DNS lookup failed", ttfbMs: null, ms: 30 }).state).toBe("fail");
  });

  it("skips what a failed prerequisite makes pointless, and summarises the first failure", () => {
    const rows: DoctorRow[] = pendingRows();
    const set = (row: DoctorRow) => rows.splice(rows.findIndex((r) => r.id === row.id), 1, row);
    set({ id: "dns", state: "fail", reason: "x.invalid does not resolve (no such host)" });
    expect(blockedReason("tls", rows)).toBe("skipped: the host does not resolve");
    expect(blockedReason("proxy", rows)).toBe("skipped: the host does not resolve");
    set({ id: "dns", state: "pass", reason: "" });
    set({ id: "auth", state: "fail", reason: "refused" });
    expect(blockedReason("model", rows)).toBe("skipped: the provider refused the key");
    expect(blockedReason("tls", rows)).toBeNull();
    expect(doctorSummary(rows).text).toBe("running…");
    for (const id of ["tls", "model", "sse", "tools", "proxy"] as const) set({ id, state: "skip", reason: "" });
    expect(doctorSummary(rows)).toEqual({ ok: false, text: "1 failed: Authentication — refused" });
    set({ id: "auth", state: "pass", reason: "" });
    set({ id: "proxy", state: "pass", reason: "", ms: 420 });
    expect(doctorSummary(rows).ok).toBeTrue();
    expect(doctorLatency(rows)).toBe(420);
  });
});

describe("latency badge", () => {
  it("is green under 1 s, amber under 3 s, red beyond", () => {
    expect(latencyLevel(0)).toBe("good");
    expect(latencyLevel(999)).toBe("good");
    expect(latencyLevel(1000)).toBe("fair");
    expect(latencyLevel(2999)).toBe("fair");
    expect(latencyLevel(3000)).toBe("poor");
    expect(formatMs(420)).toBe("420 ms");
    expect(formatMs(1450)).toBe("1.4 s");
  });

  it("says where the figure came from, and keeps the newest per endpoint", () => {
    expect(latencyBadge(null, 0)).toEqual(jasmine.objectContaining({ level: null, text: "latency: not measured" }));
    const badge = latencyBadge({ ms: 1800, source: "doctor", at: 0 }, 120000);
    expect(badge).toEqual(jasmine.objectContaining({ level: "fair", text: "1.8 s" }));
    expect(badge.tooltip).toContain("from Doctor (2 min ago)");
    const book = new LatencyBook();
    const seen: string[] = [];
    book.onChange((e) => seen.push(e));
    book.record("A", { ms: 100, source: "test", at: 10 });
    book.record("A", { ms: 900, source: "traffic", at: 5 }); // older: ignored
    expect(book.latest("A")).toEqual({ ms: 100, source: "test", at: 10 });
    expect(book.latest("B")).toBeNull();
    expect(seen).toEqual(["A"]);
  });
});

describe("model list tools", () => {
  it("Bulk Add splits on commas and new lines and normalises like the original", () => {
    expect(normaliseModelId("  Qwen/Qwen3-Coder+ ")).toBe("qwen-qwen3-coderplus");
    expect(parseBulkModels("GLM-5.1, glm-5.1\nDeepSeek/DeepSeek-V4\r\n\"kimi-k2\",,  ")).toEqual(["glm-5.1", "deepseek-deepseek-v4", "kimi-k2"]);
    expect(parseBulkModels("zai-org/GLM-5.1, a+b", false)).toEqual(["zai-org/GLM-5.1", "a+b"]);
  });

  it("merges without repeats, sorts A–Z with numbers in order, syncs the preset's missing models", () => {
    expect(mergeModels(["a", "b"], ["b", "c"])).toEqual({ models: ["a", "b", "c"], added: 1 });
    expect(sortModels(["glm-5", "GLM-4.7", "deepseek", "glm-10"])).toEqual(["deepseek", "GLM-4.7", "glm-5", "glm-10"]);
    expect(syncFromPreset(["mine", "glm-5"], ["glm-5.1", "glm-5"])).toEqual({ models: ["mine", "glm-5", "glm-5.1"], added: ["glm-5.1"] });
  });
});

describe("setup export / import", () => {
  const doc: EndpointsDoc = parseEndpoints(JSON.stringify({
    default: "B",
    endpoints: [
      { name: "A", backend_type: "openai-compat", base_url: "https://a/v1", api_key: "plain-left-by-original", default_model: "m", models: ["m"] },
      { name: "B", backend_type: "anthropic", base_url: "https://b/v1", default_model: "c", models: ["c"], reasoning_enabled: true, reasoning_effort: "high" },
    ],
    ai_monitoring: { enabled: true, model: "qwen3" },
    codex_session: { sandbox: "read-only", approval: "never" },
  }));
  const pools = { pools: [{ name: "P", strategy: "failover", routes: [{ name: "r", endpoint_name: "A", api_key: "route-key", model: "m" }] }] };

  it("leaves keys out unless asked, everywhere (endpoints, pools)", () => {
    const bundle = buildBundle(doc, { keys: null, pools, appVersion: "4.1.0", now: new Date(0) });
    const text = serializeBundle(bundle);
    expect(text).not.toContain("plain-left-by-original");
    expect(text).not.toContain("route-key");
    expect(bundle.includes_keys).toBeFalse();
    expect(bundle.endpoints.ai_monitoring).toEqual({ enabled: true, model: "qwen3" });
    const withKeys = buildBundle(doc, { keys: { "endpoint:A": "sk-a", "endpoint:B": "" }, pools, appVersion: "4.1.0", now: new Date(0) });
    expect(withKeys.keys).toEqual({ "endpoint:A": "sk-a" });
    expect(JSON.stringify(withKeys.bgp_pools)).toContain("route-key");
    expect(parseBundle(serializeBundle(withKeys))).toEqual(jasmine.objectContaining({ includes_keys: true, keys: { "endpoint:A": "sk-a" } }));
  });

  it("refuses files that are not a valid setup, saying why", () => {
    const valid = JSON.parse(serializeBundle(buildBundle(doc, { keys: null, pools: null, appVersion: "x", now: new Date(0) })));
    const refused = (value: unknown) => {
      try {
        parseBundle(typeof value === "string" ? value : JSON.stringify(value));
      } catch (e) {
        expect(e).toBeInstanceOf(BundleError);
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(refused("{nope")).toContain("not a JSON file");
    expect(refused({ ...valid, format: "other" })).toContain("not a Codex Launcher setup file");
    expect(refused({ ...valid, version: 99 })).toContain("newer than this Codex Launcher understands");
    expect(refused({ ...valid, endpoints: { endpoints: [{ name: "A" }, { name: "A" }] } })).toContain("two endpoints are named 'A'");
    expect(refused({ ...valid, keys: { "endpoint:Z": "k" } })).toContain("'endpoint:Z', which is not one of its endpoints");
    expect(refused({ ...valid, keys: { "endpoint:A": 5 } })).toContain("must map names to text");
  });

  it("merges: adds new, replaces same-named in place, keeps the rest, takes the bundle's sections", () => {
    const current = parseEndpoints(JSON.stringify({ default: "Mine", endpoints: [
      { name: "Mine", base_url: "https://mine/v1", models: ["x"] }, { name: "A", base_url: "https://old-a/v1", models: ["old"] }] }));
    const result = mergeSetup(current, doc);
    expect(result.doc.endpoints.map((e) => `${e.name}:${e.base_url}`)).toEqual(["Mine:https://mine/v1", "A:https://a/v1", "B:https://b/v1"]);
    expect(result).toEqual(jasmine.objectContaining({ added: ["B"], replaced: ["A"], kept: ["Mine"], sections: ["ai_monitoring", "codex_session"] }));
    expect(result.doc.default).toBe("Mine");
    expect(result.doc.endpoints.every((e) => e.api_key === "")).toBeTrue();
    expect(mergeSetup({ default: null, endpoints: [] }, doc).doc.default).toBe("B");
    expect(describeMerge(result, false)).toBe("adds 'B'; replaces 'A'; keeps 'Mine' as they are; sets ai_monitoring, codex_session; without keys (the file has none; existing keys stay)");
  });
});

describe("Codex login status and session options", () => {
  it("reads codex login status (stderr, exit code) without Codex's own warnings", () => {
    const warn = "WARNING: proceeding, even though we could not create PATH aliases: …\n";
    expect(parseLoginStatus(1, `${warn}Not logged in\n`)).toEqual({ state: "logged-out", text: "Not logged in" });
    expect(parseLoginStatus(0, `${warn}API key configured - ***\nAuthentication is checked when you send a request.\n`))
      .toEqual({ state: "logged-in", text: "API key configured - ***" });
    expect(parseLoginStatus(0, "Logged in using ChatGPT\n").state).toBe("logged-in");
    expect(parseLoginStatus(null, "").state).toBe("unknown");
    expect(loginLine(null, false).text).toContain("not installed");
    expect(loginLine({ state: "logged-out", text: "Not logged in" }, true).text).toContain("endpoints here use their own keys");
  });

  it("offers only the flag values the installed Codex lists in its --help (0.169: no untrusted, no on-failure)", () => {
    // As `codex --help` of 0.169.0 prints them.
    const help = ["  -s, --sandbox <SANDBOX_MODE>", "          Select the sandbox policy to use when executing model-generated shell commands", "          ",
      "          [possible values: read-only, workspace-write, danger-full-access]", "", "      --approve-for-me",
      "          Route approval requests through automatic review using the workspace-write sandbox", "",
      "  -a, --ask-for-approval <APPROVAL_POLICY>", "          Configure when the model requires human approval before executing a command", "",
      "          Possible values:", "          - on-request: The model decides when to ask the user for approval",
      "          - never:      Never ask for user approval Execution failures are immediately returned to", "            the model", "",
      "      --search", "          Enable live web search."].join("\n");
    expect(codexFlagChoices(help)).toEqual({ sandbox: ["read-only", "workspace-write", "danger-full-access"], approval: ["on-request", "never"] });
    expect(codexFlagChoices("  -a, --ask-for-approval <P>\n   [possible values: untrusted, on-failure, on-request, never]\n"))
      .toEqual({ sandbox: null, approval: ["untrusted", "on-request", "on-failure", "never"] });
  });

  it("reads the saved sandbox and approval, falling back to Codex's defaults", () => {
    expect(readSessionOptions({ sandbox: "read-only", approval: "never" })).toEqual({ sandbox: "read-only", approval: "never" });
    expect(readSessionOptions({ sandbox: "workspace", approval: "full-auto" })).toEqual({ sandbox: "workspace-write", approval: "on-request" });
    expect(readSessionOptions(undefined)).toEqual({ sandbox: "workspace-write", approval: "on-request" });
  });
});

describe("per-endpoint reasoning", () => {
  it("maps the original's fields to the proxy's setting", () => {
    expect(endpointReasoning({ reasoning_enabled: false, reasoning_effort: "high" })).toBe("off");
    expect(endpointReasoning({ reasoning_enabled: true, reasoning_effort: "max" })).toBe("xhigh");
    expect(endpointReasoning({ reasoning_effort: "low" })).toBe("low");
    expect(endpointReasoning({})).toBeNull();
    expect(endpointReasoning({ reasoning_enabled: true, reasoning_effort: "bogus" })).toBeNull();
  });

  it("replaces or removes the request's effort, keeping the rest", () => {
    const a: { reasoning?: Record<string, unknown> | null } = { reasoning: { effort: "medium", summary: "auto" } };
    applyReasoning(a, "high");
    expect(a.reasoning).toEqual({ effort: "high", summary: "auto" });
    applyReasoning(a, "off");
    expect(a.reasoning).toEqual({ summary: "auto" });
    const b: { reasoning?: Record<string, unknown> | null } = { reasoning: { effort: "low" } };
    applyReasoning(b, "off");
    expect("reasoning" in b).toBeFalse();
    const c: { reasoning?: Record<string, unknown> | null } = {};
    applyReasoning(c, null);
    expect(c).toEqual({});
    applyReasoning(c, "minimal");
    expect(c.reasoning).toEqual({ effort: "minimal" });
  });
});
