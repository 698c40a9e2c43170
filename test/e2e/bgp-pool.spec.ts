// AI BGP pools in the real proxy process, against fake providers on loopback: failover before the first
// byte, the breaker, cooldowns, race, the 502/503 verdicts, bgp-route-stats.json, usage-stats.json and
// requests.log, and the real Codex CLI continuing its turn on the next route when one is killed.
import GLib from "gi://GLib";
import type { HandedPool, HandedRoute } from "../../src/lib/pool-handover.js";
import { parseRouteStats, poolRoutes } from "../../src/lib/route-stats.js";
import { parseUsageStats } from "../../src/lib/usage-stats.js";
import { classifyLine } from "../../src/watchdog/signals.js";
import { makeCodexHome, runCodex, type CodexHome } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { postSse, request } from "../helpers/http.js";
import { waitFor } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const KEYS = ["sk-route-broken-0001", "sk-route-limited-0002", "sk-route-slow-0003", "sk-route-good-0004"];

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

const route = (name: string, provider: FakeProvider, priority: number, key = "", model = `model-${name}`): HandedRoute =>
  ({ name, backend: "openai-compat", target_url: provider.url, api_key: key, model, priority, price_per_mtok: 0 });

function body(text: string, stream = false): string {
  return JSON.stringify({ model: "codex-picks-this", input: text, stream, store: false });
}

/** Every record of requests.log. */
function requestsLog(dir: string): any[] {
  return read(`${dir}/requests.log`).split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

describe("AI BGP pool in the proxy", () => {
  let logDir: string;
  let proxy: RunningProxy | null = null;
  const providers: FakeProvider[] = [];
  let codex: CodexHome | null = null;

  function fake(): FakeProvider {
    const p = new FakeProvider();
    providers.push(p);
    return p;
  }

  async function start(pool: HandedPool, extra: string[] = []): Promise<RunningProxy> {
    proxy = await startProxy(["--log-dir", logDir, ...extra], { env: { CODEX_PROXY_ROUTES: JSON.stringify(pool) } });
    return proxy;
  }

  beforeEach(() => {
    logDir = makeTempDir("bgp-pool");
  });

  afterEach(async () => {
    await proxy?.child.stop();
    proxy = null;
    for (const p of providers.splice(0)) p.stop();
    if (codex) {
      removeTree(codex.home);
      removeTree(codex.workdir);
      codex = null;
    }
    removeTree(logDir);
  });

  it("answers every request through a 500, a 429, a slow first byte and a good route; opens the broken one; counts exactly the reported tokens", async () => {
    const broken = fake().otherwise({ kind: "status", status: 500, body: { error: { message: "internal failure" } } });
    const limited = fake().otherwise({ kind: "status", status: 429, headers: { "Retry-After": "300" }, body: { error: { message: "slow down" } } });
    const slow = fake().otherwise({ kind: "text", text: "slow answer", firstByteDelayMs: 3000, usage: { prompt: 101, completion: 11, cached: 40 } });
    const good = fake().otherwise({ kind: "text", text: "good answer", usage: { prompt: 202, completion: 22 } });
    // Priorities far apart: the broken route stays first in line until the breaker opens it.
    const p = await start({ pool: "Main", strategy: "failover", routes: [route("broken", broken, 0, KEYS[0]), route("limited", limited, 10, KEYS[1]),
      route("slow", slow, 20, KEYS[2]), route("good", good, 21, KEYS[3])] });
    const health = (await request("GET", `${p.url}/health`)).json();
    expect(health.bgp_pool).toBe("Main");
    expect(health.models).toEqual(["model-broken", "model-limited", "model-slow", "model-good"]);

    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const reply = await request("POST", `${p.url}/v1/responses`, body(`question ${i}`));
      expect(reply.status).withContext(reply.text).toBe(200);
      answers.push(reply.json().output[0].content[0].text);
      if (i === 0) expect(decodeURIComponent(reply.headers["x-codex-launcher-route"])).toBe("slow");
    }
    // The slow route answered first; its 3 s first byte then made the good one (one priority step behind) the better route.
    expect(answers).toEqual(["slow answer", "good answer", "good answer", "good answer", "good answer", "good answer"]);
    expect(broken.chatRequests().length).toBe(3);
    expect(limited.chatRequests().length).toBe(1);
    expect(slow.chatRequests().length).toBe(1);
    expect(good.chatRequests().length).toBe(5);
    // Each route got its own model and its own key.
    expect(good.chatRequests()[0].body.model).toBe("model-good");
    expect(good.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEYS[3]}`);

    await waitFor(() => poolRoutes(parseRouteStats(read(`${logDir}/bgp-route-stats.json`) || "{}"), "Main").some((e) => e.state === "open"), 5000, "the route stats");
    const stats = parseRouteStats(read(`${logDir}/bgp-route-stats.json`));
    const byName = Object.fromEntries(poolRoutes(stats, "Main").map((e) => [e.route, e]));
    const now = Date.now() / 1000;
    expect(byName.broken).toEqual(jasmine.objectContaining({ state: "open", consecutive_failures: 3, failures: 3 }));
    expect(byName.broken.open_until_ts!).toBeGreaterThan(now + 50);
    expect(byName.broken.last_error).toContain("HTTP 500");
    expect(byName.limited).toEqual(jasmine.objectContaining({ state: "cooling", consecutive_failures: 0 }));
    expect(byName.limited.rate_limited_until!).toBeGreaterThan(now + 20);
    expect(byName.slow.ewma_latency_s!).toBeGreaterThanOrEqual(3);
    expect(byName.good).toEqual(jasmine.objectContaining({ state: "closed", consecutive_failures: 0, requests: 5 }));
    const log = read(`${logDir}/proxy.log`);
    expect(log).toMatch(/route_open failures=3 until=\S+ pool="Main" route="broken"/);
    expect(log).toMatch(/route_cooldown until=\S+ pool="Main" route="limited"/);
    expect(log).toMatch(/route_error kind=http_5xx status=500 message="internal failure" route="broken"/);
    // A route's failure is the pool's to handle: no upstream_error line (the watchdog's provider signal).
    expect(log).not.toContain("upstream_error");
    for (const key of KEYS) expect(log).not.toContain(key);

    // Accounting: exactly what the providers reported (slow once, good five times), nothing estimated.
    await waitFor(() => parseUsageStats(read(`${logDir}/usage-stats.json`) || "{}").providers["bgp:Main"]?.total_requests === 6, 10000, "usage-stats.json");
    const usage = parseUsageStats(read(`${logDir}/usage-stats.json`)).providers["bgp:Main"];
    const reportedIn = 101 + 5 * 202;
    const reportedOut = 11 + 5 * 22;
    expect(usage.total_tokens_in - reportedIn).toBe(0);
    expect(usage.total_tokens_out - reportedOut).toBe(0);
    expect(usage.total_tokens_cached).toBe(40);
    expect(usage.estimated_requests).toBe(0);
    expect(usage).toEqual(jasmine.objectContaining({ total_requests: 6, successes: 6, failures: 0 }));
    expect(usage.models["model-good"]).toEqual({ requests: 5, tokens_in: 1010, tokens_out: 110, tokens_cached: 0 });
    expect(usage.routes!.broken).toEqual(jasmine.objectContaining({ requests: 3, failures: 3, successes: 0 }));
    expect(usage.routes!.limited).toEqual(jasmine.objectContaining({ requests: 1, failures: 1 }));
    expect(usage.ttfb_ms_recent.length).toBe(6);
    const records = requestsLog(logDir);
    expect(records.length).toBe(6);
    expect(records[0].attempts.map((a: any) => [a.route, a.outcome, a.status])).toEqual([["broken", "failed_before_first_byte", 500],
      ["limited", "rate_limited", 429], ["slow", "completed", 200]]);
    expect(records[1].failover_ms).toBeGreaterThanOrEqual(0);
    print(`[measured] failover (route failed → first byte from the next route): ${records.slice(1, 3).map((r) => `${r.failover_ms} ms`).join(", ")}; ` +
      `accounting error: ${usage.total_tokens_in - reportedIn} in, ${usage.total_tokens_out - reportedOut} out`);
    for (const key of KEYS) expect(read(`${logDir}/requests.log`)).not.toContain(key);
  }, 60000);

  it("holds the opening events until the route says something: a route cut before its first byte is replaced unseen, one cut after it ends with response.failed", async () => {
    const cutEarly = fake().then({ kind: "cut", text: "" }, { kind: "cut", text: "partial words" });
    const backup = fake().otherwise({ kind: "text", text: "from the backup", usage: { prompt: 5, completion: 3 } });
    const p = await start({ pool: "Cuts", strategy: "failover", routes: [route("first", cutEarly, 0), route("second", backup, 50)] });
    const early = await postSse(`${p.url}/v1/responses`, JSON.parse(body("one", true)));
    const types = early.events.map((e) => e.data.type);
    expect(types.filter((t) => t === "response.created").length).toBe(1);
    expect(types).not.toContain("response.failed");
    expect(types[types.length - 1]).toBe("response.completed");
    expect(early.events.filter((e) => e.data.type === "response.output_text.delta").map((e) => e.data.delta).join("")).toBe("from the backup");
    expect(decodeURIComponent(early.headers["x-codex-launcher-route"])).toBe("second");
    // Usage is asked for (stream_options.include_usage) and counted as reported.
    expect(backup.chatRequests()[0].body.stream_options).toEqual({ include_usage: true });

    // The first route still comes first (one failure: error rate 1/1 = 100 points, priority 50·10 = 500 for the backup).
    const late = await postSse(`${p.url}/v1/responses`, JSON.parse(body("two", true)));
    const lateTypes = late.events.map((e) => e.data.type);
    expect(late.events.filter((e) => e.data.type === "response.output_text.delta").map((e) => e.data.delta).join("")).toBe("partial words");
    expect(lateTypes[lateTypes.length - 1]).toBe("response.failed");
    expect(backup.chatRequests().length).toBe(1); // no second route after the first byte
    await waitFor(() => requestsLog(logDir).length === 2, 10000, "two request records");
    const [first, second] = requestsLog(logDir);
    expect(first.attempts.map((a: any) => a.outcome)).toEqual(["failed_before_first_byte", "completed"]);
    expect(second.attempts.map((a: any) => [a.route, a.outcome])).toEqual([["first", "failed"]]);
    // The route is charged for the broken stream; its partial answer is estimated (no usage came).
    await waitFor(() => poolRoutes(parseRouteStats(read(`${logDir}/bgp-route-stats.json`) || "{}"), "Cuts").find((e) => e.route === "first")?.consecutive_failures === 2,
      5000, "the charge");
    expect(first.tokens_in).toBe(5);
    expect(first.estimated).toBeFalse();
    expect(second.estimated).toBeTrue();
    expect(second.tokens_out).toBeGreaterThan(0);
  }, 30000);

  it("races routes: the first byte wins, the slower one is cancelled and not charged", async () => {
    const slow = fake().otherwise({ kind: "text", text: "late", firstByteDelayMs: 4000 });
    const fast = fake().otherwise({ kind: "text", text: "early", delayMs: 20, usage: { prompt: 9, completion: 4 } });
    const p = await start({ pool: "Race", strategy: "race", routes: [route("slow", slow, 0), route("fast", fast, 1)] });
    const reply = await postSse(`${p.url}/v1/responses`, JSON.parse(body("go", true)));
    expect(reply.events.filter((e) => e.data.type === "response.output_text.delta").map((e) => e.data.delta).join("")).toBe("early");
    expect(slow.chatRequests().length).toBe(1);
    await waitFor(() => slow.chatRequests()[0].clientGone, 5000, "the loser to be cancelled");
    await waitFor(() => requestsLog(logDir).length === 1, 10000, "the request record");
    const record = requestsLog(logDir)[0];
    expect(record.route).toBe("fast");
    expect(record.attempts.map((a: any) => [a.route, a.outcome])).toEqual([["slow", "race_lost"], ["fast", "completed"]]);
    await waitFor(() => read(`${logDir}/bgp-route-stats.json`).includes("\"route\": \"slow\""), 5000, "route stats");
    const slowStats = poolRoutes(parseRouteStats(read(`${logDir}/bgp-route-stats.json`)), "Race").find((e) => e.route === "slow")!;
    expect(slowStats).toEqual(jasmine.objectContaining({ consecutive_failures: 0, failures: 0, state: "closed" }));
    expect(read(`${logDir}/proxy.log`)).not.toContain("client_gone");
  }, 30000);

  it("answers 503 bgp_rate_limited with Retry-After when every route cools down, 502 bgp_all_routes_failed when every route fails, and writes the E5 line", async () => {
    const a = fake().otherwise({ kind: "status", status: 429, headers: { "Retry-After": "40" } });
    const b = fake().otherwise({ kind: "status", status: 429 });
    const p = await start({ pool: "Tired", strategy: "failover", routes: [route("a", a, 0), route("b", b, 1)] });
    const limited = await request("POST", `${p.url}/v1/responses`, body("x"));
    expect(limited.status).toBe(503);
    expect(limited.json().error.code).toBe("bgp_rate_limited");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(39);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(40);
    // Nothing is tried while all routes cool down.
    const again = await request("POST", `${p.url}/v1/responses`, body("y"));
    expect(again.status).toBe(503);
    expect(a.chatRequests().length + b.chatRequests().length).toBe(2);
    const line = read(`${logDir}/proxy.log`).split("\n").find((l) => l.includes("pool_exhausted"))!;
    expect(line).toMatch(/pool_exhausted open=0 cooling=2 retry_after_s=\d+ pool="Tired"/);
    expect(classifyLine(line, "proxy.log", Date.now())).toEqual(jasmine.objectContaining({ faultId: "E5", category: "routes_exhausted" }));

    await proxy!.child.stop();
    const c = fake().otherwise({ kind: "status", status: 500 });
    const dead = fake();
    dead.stop();
    const p2 = await start({ pool: "Broken", strategy: "failover", routes: [route("c", c, 0), route("dead", dead, 1)] });
    const failed = await request("POST", `${p2.url}/v1/responses`, body("z"));
    expect(failed.status).toBe(502);
    expect(failed.json().error.code).toBe("bgp_all_routes_failed");
    expect(failed.json().error.message).toMatch(/c: upstream HTTP 500.*dead: upstream unreachable: Connection refused/);
    // A request every provider refuses as such (400) is answered as the provider said, not as a pool
    // failure, and opens no route.
    await proxy!.child.stop();
    const picky = [fake(), fake()].map((f) => f.otherwise({ kind: "status", status: 400, body: { error: { message: "bad input", code: "invalid_value" } } }));
    const p3 = await start({ pool: "Picky", strategy: "failover", routes: [route("x", picky[0], 0), route("y", picky[1], 1)] });
    for (let i = 0; i < 3; i++) {
      const bad = await request("POST", `${p3.url}/v1/responses`, body("w"));
      expect(bad.status).toBe(400);
      expect(bad.json().error).toEqual(jasmine.objectContaining({ code: "invalid_value", message: "upstream HTTP 400: bad input" }));
    }
    expect(picky[0].chatRequests().length).toBe(3);
  }, 30000);

  it("keeps the real Codex CLI's turn going on the next route when the route it was using is killed", async () => {
    const first = fake();
    const second = fake().otherwise({ kind: "text", text: "The second route finished the turn.", usage: { prompt: 300, completion: 30 } });
    // The first route answers the first request (a tool call) and dies when the follow-up comes in.
    first.then({ kind: "tools", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo bgp-marker-5150", yield_time_ms: 10000 }) }] }, { kind: "die" });
    const p = await start({ pool: "Codex", strategy: "failover", routes: [route("first", first, 0), route("second", second, 1)] });
    codex = await makeCodexHome(p.port, "model-first");
    const result = await runCodex(codex, "run the marker command");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("The second route finished the turn.");
    expect(first.chatRequests().length).toBe(2);
    const followUp = second.chatRequests()[0].body;
    expect(followUp.model).toBe("model-second");
    expect(JSON.stringify(followUp.messages)).toContain("bgp-marker-5150");
    await waitFor(() => requestsLog(logDir).length >= 2, 10000, "request records");
    const records = requestsLog(logDir);
    const failover = records.find((r) => r.attempts.length > 1)!;
    expect(failover.attempts.map((a: any) => [a.route, a.outcome])).toEqual([["first", "failed_before_first_byte"], ["second", "completed"]]);
    expect(failover.attempts[0].error).toMatch(/Connection (terminated|reset|refused)/);
    print(`[measured] Codex turn failover (killed route → first byte from the next): ${failover.failover_ms} ms`);
  }, 120000);
});
