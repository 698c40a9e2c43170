// The main window and the Doctor as a user drives them (issue 16), with real widgets under Xvfb, the real
// proxy, the real Codex CLI in a real terminal (xterm), and fake providers on loopback: Doctor All rows
// flipping for each fault, the latency badge, Codex's own login, sandbox and approval as Codex's real
// flags, per-endpoint reasoning in the provider request, Restart Proxy and Kill & Cleanup.
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { codexSessionPids } from "../../src/launcher/codex-session.js";
import type { Endpoint } from "../../src/lib/endpoints.js";
import { pidsWithEnv } from "../../src/lib/processes.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import type { OwnerInfo } from "../../src/launcher/ownership.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { CODEX_BIN } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { initGtk, screenshot, settle, testApplication } from "../helpers/gtk.js";
import { request } from "../helpers/http.js";
import { Child, run, waitFor } from "../helpers/process.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";
import { startProxy } from "../helpers/proxy.js";

const KEY = "sk-parity-key-0123456789";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

function cmdline(pid: number): string[] {
  return read(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
}

/** Codex's arguments from --profile on (the program may be npm's node wrapper or the native binary). */
function flagsOf(pid: number): string[] {
  const argv = cmdline(pid);
  return argv.slice(argv.indexOf("--profile"));
}

const ep = (name: string, url: string, model: string, extra: Partial<Endpoint> = {}): Endpoint =>
  ({ name, backend_type: "openai-compat", base_url: url, api_key: "", default_model: model, models: [model], provider_preset: "Custom", ...extra });

describe("main window parity (issue 16)", () => {
  let app: Gtk.Application;
  let home: TestHome;
  let ctx: AppContext;
  let good: FakeProvider;
  let win: LauncherWin | null = null;
  const sessions: string[] = [];

  beforeAll(() => {
    initGtk();
    app = testApplication();
  });

  beforeEach(async () => {
    home = makeTestHome("parity");
    ctx = await makeTestContext(home);
    good = new FakeProvider().requireKey(KEY).callsTools(true);
  });

  afterEach(async () => {
    for (const id of sessions.splice(0)) for (const pid of pidsWithEnv("CODEX_LAUNCHER_SESSION", id)) await run(["kill", "-KILL", String(pid)]);
    win?.doctor?.destroy();
    await ctx.supervisor.stop(1000);
    win?.destroy();
    win = null;
    good.stop();
    removeTree(home.home);
  });

  it("Doctor All: a row per check, flipping for DNS, a 401, a missing model, no SSE and no tool calls; the badge takes the latency", async () => {
    const noSse = new FakeProvider().streams(false).callsTools(true);
    const noTools = new FakeProvider().otherwise({ kind: "text", text: "I would rather just talk." });
    try {
      for (const [e, key] of [[ep("Healthy", good.url, "fake-a"), KEY], [ep("No DNS", "https://api.nowhere.invalid/v1", "m"), KEY],
        [ep("Wrong key", good.url, "fake-a"), "sk-revoked"], [ep("Missing model", good.url, "retired-model"), KEY],
        [ep("No SSE", noSse.url, "fake-a"), ""], [ep("No tools", noTools.url, "fake-b"), ""]] as const)
        await ctx.endpoints.saveEndpoint(e, key);
      win = new LauncherWin(app, ctx);
      expect(win.latencyLabel.get_text()).toBe("latency: not measured");
      win.actionHandlers()["endpoints"]!();
      const manager = win.endpointsWindow!;
      expect(manager.buttons.doctorAll.get_sensitive()).toBeTrue();
      manager.buttons.doctorAll.clicked();
      const doctor = manager.doctor!;
      expect(doctor.get_title()).toBe("Doctor — all endpoints");
      // The window answers while the checks run.
      expect(doctor.running).toBeTrue();
      expect(doctor.cancelButton.get_sensitive()).toBeTrue();
      await waitFor(() => !doctor.running, 60000, "Doctor All to finish");
      const marks = (name: string) => Object.fromEntries(Object.entries(doctor.rowsOf(name)).map(([id, r]) => [id, r.mark]));
      expect(marks("Healthy")).toEqual({ dns: "✓", tls: "○", auth: "✓", model: "✓", sse: "✓", tools: "✓", proxy: "✓" });
      expect(marks("No DNS")).toEqual({ dns: "✗", tls: "○", auth: "○", model: "○", sse: "○", tools: "○", proxy: "○" });
      expect(doctor.rowsOf("No DNS").dns.reason).toBe("api.nowhere.invalid does not resolve (no such host)");
      expect(marks("Wrong key")).toEqual(jasmine.objectContaining({ auth: "✗", model: "○", sse: "○", tools: "○", proxy: "○" }));
      expect(doctor.rowsOf("Wrong key").auth.reason).toContain("the provider refused the key (HTTP 401: Incorrect API key provided)");
      expect(marks("Missing model")).toEqual(jasmine.objectContaining({ auth: "✓", model: "✗" }));
      expect(doctor.rowsOf("Missing model").model.reason).toContain("'retired-model' is not among the 2 models the provider lists");
      expect(marks("No SSE")).toEqual(jasmine.objectContaining({ model: "✓", sse: "✗" }));
      expect(doctor.rowsOf("No SSE").sse.reason).toContain("instead of an event stream (SSE)");
      expect(marks("No tools")).toEqual(jasmine.objectContaining({ sse: "✓", tools: "✗", proxy: "✓" }));
      expect(doctor.rowsOf("No tools").tools.reason).toContain("answered with text instead of calling the tool");
      expect(doctor.statusLabel.get_text()).toBe("5 of 6 endpoint(s) have problems.");
      // Style classes carry the state (the theme's colours), not colours in markup.
      const healthyMark = doctor.sections.find((s) => s.endpoint.name === "Healthy")!.rows.get("proxy")!.mark;
      expect(healthyMark.get_style_context().has_class("doctor-pass")).toBeTrue();
      await settle(300);
      await screenshot("Doctor — all endpoints", "doctor-all.png");
      const adjustment = doctor.scroller.get_vadjustment();
      adjustment.set_value(adjustment.get_upper());
      await settle(300);
      await screenshot("Doctor — all endpoints", "doctor-all-end.png");
      // The Doctor's round trip is the selected endpoint's latency: loopback is green.
      win.endpointCombo.set_active_id("Healthy");
      expect(win.latencyLabel.get_text()).toMatch(/^\d+ ms$/);
      expect(win.latencyLevel()).toBe("latency-good");
      expect(win.latencyLabel.get_tooltip_text()).toContain("from Doctor");
      // Amber and red follow the same thresholds (unit-tested); the badge renders them.
      ctx.latency.record("Healthy", { ms: 1500, source: "test", at: Date.now() });
      expect(win.latencyLevel()).toBe("latency-fair");
      ctx.latency.record("Healthy", { ms: 4200, source: "test", at: Date.now() });
      expect([win.latencyLabel.get_text(), win.latencyLevel()]).toEqual(["4.2 s", "latency-poor"]);
    } finally {
      noSse.stop();
      noTools.stop();
    }
  }, 90000);

  it("Doctor on the selected endpoint is cancellable and leaves no proxy behind", async () => {
    good.otherwise({ kind: "text", text: "slowly", chunkSize: 1, delayMs: 3000 });
    await ctx.endpoints.saveEndpoint(ep("Slow", good.url, "fake-a"), KEY);
    win = new LauncherWin(app, ctx);
    await settle();
    expect(win.doctorButton.get_sensitive()).toBeTrue();
    win.doctorButton.clicked();
    const doctor = win.doctor!;
    expect(doctor.get_title()).toBe("Doctor — Slow");
    await waitFor(() => doctor.rowsOf("Slow").proxy.state === "running" && doctor.rowsOf("Slow").tools.state === "pass", 10000, "the round trip to start");
    doctor.cancelButton.clicked();
    await waitFor(() => !doctor.running, 10000, "the Doctor to stop");
    expect(doctor.statusLabel.get_text()).toBe("Cancelled.");
    expect(doctor.rowsOf("Slow").proxy).toEqual(jasmine.objectContaining({ mark: "○", reason: "cancelled" }));
    expect(doctor.runButton.get_sensitive()).toBeTrue();
    expect(ctx.supervisor.running).toBeFalse();
  }, 30000);

  it("passes the chosen sandbox and approval to the launched Codex as its real flags (seen in /proc/<pid>/cmdline)", async () => {
    await ctx.endpoints.saveEndpoint(ep("Fake", good.url, "fake-a"), KEY);
    win = new LauncherWin(app, ctx);
    const w = win;
    w.onCodexLaunched = (id) => sessions.push(id);
    await waitFor(() => w.launchCliButton.get_sensitive() && w.codexFlagsChecked, 20000, "Launch Codex CLI to be enabled");
    expect(w.sessionOptions()).toEqual({ sandbox: "workspace-write", approval: "on-request" });
    // Only what this Codex accepts is offered (0.169 lists on-request and never for --ask-for-approval).
    expect(LauncherWin.comboIds(w.sandboxCombo)).toEqual(["read-only", "workspace-write", "danger-full-access"]);
    expect(LauncherWin.comboIds(w.approvalCombo)).toEqual(["on-request", "never"]);
    w.sandboxCombo.set_active_id("read-only");
    w.approvalCombo.set_active_id("never");
    expect(JSON.parse(read(home.paths.endpointsFile)).codex_session).toEqual({ sandbox: "read-only", approval: "never" });
    expect(await w.launch("cli")).withContext(w.errorText()).toBeTrue();
    const pids = await waitFor(() => (sessions[0] && codexSessionPids(sessions[0]).length ? codexSessionPids(sessions[0]) : null), 45000, "Codex in the terminal", 300);
    // Every Codex process of the session (npm's node wrapper and the native binary it runs) has the flags.
    for (const pid of pids) expect(flagsOf(pid)).toEqual(["--profile", "codex-launcher", "--sandbox", "read-only", "--ask-for-approval", "never"]);
    expect(w.logText()).toContain("--sandbox read-only --ask-for-approval never");
    // Another choice, another Codex: danger-full-access / on-request.
    w.sandboxCombo.set_active_id("danger-full-access");
    w.approvalCombo.set_active_id("on-request");
    expect(await w.launch("cli")).toBeTrue();
    const second = await waitFor(() => (sessions[1] && codexSessionPids(sessions[1]).length ? codexSessionPids(sessions[1]) : null), 45000, "the second Codex", 300)
      .catch((e) => { throw new Error(`${e.message}; session processes: ${JSON.stringify(pidsWithEnv("CODEX_LAUNCHER_SESSION", sessions[1] ?? "none").map(cmdline))}; log: ${w.logText().split("\n").slice(-6).join(" | ")}`); });
    expect(flagsOf(second[0])).toEqual(["--profile", "codex-launcher", "--sandbox", "danger-full-access", "--ask-for-approval", "on-request"]);
  }, 120000);

  it("shows Codex's own login (codex login status), checks again, and Re-login runs codex login in a terminal", async () => {
    win = new LauncherWin(app, ctx);
    const w = win;
    await waitFor(() => w.codexLogin !== null, 20000, "the login status");
    expect(w.codexLogin!.state).toBe("logged-out");
    expect(w.loginStatus.get_text()).toContain("Codex login: ⚠ not logged in");
    expect(w.loginStatus.get_style_context().has_class("status-warn")).toBeTrue();
    // Logged in with the real CLI (an API key here), the next check says so.
    const login = await run([CODEX_BIN, "login", "--with-api-key"], { env: { CODEX_HOME: home.paths.codexHome }, stdin: "sk-codex-own-login-key\n" });
    expect(login.exitCode).withContext(login.stderr).toBe(0);
    await w.checkCodexLogin();
    expect(w.loginStatus.get_text()).toMatch(/^Codex login: ✓ API key configured/);
    // Re-login: `codex login` in a terminal; the status is read again once it exits.
    const before = w.codexLogin;
    w.reloginButton.clicked();
    const pid = await waitFor(() => pidsWithEnv("CODEX_HOME", home.paths.codexHome).find((p) => cmdline(p)[1] === "login" && cmdline(p)[0].endsWith("codex")),
      20000, "codex login in the terminal", 300);
    expect(cmdline(pid).slice(1)).toEqual(["login"]);
    await run(["kill", "-TERM", String(pid)]);
    await waitFor(() => w.codexLogin !== before, 20000, "the status to be checked again");
    // The window says what Codex itself says now (an interrupted `codex login` may have signed out).
    const now = await run([CODEX_BIN, "login", "status"], { env: { CODEX_HOME: home.paths.codexHome } });
    expect(`${now.stdout}${now.stderr}`).toContain(w.codexLogin!.state === "logged-in" ? w.codexLogin!.text : "Not logged in");
  }, 60000);

  it("carries the endpoint's reasoning setting into the provider request (real Codex through the launcher's profile)", async () => {
    await ctx.endpoints.saveEndpoint(ep("Thinker", good.url, "fake-a", { reasoning_enabled: true, reasoning_effort: "high" }), KEY);
    win = new LauncherWin(app, ctx);
    const w = win;
    await waitFor(() => w.codexProbed, 10000, "the Codex probe");
    expect(await w.prepareCodex()).not.toBeNull();
    expect(cmdline(ctx.supervisor.pid)).toEqual(jasmine.arrayContaining(["--reasoning", "high"]));
    good.then({ kind: "text", text: "Thought hard." });
    const workdir = makeTempDir("parity-codex-work");
    try {
      const result = await run([CODEX_BIN, "exec", "--profile", "codex-launcher", "--skip-git-repo-check", "--ephemeral", "--color", "never", "-C", workdir, "think"],
        { env: { CODEX_HOME: home.paths.codexHome }, stdin: "", timeoutMs: 60000 });
      expect(result.exitCode).withContext(result.stderr).toBe(0);
      expect(result.stdout).toContain("Thought hard.");
    } finally {
      removeTree(workdir);
    }
    expect(good.chatRequests()[0].body.reasoning_effort).toBe("high");
    // Reasoning off: the edited endpoint restarts the proxy, and no effort reaches the provider even when
    // the request asks for one.
    await ctx.endpoints.saveEndpoint(ep("Thinker", good.url, "fake-a", { reasoning_enabled: false, reasoning_effort: "high" }), KEY, "Thinker");
    w.refreshEndpoints();
    const port = await w.startProxy();
    expect(cmdline(ctx.supervisor.pid)).toEqual(jasmine.arrayContaining(["--reasoning", "off"]));
    const reply = await request("POST", `http://127.0.0.1:${port}/v1/responses`, JSON.stringify({ model: "fake-a", input: "hi", stream: false,
      reasoning: { effort: "medium", summary: "auto" } }), { "content-type": "application/json", authorization: `Bearer ${ctx.clientToken}` });
    expect(reply.status).withContext(reply.text).toBe(200);
    expect("reasoning_effort" in good.chatRequests()[1].body).toBeFalse();
  }, 90000);

  it("Restart Proxy restarts only the proxy; Kill & Cleanup stops this app's proxies by identity and nothing else", async () => {
    await ctx.endpoints.saveEndpoint(ep("Fake", good.url, "fake-a"), KEY);
    win = new LauncherWin(app, ctx);
    const w = win;
    await settle();
    expect(w.restartButton.get_sensitive()).toBeFalse();
    const port = await w.startProxy();
    const firstPid = ctx.supervisor.pid;
    await waitFor(() => w.restartButton.get_sensitive(), 5000, "Restart Proxy to be enabled");
    w.restartButton.clicked();
    await waitFor(() => ctx.supervisor.pid !== firstPid && ctx.supervisor.state === "running", 20000, "the restart");
    expect(ctx.supervisor.port).toBe(port!);
    expect(GLib.file_test(`/proc/${firstPid}`, GLib.FileTest.EXISTS)).toBeFalse();
    // Real traffic through the proxy feeds the latency badge.
    const reply = await request("POST", `http://127.0.0.1:${port}/v1/responses`, JSON.stringify({ model: "fake-a", input: "hi", stream: true }),
      { "content-type": "application/json", authorization: `Bearer ${ctx.clientToken}` });
    expect(reply.status).toBe(200);
    await waitFor(() => w.latencyLabel.get_tooltip_text()?.includes("live traffic"), 8000, "the badge to show live traffic");
    expect(w.latencyLevel()).toBe("latency-good");
    await waitFor(() => w.proxyStatus.get_text().includes("healthy") && w.codexLogin !== null, 10000, "a healthy status and the login line");
    w.present();
    await settle(500);
    await screenshot("Codex Launcher", "launcher-main.png");

    // A stale proxy this app registered (a crashed launcher's), a proxy started by hand (not registered),
    // and a Codex-like process: only the first may be stopped.
    const other = await makeTestContext(home);
    const stalePort = await other.supervisor.start({ endpointName: "stale", backend: "openai-compat", targetUrl: good.url, apiKey: KEY, models: ["fake-a"], model: "fake-a" });
    const stalePid = other.supervisor.pid;
    await other.supervisor.release(); // left behind: registered, kept running, no longer supervised
    const byHand = await startProxy(["--backend", "openai-compat", "--target-url", good.url]);
    const codexLike = new Child(["bash", "-c", "exec -a codex sleep 300"]);
    try {
      const proxyPid = ctx.supervisor.pid;
      w.cleanupButton.clicked();
      await waitFor(() => !ctx.supervisor.running && !GLib.file_test(`/proc/${stalePid}`, GLib.FileTest.EXISTS), 20000, "the clean-up");
      await waitFor(() => /Kill & Cleanup: stopped stale proxy pid/.test(w.logText()), 5000, "the report");
      expect(w.logText()).toContain(`Kill & Cleanup: stopped the proxy (pid ${proxyPid})`);
      expect(w.logText()).toContain(`Kill & Cleanup: stopped stale proxy pid ${stalePid} (port ${stalePort})`);
      expect(GLib.file_test(`/proc/${byHand.child.pid}`, GLib.FileTest.EXISTS)).toBeTrue();
      expect(GLib.file_test(`/proc/${codexLike.pid}`, GLib.FileTest.EXISTS)).toBeTrue();
      expect(w.errorText()).toBe("");
    } finally {
      await byHand.child.stop();
      await codexLike.stop();
      await other.supervisor.dispose();
    }
  }, 90000);

  it("attached to another launcher's proxy: Restart Proxy and Kill & Cleanup are off, and refuse if called", async () => {
    await ctx.endpoints.saveEndpoint(ep("Fake", good.url, "fake-a"), KEY);
    win = new LauncherWin(app, ctx);
    const owner: OwnerInfo = { kind: "headless", identity: { pid: 4242, start_time: 1, exe: "/usr/bin/gjs", argv: ["gjs"] } } as OwnerInfo;
    win.setAttached(owner);
    await settle();
    for (const b of [win.proxyButton, win.restartButton, win.cleanupButton]) {
      expect(b.get_sensitive()).withContext(b.get_label() ?? "").toBeFalse();
      expect(b.get_tooltip_text()).toContain("Another Codex Launcher runs the proxy");
    }
    expect(await win.killAndCleanup()).toBeNull();
    expect(win.errorText()).toBe("Kill & Cleanup failed: another Codex Launcher runs the proxy; this window does not clean it up");
    expect(await win.restartProxy()).toBeNull();
    expect(win.errorText()).toContain("this window does not restart it");
  });
});
