// Supervision you can leave running (issue 8), on real processes: the real proxy as the supervisor's
// child, a fake provider on loopback, the watchdog with short intervals. Times are printed, not asserted
// (bench/watchdog.mjs measures them); the specs assert what the supervisor decided and what survived.
import GLib from "gi://GLib";
import type { AppContext } from "../../src/launcher/app-context.js";
import type { ProxySpec, SupervisorEvent } from "../../src/launcher/proxy-supervisor.js";
import { LauncherSession } from "../../src/launcher/session.js";
import { MonitoringController } from "../../src/watchdog/controller.js";
import { DEFAULT_MONITORING } from "../../src/watchdog/config.js";
import { Watchdog } from "../../src/watchdog/watchdog.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson, postSse, request } from "../helpers/http.js";
import { waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

const kill = (pid: number, signal = "KILL") => GLib.spawn_command_line_sync(`kill -${signal} ${pid}`);

describe("supervision", () => {
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;
  let events: SupervisorEvent[];
  let spec: ProxySpec;
  let watchdog: Watchdog | null = null;
  let monitoring: MonitoringController | null = null;
  const auth = () => ({ Authorization: `Bearer ${ctx.clientToken}` });
  const healthyNewProxy = (old: number) => waitFor(async () => ctx.supervisor.state === "running" && ctx.supervisor.pid !== old &&
    !!(await ctx.supervisor.health(500)), 20000, "a healthy new proxy", 5);

  beforeEach(async () => {
    home = makeTestHome("supervision");
    provider = new FakeProvider();
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "P", endpoints: [{ name: "P", backend_type: "openai-compat",
      base_url: provider.url, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: false } }));
    ctx = await makeTestContext(home);
    events = [];
    ctx.supervisor.onEvent((e) => events.push(e));
    spec = { endpointName: "P", backend: "openai-compat", targetUrl: provider.url, apiKey: "", models: ["m"], model: "m", idleTimeoutS: 2, firstByteTimeoutS: 2 };
  });

  afterEach(async () => {
    watchdog?.stop();
    watchdog = null;
    monitoring?.shutdown();
    monitoring = null;
    await ctx.supervisor.dispose();
    provider.stop();
    removeTree(home.home);
  });

  it("brings the proxy back at once after each of three SIGKILLs 3 s apart, on the same port", async () => {
    const port = await ctx.supervisor.start(spec);
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 3000));
      const pid = ctx.supervisor.pid;
      const killed = Date.now();
      kill(pid);
      await healthyNewProxy(pid);
      times.push(Date.now() - killed);
      expect(ctx.supervisor.port).toBe(port);
    }
    print(`        (crash to healthy: ${times.map((t) => `${t} ms`).join(", ")})`);
    // Each restart was scheduled with no delay: the proxy had been healthy before it died.
    expect(events.filter((e) => e.kind === "restart_scheduled").map((e) => (e as { delayMs: number }).delayMs)).toEqual([0, 0, 0]);
    expect(events.filter((e) => e.kind === "budget_spent")).toEqual([]);
  }, 40000);

  it("keeps bringing the proxy back through eight SIGKILLs in a row, alerting once when the budget is spent", async () => {
    monitoring = new MonitoringController(ctx, async () => true, (title, body) => alerts.push(`${title}: ${body}`));
    const alerts: string[] = [];
    await monitoring.load(); // AI Monitoring is off: supervision and its alert are not
    const port = await ctx.supervisor.start(spec);
    let last = 0;
    for (let k = 0; k < 8; k++) {
      const pid = ctx.supervisor.pid;
      const killed = Date.now();
      kill(pid);
      await healthyNewProxy(pid);
      last = Date.now() - killed;
    }
    print(`        (healthy again ${last} ms after the 8th kill)`);
    expect(ctx.supervisor.port).toBe(port);
    expect(events.filter((e) => e.kind === "budget_spent").length).toBe(1);
    expect(alerts.filter((a) => a.startsWith("The proxy keeps failing")).length).toBe(1);
    // A crash loop backs off: the first restart at once, then growing waits (never given up).
    const delays = events.filter((e) => e.kind === "restart_scheduled").map((e) => (e as { delayMs: number }).delayMs);
    expect(delays.length).toBe(8);
    expect(delays[0]).toBe(0);
    for (let i = 2; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
    expect(read(home.paths.monitoringLog)).toContain("supervisor: restart budget spent");
  }, 90000);

  it("never restarts the proxy for faults of single requests, and leaves other live streams untouched", async () => {
    const port = await ctx.supervisor.start(spec);
    const session = new LauncherSession(ctx);
    watchdog = new Watchdog({ paths: home.paths, supervisor: ctx.supervisor, endpoints: ctx.endpoints,
      config: { ...DEFAULT_MONITORING, enabled: true, auto_switch_provider: true, verify_window_s: 1 }, aiApiKey: "",
      announce: async () => true, notify: () => {}, refreshProfile: () => session.refreshProfile() });
    watchdog.start();
    const pid = ctx.supervisor.pid;
    const url = `http://127.0.0.1:${port}/v1/responses`;
    const long = "a long answer that keeps streaming while other requests fail ".repeat(6);
    provider.then(
      { kind: "text", text: long, chunkSize: 8, delayMs: 40 },
      { kind: "sse", frames: ["data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one \"}}]}\n\n", "data: {not json\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad chunk skipped\"},\"finish_reason\":\"stop\"}]}\n\n"] },
      { kind: "sse", frames: ["data: {\"error\":{\"message\":\"overloaded\",\"code\":\"overloaded\"}}\n\n"] },
      { kind: "stall" },
    );
    const streaming = postSse(url, { model: "m", input: "long", stream: true }, { headers: auth() });
    await waitFor(() => provider.requests.length >= 1, 5000, "the long stream to start");
    const skipped = await postSse(url, { model: "m", input: "bad chunk", stream: true }, { headers: auth() });
    const failed = await postSse(url, { model: "m", input: "provider error", stream: true }, { headers: auth() });
    const timedOut = await request("POST", url, JSON.stringify({ model: "m", input: "stall" }), auth());
    const full = await streaming;
    // The long stream finished whole, on the same process.
    const done = full.events.find((e) => e.data.type === "response.output_item.done")!;
    expect(done.data.item.content[0].text).toBe(long);
    expect(full.events.at(-1)!.data.type).toBe("response.completed");
    expect(skipped.events.find((e) => e.data.type === "response.output_item.done")!.data.item.content[0].text).toBe("one bad chunk skipped");
    expect(failed.events.at(-1)!.data.type).toBe("response.failed");
    expect(timedOut.status).toBe(504);
    await waitFor(() => /signal B5 timeout|trigger=upstream_timeout/.test(read(home.paths.monitoringLog)), 5000, "the watchdog to see the timeout");
    expect(ctx.supervisor.pid).toBe(pid);
    expect((await getJson(`http://127.0.0.1:${port}/health`)).json().pid).toBe(pid);
    await waitFor(() => read(home.paths.monitoringLog).includes("stream idle timeout raised to 4 s in the running proxy (no restart)"), 5000, "the live change");
    expect(read(home.paths.monitoringLog)).not.toMatch(/action=restart_proxy|proxy restarted/);
    expect(ctx.supervisor.pid).toBe(pid);
  }, 40000);

  it("drains live streams before a restart, answering 503 to new requests meanwhile", async () => {
    const port = await ctx.supervisor.start(spec);
    const pid = ctx.supervisor.pid;
    const answer = "every token of this answer arrives although the proxy restarts ".repeat(3);
    provider.then({ kind: "text", text: answer, chunkSize: 6, delayMs: 60 });
    const url = `http://127.0.0.1:${port}/v1/responses`;
    const live = postSse(url, { model: "m", input: "long", stream: true }, { headers: auth() });
    await waitFor(() => provider.requests.length === 1, 5000, "the stream to start");
    const restarted = ctx.supervisor.restart(spec, "a test restart");
    // While the old proxy drains, a new request is refused with 503 (Codex retries it).
    const refused = await waitFor(async () => {
      const r = await request("POST", url, JSON.stringify({ model: "m", input: "during" }), auth()).catch(() => null);
      return r && r.status === 503 ? r : null;
    }, 5000, "a 503 during the drain", 20);
    expect(refused.json().error.code).toBe("server_shutting_down");
    const reply = await live;
    expect(reply.events.find((e) => e.data.type === "response.output_item.done")!.data.item.content[0].text).toBe(answer);
    expect(await restarted).toBe(port);
    expect(ctx.supervisor.pid).not.toBe(pid);
    // Queued only now: a probe sent before the drain began is served by the old proxy, and must not take it.
    provider.then({ kind: "text", text: "after the restart" });
    const after = await postSse(url, { model: "m", input: "after", stream: true }, { headers: auth() });
    expect(after.events.find((e) => e.data.type === "response.output_item.done")!.data.item.content[0].text).toBe("after the restart");
  }, 40000);

  it("Tier 2 reuses a Tier 1 fix once it was verified to work, with no AI configured", async () => {
    await ctx.supervisor.start(spec);
    const session = new LauncherSession(ctx);
    let clock = Date.now();
    watchdog = new Watchdog({ paths: home.paths, supervisor: ctx.supervisor, endpoints: ctx.endpoints,
      config: { ...DEFAULT_MONITORING, enabled: true, tier3_enabled: true, provider_url: "", model: "", verify_window_s: 1 }, aiApiKey: "",
      announce: async () => true, notify: () => {}, refreshProfile: () => session.refreshProfile(), now: () => clock });
    watchdog.start();
    const url = `${ctx.supervisor.url}/v1/responses`;
    for (let round = 1; round <= 3; round++) {
      provider.then({ kind: "stall" });
      expect((await request("POST", url, JSON.stringify({ model: "m", input: `stall ${round}` }), auth())).status).toBe(504);
      if (round < 3) await waitFor(() => (read(home.paths.monitoringLog).match(/verified increase_timeout for timeout: SUCCESS/g) ?? []).length === round,
        10000, `verification ${round}`);
      clock += 3600_000; // past every cooldown
    }
    await waitFor(() => /Tier 2: trigger=known:timeout action=increase_timeout/.test(read(home.paths.monitoringLog)), 10000, "the Tier 2 reuse");
    const log = read(home.paths.monitoringLog);
    expect((log.match(/Tier 1: trigger=upstream_timeout action=increase_timeout/g) ?? []).length).toBe(2);
    expect(log).not.toContain("Tier 3");
    const incident = JSON.parse(read(home.paths.incidentStore)).incidents.timeout;
    expect(incident.fix).toBe("increase_timeout");
    expect(incident.success_count).toBeGreaterThanOrEqual(2);
  }, 60000);
});
