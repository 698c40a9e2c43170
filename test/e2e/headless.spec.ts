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
