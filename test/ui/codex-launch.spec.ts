// Launch Codex CLI for real: a terminal opens (xterm here), Codex runs in it against the proxy, and the
// watchdog notices when that Codex process goes away (D1).
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { MonitoringController } from "../../src/watchdog/controller.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import { codexSessionPids } from "../../src/launcher/codex-session.js";
import { pidsWithEnv } from "../../src/lib/processes.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { settle, testApplication } from "../helpers/gtk.js";
import { run, waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

describe("Launch Codex CLI", () => {
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;
  let monitoring: MonitoringController;
  let win: LauncherWin | null = null;

  beforeEach(async () => {
    home = makeTestHome("launch");
    provider = new FakeProvider();
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "Fake", endpoints: [{ name: "Fake", backend_type: "openai-compat",
      base_url: provider.url, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: true, health_check_interval_s: 2 } }));
    ctx = await makeTestContext(home);
  });

  afterEach(async () => {
    monitoring?.shutdown();
    await ctx.supervisor.stop();
    win?.destroy();
    win = null;
    provider.stop();
    removeTree(home.home);
  });

  it("opens Codex in a terminal against the proxy, and the watchdog alerts when Codex is gone", async () => {
    const notes: string[] = [];
    monitoring = new MonitoringController(ctx, async () => true, (t, b) => notes.push(`${t}: ${b}`));
    await monitoring.load();
    win = new LauncherWin(testApplication(), ctx);
    let session = "";
    win.onCodexLaunched = (id) => {
      session = id;
      monitoring.watchdog?.trackCodexSession(id);
    };
    await waitFor(() => win!.launchCliButton.get_sensitive(), 10000, "Launch Codex CLI to be enabled");
    expect(await win.launch("cli")).toBeTrue();
    expect(win.logText()).toMatch(/Codex CLI opened in \S+/);
    const pids = await waitFor(() => (session ? codexSessionPids(session) : []).length ? codexSessionPids(session) : null, 20000, "Codex running in the terminal");
    const environ = new TextDecoder().decode(GLib.file_get_contents(`/proc/${pids[0]}/environ`)[1]);
    expect(environ).toContain(`CODEX_HOME=${home.paths.codexHome}`);
    // Codex runs the launcher's profile; no secret is on its command line or in its environment.
    const argv = new TextDecoder().decode(GLib.file_get_contents(`/proc/${pids[0]}/cmdline`)[1]).split("\0");
    expect(argv).toEqual(jasmine.arrayContaining(["--profile", "codex-launcher"]));
    expect(environ).not.toContain(ctx.clientToken);
    expect(argv.join(" ")).not.toContain(ctx.clientToken);
    await waitFor(() => GLib.file_test(`/proc/${pids[0]}`, GLib.FileTest.EXISTS) && ctx.supervisor.state === "running", 5000, "proxy and codex");
    await settle(2500); // one probe sees Codex alive
    for (const pid of pids) await run(["kill", "-KILL", String(pid)]);
    await waitFor(() => notes.some((n) => n.startsWith("Codex exited")), 10000, "the D1 alert")
      .catch((e) => { throw new Error(`${e.message}\n${new TextDecoder().decode(GLib.file_get_contents(home.paths.monitoringLog)[1])}`); });
    expect(new TextDecoder().decode(GLib.file_get_contents(home.paths.monitoringLog)[1])).toMatch(/trigger=codex_process_dead/);
    // Codex leaves its app-server daemon behind; the test cleans up everything of its session.
    for (const pid of pidsWithEnv("CODEX_LAUNCHER_SESSION", session)) await run(["kill", "-KILL", String(pid)]);
  }, 60000);

  it("asks before closing while that Codex runs: Cancel keeps the window, Keep leaves the proxy running for it, Stop both ends both", async () => {
    win = new LauncherWin(testApplication(), ctx);
    let session = "";
    win.onCodexLaunched = (id) => (session = id);
    await waitFor(() => win!.launchCliButton.get_sensitive(), 10000, "Launch Codex CLI to be enabled");
    expect(await win.launch("cli")).toBeTrue();
    const pids = await waitFor(() => (session ? codexSessionPids(session) : []).length ? codexSessionPids(session) : null, 20000, "Codex running");
    const proxyPid = ctx.supervisor.pid;
    // Cancel: nothing changes.
    win.close();
    const dialog = await waitFor(() => win!.closeDialog, 5000, "the close question");
    expect((dialog.get_widget_for_response(1) as Gtk.Button).get_label()).toBe("Keep the proxy running");
    expect((dialog.get_widget_for_response(2) as Gtk.Button).get_label()).toBe("Stop Codex and the proxy");
    expect(dialog.get_widget_for_response(Gtk.ResponseType.CANCEL)).not.toBeNull();
    dialog.response(Gtk.ResponseType.CANCEL);
    await settle(200);
    expect(win.in_destruction()).toBeFalse();
    expect(ctx.supervisor.running).toBeTrue();
    // Keep (the default answer): the window goes, the proxy and Codex stay.
    win.close();
    const again = await waitFor(() => win!.closeDialog, 5000, "the close question again");
    again.response(1);
    await waitFor(() => !ctx.supervisor.running, 8000, "the window to let the proxy go");
    expect(GLib.file_test(`/proc/${proxyPid}`, GLib.FileTest.EXISTS)).toBeTrue();
    for (const pid of pids) expect(GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS)).toBeTrue();
    // The next window adopts the kept proxy; Stop both ends Codex and the proxy.
    const next = await makeTestContext(home);
    const nextWin = new LauncherWin(testApplication(), next);
    try {
      await nextWin.session.startUp();
      expect(next.supervisor.pid).toBe(proxyPid);
      nextWin.launchedSessions.push(session);
      nextWin.close();
      const third = await waitFor(() => nextWin.closeDialog, 5000, "the close question in the next window");
      third.response(2);
      await waitFor(() => codexSessionPids(session).length === 0 && !GLib.file_test(`/proc/${proxyPid}`, GLib.FileTest.EXISTS), 15000, "Codex and the proxy to stop");
    } finally {
      await next.supervisor.dispose();
      for (const pid of pidsWithEnv("CODEX_LAUNCHER_SESSION", session)) await run(["kill", "-KILL", String(pid)]);
    }
    win = null;
  }, 90000);
});
