// Fault injection on real processes: the real proxy (a child of the supervisor), a fake provider and a
// fake AI on loopback, the watchdog with short intervals. Each case checks what was done, what was
// logged, and that no user file was lost. Requests carry the client token, as Codex's profile does.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import type { AppContext } from "../../src/launcher/app-context.js";
import { DEFAULT_MONITORING, type MonitoringConfig } from "../../src/watchdog/config.js";
import { Watchdog } from "../../src/watchdog/watchdog.js";
import { LauncherSession } from "../../src/launcher/session.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { postSse, request } from "../helpers/http.js";
import { delay, waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

const KEY = "sk-watchdog-provider-key-123456";
const USER_TOML = "# the user's own Codex settings\napproval_policy = \"never\"\n";

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

function lsDir(dir: string): string[] {
  const [, out] = GLib.spawn_command_line_sync(`ls -a ${dir}`);
  return new TextDecoder().decode(out!).split("\n").filter(Boolean);
}

describe("AI Monitoring fault injection", () => {
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;
  let backup: FakeProvider | null;
  let ai: FakeProvider | null;
  let watchdog: Watchdog;
  let notes: string[];
  let endpointsBefore: string;
  let session: LauncherSession;
  const monitoringLog = () => read(home.paths.monitoringLog);
  const auth = () => ({ Authorization: `Bearer ${ctx.clientToken}` });
  const post = (body: unknown) => request("POST", `${ctx.supervisor.url}/v1/responses`, JSON.stringify(body), auth());
  const stream = (body: unknown) => postSse(`${ctx.supervisor.url}/v1/responses`, body, { headers: auth() });

  async function setup(config: Partial<MonitoringConfig> = {}, options: { backupEndpoint?: boolean; aiKey?: string } = {}): Promise<void> {
    home = makeTestHome("watchdog");
    provider = new FakeProvider();
    backup = options.backupEndpoint ? new FakeProvider() : null;
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    const endpoints = [{ name: "Primary", backend_type: "openai-compat", base_url: provider.url, api_key: "", default_model: "m-primary", models: ["m-primary"], provider_preset: "Custom" }];
    if (backup) endpoints.push({ name: "Backup", backend_type: "openai-compat", base_url: backup.url, api_key: "", default_model: "m-backup", models: ["m-backup"], provider_preset: "Custom" });
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "Primary", endpoints }, null, 2));
    GLib.file_set_contents(home.paths.codexConfigToml, USER_TOML);
    ctx = await makeTestContext(home);
    await ctx.endpoints.setKey("Primary", KEY);
    endpointsBefore = read(home.paths.endpointsFile);
    notes = [];
    session = new LauncherSession(ctx);
    const full = { ...DEFAULT_MONITORING, enabled: true, health_check_interval_s: 2, health_timeout_s: 1, verify_window_s: 2, ...config };
    ctx.supervisor.configure({ probeIntervalMs: full.health_check_interval_s * 1000, probeTimeoutMs: full.health_timeout_s * 1000, memoryCapMb: full.max_memory_mb });
    const port = await ctx.supervisor.start({ endpointName: "Primary", backend: "openai-compat", targetUrl: provider.url, apiKey: KEY, models: ["m-primary"], model: "m-primary" });
    await session.writeProfile(port, "m-primary", "Primary", ["m-primary"]);
    watchdog = new Watchdog({
      paths: home.paths, supervisor: ctx.supervisor, endpoints: ctx.endpoints, config: full,
      aiApiKey: options.aiKey ?? "", announce: async () => true, notify: (title, body) => notes.push(`${title}: ${body}`),
      secrets: async () => [KEY, ctx.clientToken], refreshProfile: () => session.refreshProfile(),
    });
    watchdog.start();
  }

  afterEach(async () => {
    watchdog?.stop();
    session?.dispose();
    await ctx?.supervisor.stop();
    provider?.stop();
    backup?.stop();
    ai?.stop();
    ai = null;
    // Nothing the user owns was touched: endpoints.json and config.toml are as they had them.
    expect(read(home.paths.endpointsFile)).toBe(endpointsBefore);
    expect(read(home.paths.codexConfigToml)).toBe(USER_TOML);
    removeTree(home.home);
  });

  it("brings a proxy killed with SIGKILL back on the same port at once; the watchdog records the supervisor's work", async () => {
    await setup();
    const { pid, port } = ctx.supervisor;
    const killedAt = Date.now();
    GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
    await waitFor(async () => ctx.supervisor.pid !== pid && ctx.supervisor.state === "running" && !!(await ctx.supervisor.health(500)), 5000, "a healthy new proxy", 10);
    const recoveryMs = Date.now() - killedAt;
    print(`        (crash to healthy: ${recoveryMs} ms)`);
    expect(ctx.supervisor.port).toBe(port);
    expect(GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS)).toBeFalse();
    await waitFor(() => /supervisor: proxy healthy again on port \d+/.test(monitoringLog()), 5000, "the supervisor's report");
    const log = monitoringLog();
    expect(log).toMatch(new RegExp(`supervisor: the proxy \\(pid ${pid}\\) exited \\(signal 9\\)`));
    expect(log).toMatch(/Tier 1: trigger=proxy_crashed action=supervise/);
    expect(log).toMatch(new RegExp(`supervisor: proxy healthy again on port ${port} \\(pid \\d+\\), \\d+ ms after`));
    expect(JSON.parse(read(home.paths.incidentStore)).incidents.proxy_crash).toEqual(jasmine.objectContaining({ fault_ids: ["A5"], occurrences: 1 }));
  });

  it("detects a proxy hung with SIGSTOP within one probe interval plus two timeouts, and replaces it", async () => {
    await setup();
    const { pid } = ctx.supervisor;
    const stoppedAt = Date.now();
    GLib.spawn_command_line_sync(`kill -STOP ${pid}`);
    await waitFor(() => /supervisor: \/health gave no answer within 1 s, twice/.test(monitoringLog()), 10000, "the hang to be detected", 50);
    const detectedMs = Date.now() - stoppedAt;
    print(`        (hang to detected: ${detectedMs} ms; bound ${2000 + 2 * 1000} ms plus scheduling)`);
    expect(detectedMs).toBeLessThanOrEqual(2000 + 2 * 1000 + 500);
    await waitFor(async () => ctx.supervisor.pid !== pid && !!(await ctx.supervisor.health(500)), 8000, "a healthy new proxy")
      .catch((e) => { throw new Error(`${e.message}\n${monitoringLog()}`); });
    expect(monitoringLog()).toMatch(/Tier 1: trigger=proxy_health_fail action=supervise/);
    await waitFor(() => !GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS), 3000, "the hung process to be gone");
  });

  it("moves to a free port and points Codex's profile there when another program took the port", async () => {
    await setup();
    const { pid, port } = ctx.supervisor;
    // Grab the port the moment the proxy is gone. This loop blocks the main loop, so the supervisor's
    // immediate restart (run from the main loop when it sees the exit) cannot bind it first.
    const squatter = new Gio.SocketListener();
    GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
    let bound = false;
    for (let i = 0; i < 400 && !bound; i++) {
      try {
        squatter.add_inet_port(port, null);
        bound = true;
      } catch {
        GLib.usleep(2000);
      }
    }
    expect(bound).toBeTrue();
    try {
      await waitFor(() => ctx.supervisor.state === "running" && ctx.supervisor.port !== port, 15000, "the proxy on another port");
      await waitFor(() => read(home.paths.codexProfile).includes(`base_url = "http://127.0.0.1:${ctx.supervisor.port}/v1"`), 8000, "the profile to follow");
      const log = monitoringLog();
      expect(log).toMatch(new RegExp(`supervisor: port ${port} is taken by pid \\d+; the proxy moved to ${ctx.supervisor.port}`));
      expect(log).toMatch(/Tier 1: trigger=proxy_port_conflict action=supervise/);
    } finally {
      squatter.close();
    }
  }, 30000);

  it("restarts a proxy over its memory cap, after its live streams finished", async () => {
    await setup({ max_memory_mb: 5 });
    const { pid } = ctx.supervisor;
    await waitFor(() => /supervisor: proxy RSS [\d.]+ MB is over the 5 MB cap; restarting it after live streams finish/.test(monitoringLog()), 8000, "the memory check");
    await waitFor(() => ctx.supervisor.pid !== pid && ctx.supervisor.state === "running", 8000, "the restart").catch((e) => { throw new Error(`${e.message}\n${monitoringLog()}`); });
    expect(monitoringLog()).toMatch(/Tier 1: trigger=proxy_memory_over_limit action=supervise/);
    ctx.supervisor.configure({ memoryCapMb: 1024 });
  });

  it("switches to the next endpoint after three 500s within a minute (auto-switch on)", async () => {
    await setup({ auto_switch_provider: true }, { backupEndpoint: true });
    provider.otherwise({ kind: "status", status: 500, body: { error: { message: "An internal error occurred." } } });
    backup!.then({ kind: "text", text: "served by the backup" });
    for (let i = 0; i < 3; i++) expect((await post({ model: "m-primary", input: "hi" })).status).toBe(500);
    await waitFor(() => ctx.supervisor.spec?.endpointName === "Backup" && ctx.supervisor.state === "running", 10000, "the switch to Backup");
    const log = monitoringLog();
    expect(log).toMatch(/trigger=upstream_500_repeat_3x action=switch_provider/);
    expect(log).toContain("switching provider: Primary → Backup (model m-backup)");
    const reply = await stream({ model: "m-primary", input: "hi", stream: true });
    expect(reply.events.find((e) => e.data.type === "response.output_item.done")!.data.item.content[0].text).toBe("served by the backup");
    expect(backup!.chatRequests()[0].body.model).toBe("m-backup");
    await waitFor(() => notes.some((n) => n.startsWith("Switched provider")), 10000, "the switch to be announced");
    await waitFor(() => read(home.paths.codexProfile).includes('model = "m-backup"'), 5000, "the profile to follow the switch");
  }, 30000);

  it("only alerts after three 500s when auto-switch is off", async () => {
    await setup({ auto_switch_provider: false });
    provider.otherwise({ kind: "status", status: 500 });
    const pid = ctx.supervisor.pid;
    for (let i = 0; i < 3; i++) await post({ model: "m-primary", input: "hi" });
    await waitFor(() => /auto-switch is off, so switching provider is left to the user/.test(monitoringLog()), 8000, "the alert");
    expect(ctx.supervisor.pid).toBe(pid);
    expect(notes.some((n) => n.includes("keeps failing with server errors"))).toBeTrue();
  });

  it("waits out a 429 with Retry-After instead of restarting anything", async () => {
    await setup();
    provider.then({ kind: "status", status: 429, headers: { "Retry-After": "1" } }, { kind: "text", text: "ok" });
    const pid = ctx.supervisor.pid;
    expect((await stream({ model: "m-primary", input: "hi", stream: true })).status).toBe(200);
    await waitFor(() => /trigger=upstream_429 action=wait_retry_after/.test(monitoringLog()), 8000, "the 429 decision");
    expect(monitoringLog()).toContain("the proxy waits 1 s as the provider asked (Retry-After); no intervention");
    expect(ctx.supervisor.pid).toBe(pid);
  });

  it("E5: alerts when every route of the running AI BGP pool is open or cooling down, and restarts nothing", async () => {
    await setup();
    const limited = new FakeProvider().otherwise({ kind: "status", status: 429, headers: { "Retry-After": "60" } });
    try {
      provider.otherwise({ kind: "status", status: 429, headers: { "Retry-After": "60" } });
      ctx.pools.save({ pools: [{ name: "Pool", strategy: "failover", routes: [
        { name: "primary", endpoint_name: "Primary", target_url: "", api_key: "", model: "", priority: 0 },
        { name: "other", endpoint_name: "", target_url: limited.url, api_key: "", model: "m-other", priority: 1 }] }] });
      await session.ensureProxy({ kind: "pool", pool: ctx.pools.find("Pool")! }, "");
      const pid = ctx.supervisor.pid;
      const reply = await post({ model: "m-primary", input: "hi" });
      expect(reply.status).toBe(503);
      expect(reply.json().error.code).toBe("bgp_rate_limited");
      await waitFor(() => notes.some((n) => n.includes("Every route of the AI BGP pool is failing or rate limited")), 5000, "the E5 alert");
      expect(monitoringLog()).toMatch(/Tier 1: trigger=bgp_all_routes_down action=alert_user/);
      // The routes' own 429s are the pool's to handle: no B1 signal per route.
      expect(monitoringLog()).not.toContain("rate_limited");
      expect(ctx.supervisor.pid).toBe(pid);
    } finally {
      limited.stop();
    }
  });

  it("alerts once on a rejected key (401) and never loops restarts", async () => {
    await setup();
    provider.otherwise({ kind: "status", status: 401, body: { error: { message: "Invalid API key" } } });
    const pid = ctx.supervisor.pid;
    for (let i = 0; i < 4; i++) await post({ model: "m-primary", input: "hi" });
    await waitFor(() => (monitoringLog().match(/auth_failure: no action \(cooldown/g) ?? []).length >= 3, 8000, "the repeats to be suppressed");
    expect(notes.filter((n) => n.includes("rejected the API key")).length).toBe(1);
    expect(ctx.supervisor.pid).toBe(pid);
    expect(monitoringLog()).not.toContain("restart_proxy");
  });

  it("handles a corrupt provider-caps.json: the proxy keeps it aside and the watchdog clears the cache", async () => {
    await setup();
    GLib.file_set_contents(home.paths.providerCaps, "{\"entries\": [broken");
    provider.then({ kind: "text", text: "ok" });
    await stream({ model: "m-primary", input: "hi", stream: true });
    await waitFor(() => /trigger=schema_content_type_array action=clear_schema_cache/.test(monitoringLog()), 8000, "the E1 rule");
    await waitFor(() => /provider-caps\.json is already gone|provider-caps\.json moved aside/.test(monitoringLog()), 5000, "the cache action");
    const aside = lsDir(home.paths.cacheDir).find((f) => f.startsWith("provider-caps.json.corrupt-"))!;
    expect(read(`${home.paths.cacheDir}/${aside}`)).toBe("{\"entries\": [broken");
  });

  it("keeps a corrupt incident store aside, alerts, and starts a fresh one", async () => {
    home = makeTestHome("watchdog-store");
    GLib.mkdir_with_parents(home.paths.cacheDir, 0o700);
    GLib.file_set_contents(home.paths.incidentStore, "{\"incidents\": oops");
    const corrupt = read(home.paths.incidentStore);
    provider = new FakeProvider();
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "P", endpoints: [{ name: "P", base_url: provider.url, models: ["m"] }] }));
    GLib.file_set_contents(home.paths.codexConfigToml, USER_TOML);
    endpointsBefore = read(home.paths.endpointsFile);
    ctx = await makeTestContext(home);
    notes = [];
    await ctx.supervisor.start({ endpointName: "P", backend: "openai-compat", targetUrl: provider.url, apiKey: "", models: ["m"], model: "m" });
    session = new LauncherSession(ctx);
    watchdog = new Watchdog({ paths: home.paths, supervisor: ctx.supervisor, endpoints: ctx.endpoints,
      config: { ...DEFAULT_MONITORING, enabled: true, health_check_interval_s: 2, verify_window_s: 1 }, aiApiKey: "",
      announce: async () => true, notify: (t, b) => notes.push(`${t}: ${b}`), refreshProfile: () => session.refreshProfile() });
    watchdog.start();
    expect(notes.some((n) => n.startsWith("Incident store reset") && n.includes("kept as"))).toBeTrue();
    const aside = lsDir(home.paths.cacheDir).find((f) => f.startsWith("incident-store.json.corrupt-"))!;
    expect(read(`${home.paths.cacheDir}/${aside}`)).toBe(corrupt);
    GLib.spawn_command_line_sync(`kill -KILL ${ctx.supervisor.pid}`);
    await waitFor(() => !!JSON.parse(read(home.paths.incidentStore) || "{}").incidents?.proxy_crash, 8000, "the crash recorded in the new store");
    expect(JSON.parse(read(home.paths.incidentStore)).incidents.proxy_crash.occurrences).toBe(1);
  });

  describe("Tier 3 with a diagnostic model on loopback", () => {
    function aiAnswer(content: string) {
      return { kind: "json" as const, body: { choices: [{ message: { role: "assistant", content } }], usage: { prompt_tokens: 420, completion_tokens: 30 } } };
    }

    async function novelFailure(): Promise<void> {
      // A 400 that names no optional parameter is a failure no Tier 1 rule covers.
      provider.then({ kind: "status", status: 400, body: { error: { message: `Request rejected for key ${KEY}: prompt malformed` } } });
      await post({ model: "m-primary", input: "hi" });
    }

    it("executes a good answer, counting the real tokens and cost, with secrets redacted from the report", async () => {
      ai = new FakeProvider();
      ai.then(aiAnswer('{"action": "restart_proxy", "reason": "upstream rejected the prompt; a fresh proxy resets state", "confidence": 0.8}'));
      await setup({ provider_url: `${ai.url}/chat/completions`, model: "gpt-4o-mini" }, { aiKey: "sk-ai-agent-key-987654321" });
      const pid = ctx.supervisor.pid;
      await novelFailure();
      await waitFor(() => ctx.supervisor.pid !== pid && ctx.supervisor.state === "running", 10000, "the AI's restart");
      const log = monitoringLog();
      expect(log).toMatch(/Tier 3: trigger=novel:bad_request\+http_400 → asking gpt-4o-mini/);
      expect(log).toContain("Tier 3 AI: action=restart_proxy confidence=0.8");
      expect(log).toContain("Tier 3: usage 420+30 tokens");
      const sent = ai.chatRequests()[0];
      expect(sent.headers.authorization).toBe("Bearer sk-ai-agent-key-987654321");
      expect(sent.body.max_tokens).toBe(200);
      expect(sent.body.temperature).toBe(0.1);
      const prompt = JSON.stringify(sent.body.messages);
      expect(prompt).toContain("INCIDENT REPORT");
      expect(prompt).toContain("bad_request");
      expect(prompt).not.toContain(KEY);
      const stats = JSON.parse(read(home.paths.incidentStore)).stats;
      expect(stats.ai_calls).toBe(1);
      expect(stats.tokens_used).toBe(450);
      expect(stats.cost_usd).toBeCloseTo((420 * 0.15 + 30 * 0.6) / 1e6, 10);
    }, 30000);

    it("rejects a garbage answer and alerts instead", async () => {
      ai = new FakeProvider();
      ai.then(aiAnswer("Sure! I would restart the proxy and maybe clear some caches."));
      await setup({ provider_url: ai.url, model: "gpt-4o-mini" });
      const pid = ctx.supervisor.pid;
      await novelFailure();
      await waitFor(() => /Tier 3 AI FAILED: AI answer rejected: the answer is not one JSON object/.test(monitoringLog()), 10000, "the rejection");
      expect(notes.some((n) => n.startsWith("AI diagnosis failed"))).toBeTrue();
      await delay(300);
      expect(ctx.supervisor.pid).toBe(pid);
    }, 30000);

    it("rejects an action that is not on the allow-list, and never runs a destructive one by itself", async () => {
      ai = new FakeProvider();
      ai.then(aiAnswer('{"action": "delete_home_directory", "reason": "start fresh", "confidence": 0.99}'));
      await setup({ provider_url: ai.url, model: "gpt-4o-mini" });
      const pid = ctx.supervisor.pid;
      await novelFailure();
      await waitFor(() => /AI answer rejected: the action 'delete_home_directory' is not on the allow-list/.test(monitoringLog()), 10000, "the rejection");
      expect(ctx.supervisor.pid).toBe(pid);
      // Next failure of another kind, a minute later for the rate limit: a destructive but allowed action.
      watchdog.brain.ai.verdict(0);
      (watchdog.brain.ai as any).minIntervalMs = 0;
      ai.then(aiAnswer('{"action": "cleanup_codex_stale", "reason": "kill codex", "confidence": 0.9}'));
      provider.then({ kind: "status", status: 400, body: { error: { message: "this model's maximum context length is 8192 tokens", code: "context_length_exceeded" } } });
      await post({ model: "m-primary", input: "hi" });
      await waitFor(() => notes.some((n) => n.startsWith("The AI suggests a destructive action")), 10000, "the destructive alert");
      expect(monitoringLog()).toContain("Tier 3 AI: action=cleanup_codex_stale");
      expect(ctx.supervisor.pid).toBe(pid);
    }, 30000);
  });
});
