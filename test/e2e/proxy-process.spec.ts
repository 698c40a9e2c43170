// The proxy as a real process: flags, /health, errors, shutdown.
import Gio from "gi://Gio";
import { getJson, request } from "../helpers/http.js";
import { gjs, run } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { PROXY_JS, readRepoFile } from "../helpers/repo.js";

const version = JSON.parse(readRepoFile("package.json")).version as string;

describe("codex-launcher-proxy process", () => {
  let proxy: RunningProxy | null = null;

  afterEach(async () => {
    await proxy?.child.stop();
    proxy = null;
  });

  it("serves GET /health as JSON with the watchdog's fields", async () => {
    proxy = await startProxy(["--backend", "openai-compat", "--target-url", "http://127.0.0.1:9/v1"]);
    const reply = await getJson(`${proxy.url}/health`);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toContain("application/json");
    const health = reply.json();
    expect(health.ok).toBeTrue();
    expect(health.port).toBe(proxy.port);
    expect(health.backend).toBe("openai-compat");
    expect(health.version).toBe(version);
    expect(health.pid).toBe(proxy.child.pid);
    expect(health.uptime_s).toBeGreaterThanOrEqual(0);
    expect(health.memory_mb).toBeGreaterThan(1);
    expect(health.requests_total).toBe(0);
  });

  it("binds 127.0.0.1 by default", async () => {
    proxy = await startProxy();
    expect(proxy.child.lines.join("\n")).toContain(`listening on http://127.0.0.1:${proxy.port}`);
  });

  it("answers unknown routes with an OpenAI-shaped 404 and wrong methods with 405", async () => {
    proxy = await startProxy();
    const missing = await getJson(`${proxy.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json().error.message).toContain("/nope");
    const wrong = await request("POST", `${proxy.url}/health`, "{}");
    expect(wrong.status).toBe(405);
    expect(wrong.headers["allow"]).toBe("GET");
    const upgrade = await request("GET", `${proxy.url}/v1/responses`, undefined, { Connection: "Upgrade", Upgrade: "websocket" });
    expect(upgrade.status).toBe(426);
    const health = (await getJson(`${proxy.url}/health`)).json();
    expect(health.requests_total).toBe(3);
  });

  it("exits non-zero with one clear line when the port is taken", async () => {
    const holder = new Gio.SocketListener();
    const port = holder.add_any_inet_port(null);
    try {
      const result = await run([gjs(), "-m", PROXY_JS, "--port", String(port)], { timeoutMs: 10000 });
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`codex-launcher-proxy: error: cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      holder.close();
    }
  });

  it("exits 2 with one clear line on a bad flag", async () => {
    const result = await run([gjs(), "-m", PROXY_JS, "--port", "http"], { timeoutMs: 10000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split("\n").length).toBe(1);
    expect(result.stderr).toContain("option '--port' expects a whole number, got 'http'");
  });

  it("prints its version", async () => {
    const result = await run([gjs(), "-m", PROXY_JS, "--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`codex-launcher-proxy ${version}`);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    proxy = await startProxy();
    const code = await proxy.child.stop();
    proxy = null;
    expect(code).toBe(0);
  });
});
