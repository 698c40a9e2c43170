// `codex-launcher --headless`: proxy, supervisor and watchdog without a window, as a terminal user runs it.
import GLib from "gi://GLib";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson } from "../helpers/http.js";
import { Child, gjs, run, waitFor } from "../helpers/process.js";
import { MAIN_JS, makeTempDir, removeTree } from "../helpers/repo.js";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

const USER_TOML = "# my Codex settings\nmodel = \"o3\"\nmodel_provider = \"openai\"\n\n[profiles.work]\nmodel = \"gpt-5.5\"\n";

describe("codex-launcher --headless", () => {
  let home: string;
  let provider: FakeProvider;
  let env: Record<string, string>;
  let endpointsBefore: string;

  beforeEach(() => {
    home = makeTempDir("headless");
    provider = new FakeProvider();
    GLib.mkdir_with_parents(`${home}/.codex`, 0o700);
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Fake", endpoints: [{ name: "Fake",
      backend_type: "openai-compat", base_url: provider.url, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: false } }));
    GLib.file_set_contents(`${home}/.codex/config.toml`, USER_TOML);
    endpointsBefore = read(`${home}/.codex/endpoints.json`);
    env = { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, CODEX_LAUNCHER_SECRETS: "file" };
  });

  afterEach(() => {
    provider.stop();
    removeTree(home);
  });

  it("serves the default endpoint, brings a killed proxy back, leaves the user's settings alone, and stops cleanly on SIGTERM", async () => {
    const app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
    try {
      const [, port] = await app.waitForLine(/proxy for Fake \/ m on http:\/\/127\.0\.0\.1:(\d+)/, 15000);
      await app.waitForLine(/wrote .*codex-launcher\.config\.toml; run `codex --profile codex-launcher` in your project/, 15000);
      await app.waitForLine(/AI Monitoring: on/);
      expect(read(`${home}/.codex/codex-launcher.config.toml`)).toContain(`base_url = "http://127.0.0.1:${port}/v1"`);
      const pid = JSON.parse(read(`${home}/.cache/codex-proxy/proxy-config.json`)).pid;
      const killed = Date.now();
      await run(["kill", "-KILL", String(pid)]);
      await app.waitForLine(new RegExp(`proxy back on port ${port} \\(pid \\d+\\) \\d+ ms after: the proxy \\(pid ${pid}\\) exited: signal 9`), 10000);
      const health = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      print(`        (headless crash to healthy: ${Date.now() - killed} ms)`);
      expect(health.ok).toBeTrue();
      expect(health.pid).not.toBe(pid);
      await waitFor(() => read(`${home}/.cache/codex-proxy/monitoring.log`).includes("Tier 1: trigger=proxy_crashed action=supervise"), 5000, "the watchdog's record");
      app.signal(15);
      expect(await app.exited).toBe(0);
      await waitFor(() => !GLib.file_test(`/proc/${health.pid}`, GLib.FileTest.EXISTS), 5000, "the proxy to stop with it");
      // Watching was for that run only; config.toml was never touched.
      expect(read(`${home}/.codex/endpoints.json`)).toBe(endpointsBefore);
      expect(read(`${home}/.codex/config.toml`)).toBe(USER_TOML);
    } finally {
      await app.stop();
    }
  }, 40000);

  it("a second --headless leaves the first one's proxy alone and says who runs it", async () => {
    const first = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
    try {
      const [, port] = await first.waitForLine(/proxy for Fake \/ m on http:\/\/127\.0\.0\.1:(\d+)/, 15000);
      const before = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      const second = await run([gjs(), "-m", MAIN_JS, "--headless"], { env, timeoutMs: 20000 });
      expect(second.exitCode).toBe(3);
      expect(second.stderr).toMatch(new RegExp(`another Codex Launcher \\(--headless, pid ${first.pid}\\) already runs the proxy on port ${port}; it is left alone\\. Run Codex with: .*codex --profile codex-launcher`));
      const after = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      expect(after.pid).toBe(before.pid);
      expect(after.uptime_s).toBeGreaterThanOrEqual(before.uptime_s);
    } finally {
      await first.stop();
    }
  }, 40000);

  it("says clearly when there is no endpoint to serve", async () => {
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ endpoints: [] }));
    const result = await run([gjs(), "-m", MAIN_JS, "--headless"], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no endpoints yet");
  });

  it("fails loudly with one line when the proxy cannot be set up", async () => {
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Odd", endpoints: [{ name: "Odd", backend_type: "kiro-oauth",
      base_url: "https://example.invalid", default_model: "m", models: ["m"] }] }));
    const result = await run([gjs(), "-m", MAIN_JS, "--headless"], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n").filter((l) => l.startsWith("codex-launcher: error:")))
      .toEqual(["codex-launcher: error: the kiro-oauth backend is not served by this version; choose another endpoint"]);
  });
});

describe("codex-launcher --headless with an AI BGP pool", () => {
  let home: string;
  let providers: FakeProvider[];
  let env: Record<string, string>;
  const ROUTE_KEY = "sk-pool-route-secret-123456";

  beforeEach(() => {
    home = makeTempDir("headless-pool");
    providers = [new FakeProvider(), new FakeProvider()];
    GLib.mkdir_with_parents(`${home}/.codex`, 0o700);
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Main", endpoints: [{ name: "Fake",
      backend_type: "openai-compat", base_url: providers[0].url, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: false } }));
    // The original's format, with the hand-given route's key still in the file.
    GLib.file_set_contents(`${home}/.codex/bgp-pools.json`, JSON.stringify({ pools: [{ name: "Main", strategy: "failover", routes: [
      { name: "own", endpoint_name: "", target_url: providers[1].url, api_key: ROUTE_KEY, model: "m2", priority: 0 },
      { name: "via-fake", endpoint_name: "Fake", target_url: "", api_key: "", model: "", priority: 1 }] }] }));
    env = { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, CODEX_LAUNCHER_SECRETS: "file" };
  });

  afterEach(() => {
    for (const p of providers) p.stop();
    removeTree(home);
  });

  it("serves the pool endpoints.json names as its default, moves the route key out of bgp-pools.json, never puts it on a command line", async () => {
    const app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
    try {
      const [, port] = await app.waitForLine(/proxy for the AI BGP pool Main \/ m2 on http:\/\/127\.0\.0\.1:(\d+)/, 15000);
      const health = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      expect(health.bgp_pool).toBe("Main");
      expect(health.bgp_routes.map((r: any) => [r.name, r.model])).toEqual([["own", "m2"], ["via-fake", "m"]]);
      const token = JSON.parse(read(`${home}/.cache/codex-proxy/proxy-config.json`)).client_token;
      const reply = await run(["curl", "-s", "-H", `Authorization: Bearer ${token}`, "-d", JSON.stringify({ model: "m2", input: "hi" }), `http://127.0.0.1:${port}/v1/responses`]);
      expect(JSON.parse(reply.stdout).status).toBe("completed");
      expect(providers[1].chatRequests()[0].headers.authorization).toBe(`Bearer ${ROUTE_KEY}`);
      expect(providers[1].chatRequests()[0].body.model).toBe("m2");
      expect(read(`${home}/.codex/bgp-pools.json`)).not.toContain(ROUTE_KEY);
      expect(read(`${home}/.codex/codex-launcher-keys.json`)).toContain(ROUTE_KEY);
      expect(read(`/proc/${health.pid}/cmdline`)).not.toContain(ROUTE_KEY);
      expect(read(`${home}/.cache/codex-proxy/proxy.log`)).not.toContain(ROUTE_KEY);
      await app.waitForLine(/AI Monitoring: on/);
      app.signal(15);
      expect(await app.exited).toBe(0);
    } finally {
      await app.stop();
    }
    // Named on the command line (as the selector shows it) it is found too; a name that is neither says so.
    const named = new Child([gjs(), "-m", MAIN_JS, "--headless", "--no-config", "--endpoint", "🔀 Main"], { env });
    try {
      await named.waitForLine(/proxy for the AI BGP pool Main \/ m2 on/, 15000);
    } finally {
      await named.stop();
    }
    const missing = await run([gjs(), "-m", MAIN_JS, "--headless", "--endpoint", "Nope"], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no endpoint or AI BGP pool named 'Nope'");
  }, 60000);

  it("keeps a corrupt bgp-pools.json aside and says so", async () => {
    GLib.file_set_contents(`${home}/.codex/bgp-pools.json`, "{\"pools\": [ oops");
    const result = await run([gjs(), "-m", MAIN_JS, "--headless", "--endpoint", "Main"], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stdout + result.stderr).toMatch(/bgp-pools\.json could not be read \(not valid JSON.*\)\. It was kept as .*bgp-pools\.json\.corrupt-/);
    const listing = (await run(["ls", `${home}/.codex`])).stdout;
    expect(listing).toMatch(/bgp-pools\.json\.corrupt-\d{8}-\d{6}/);
    expect(listing.split("\n")).not.toContain("bgp-pools.json");
  }, 30000);
});
