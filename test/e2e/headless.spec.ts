// `codex-launcher --headless`: proxy + watchdog without a window, as a terminal user runs it.
import GLib from "gi://GLib";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson } from "../helpers/http.js";
import { Child, gjs, run, waitFor } from "../helpers/process.js";
import { MAIN_JS, makeTempDir, removeTree } from "../helpers/repo.js";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

describe("codex-launcher --headless", () => {
  it("serves the default endpoint, heals a killed proxy, and stops cleanly on SIGTERM", async () => {
    const home = makeTempDir("headless");
    const provider = new FakeProvider();
    GLib.mkdir_with_parents(`${home}/.codex`, 0o700);
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Fake", endpoints: [{ name: "Fake",
      backend_type: "openai-compat", base_url: provider.url, default_model: "m", models: ["m"] }] }));
    const env = { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, CODEX_LAUNCHER_SECRETS: "file" };
    const app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
    try {
      const [, port] = await app.waitForLine(/proxy for Fake \/ m on http:\/\/127\.0\.0\.1:(\d+)/, 15000);
      await app.waitForLine(/AI Monitoring: watchdog started/);
      await app.waitForLine(/wrote .*config\.toml/, 15000);
      expect(read(`${home}/.codex/config.toml`)).toContain(`base_url = "http://127.0.0.1:${port}/v1"`);
      const pid = JSON.parse(read(`${home}/.cache/codex-proxy/proxy-config.json`)).pid;
      const killed = Date.now();
      await run(["kill", "-KILL", String(pid)]);
      await app.waitForLine(/proxy restarted on port \d+ in \d+ ms/, 10000);
      const health = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      print(`        (headless crash to healthy: ${Date.now() - killed} ms)`);
      expect(health.ok).toBeTrue();
      expect(health.pid).not.toBe(pid);
      expect(read(`${home}/.cache/codex-proxy/monitoring.log`)).toContain("Tier 1: trigger=proxy_crashed action=restart_proxy");
      app.signal(15);
      expect(await app.exited).toBe(0);
      await waitFor(() => !GLib.file_test(`/proc/${health.pid}`, GLib.FileTest.EXISTS), 5000, "the proxy to stop with it");
    } finally {
      await app.stop();
      provider.stop();
      removeTree(home);
    }
  }, 40000);

  it("says clearly when there is no endpoint to serve", async () => {
    const home = makeTempDir("headless-empty");
    try {
      const result = await run([gjs(), "-m", MAIN_JS, "--headless"], { env: { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, CODEX_LAUNCHER_SECRETS: "file" } });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("no endpoints yet");
    } finally {
      removeTree(home);
    }
  });
});
