// The AI Monitor window and the 3-second cancel notice, with real widgets under Xvfb.
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { MonitoringController } from "../../src/watchdog/controller.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import { MonitorWindow } from "../../src/ui/monitor-window.js";
import { probeSignal } from "../../src/watchdog/signals.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { initGtk, settle, testApplication } from "../helpers/gtk.js";
import { run, waitFor } from "../helpers/process.js";
import { removeTree, REPO_ROOT } from "../helpers/repo.js";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

describe("AI Monitor window", () => {
  let home: TestHome;
  let ctx: AppContext;
  let monitoring: MonitoringController;
  let win: MonitorWindow | null = null;
  let launcher: LauncherWin | null = null;
  let provider: FakeProvider;
  let notes: string[];

  beforeAll(() => initGtk());

  beforeEach(async () => {
    home = makeTestHome("monitor-ui");
    provider = new FakeProvider();
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "Fake", endpoints: [{ name: "Fake", backend_type: "openai-compat",
      base_url: provider.url, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: false, model: "qwen3:8b", provider_url: "http://127.0.0.1:11434/v1" } }));
    ctx = await makeTestContext(home);
    notes = [];
    monitoring = new MonitoringController(ctx, async () => true, (t, b) => notes.push(`${t}: ${b}`));
    await monitoring.load();
  });

  afterEach(async () => {
    win?.destroy();
    win = null;
    monitoring.shutdown();
    await ctx.supervisor.stop();
    launcher?.destroy();
    launcher = null;
    provider.stop();
    removeTree(home.home);
  });

  it("mirrors the original's settings, saves them to endpoints.json (key to the key store) and starts the watchdog", async () => {
    win = new MonitorWindow(null, ctx, monitoring);
    await settle();
    expect(win.enabledSwitch.get_active()).toBeFalse();
    expect(win.modelEntry.get_text()).toBe("qwen3:8b");
    expect(win.intervalSpin.get_value_as_int()).toBe(5);
    expect(win.autoRestart.get_active()).toBeTrue();
    expect(win.autoSwitch.get_active()).toBeFalse();
    win.presetCombo.set_active_id("GPT-4o-mini (OpenAI)");
    expect(win.urlEntry.get_text()).toBe("https://api.openai.com/v1/chat/completions");
    win.keyEntry.set_text("sk-monitor-key-0123456789");
    expect(win.keyEntry.get_visibility()).toBeFalse();
    win.showKey.set_active(true);
    expect(win.keyEntry.get_visibility()).toBeTrue();
    win.intervalSpin.set_value(7);
    win.autoSwitch.set_active(true);
    win.enabledSwitch.set_active(true);
    await waitFor(() => monitoring.watchdog?.running === true, 5000, "the watchdog to start");
    win.saveButton.clicked();
    await waitFor(() => win!.statusLabel.get_text().startsWith("Configuration saved"), 5000, "the save");
    const section = JSON.parse(read(home.paths.endpointsFile)).ai_monitoring;
    expect(section).toEqual(jasmine.objectContaining({ enabled: true, model: "gpt-4o-mini", provider_url: "https://api.openai.com/v1/chat/completions",
      health_check_interval_s: 7, auto_switch_provider: true, auto_restart_proxy: true }));
    expect(section.api_key).toBeUndefined();
    expect(read(home.paths.endpointsFile)).not.toContain("sk-monitor-key");
    expect(read(`${home.paths.codexHome}/codex-launcher-keys.json`)).toContain("sk-monitor-key-0123456789");
    expect(JSON.parse(read(home.paths.endpointsFile)).endpoints[0].name).toBe("Fake");
    win.enabledSwitch.set_active(false);
    await waitFor(() => monitoring.config?.enabled === false, 5000, "monitoring to be switched off");
    // Supervision stays on (the watchdog still reports it); the tiers no longer act on signals.
    expect(monitoring.watchdog?.running).toBeTrue();
    const before = read(home.paths.monitoringLog);
    monitoring.watchdog!.signal(probeSignal("codexGone", "gone", Date.now()));
    await settle(100);
    expect(read(home.paths.monitoringLog)).toBe(before);
  });

  it("lists what the proxy learned per provider and clears one provider's lessons, which the running proxy stops applying", async () => {
    const learnedAt = new Date().toISOString();
    GLib.mkdir_with_parents(home.paths.cacheDir, 0o700);
    GLib.file_set_contents(home.paths.providerCaps, JSON.stringify({ version: 1, entries: {
      [`${provider.url}|m`]: { drop: ["parallel_tool_calls"], learned_at: learnedAt },
      "https://api.other.test/v1|other-model": { drop: ["strict", "user"], learned_at: learnedAt },
    } }));
    await ctx.supervisor.start({ endpointName: "Fake", backend: "openai-compat", targetUrl: provider.url, apiKey: "", models: ["m"], model: "m" });
    const ask = () => run(["curl", "-s", "-X", "POST", "-H", `Authorization: Bearer ${ctx.clientToken}`, "-d",
      JSON.stringify({ model: "m", input: "x", tools: [{ type: "function", name: "f", parameters: { type: "object" } }], parallel_tool_calls: true }), `${ctx.supervisor.url}/v1/responses`]);
    await ask();
    expect("parallel_tool_calls" in provider.chatRequests().at(-1)!.body).toBeFalse();

    win = new MonitorWindow(null, ctx, monitoring);
    await settle();
    expect(win.capsRows().map((r) => r.text)).toEqual([`${provider.url}\n   m: without parallel_tool_calls`, "https://api.other.test/v1\n   other-model: without strict, user"]);
    const dir = `${REPO_ROOT}/test-artifacts`;
    GLib.mkdir_with_parents(dir, 0o755);
    win.present();
    await settle(400);
    const id = (await run(["xdotool", "search", "--onlyvisible", "--name", "^AI Monitoring$"])).stdout.trim().split("\n")[0];
    expect((await run(["import", "-window", id, `${dir}/ai-monitor-provider-quirks.png`])).exitCode).toBe(0);
    const row = win.capsList.get_children()[0] as Gtk.ListBoxRow;
    ((row.get_child() as Gtk.Box).get_children()[1] as Gtk.Button).clicked();
    await settle();
    expect(win.statusLabel.get_text()).toContain(`Forgot 1 learned entry for ${provider.url}`);
    expect(Object.keys(JSON.parse(read(home.paths.providerCaps)).entries)).toEqual(["https://api.other.test/v1|other-model"]);
    expect(win.capsRows().map((r) => r.provider)).toEqual(["https://api.other.test/v1"]);
    await ask();
    expect(provider.chatRequests().at(-1)!.body.parallel_tool_calls).toBeTrue();
  }, 30000);

  it("shows stats and incidents live, clears the store after asking, exports a report and a screenshot", async () => {
    await monitoring.save({ ...monitoring.config!, enabled: true, health_check_interval_s: 2, verify_window_s: 1 }, "");
    await ctx.supervisor.start({ endpointName: "Fake", backend: "openai-compat", targetUrl: provider.url, apiKey: "", models: ["m"], model: "m" });
    const token = `Authorization: Bearer ${ctx.clientToken}`;
    win = new MonitorWindow(null, ctx, monitoring);
    await settle();
    expect(win.incidentsText()).toContain("No incidents recorded yet.");
    // A crash, an auth failure and a rate limit, as they would arrive.
    GLib.spawn_command_line_sync(`kill -KILL ${ctx.supervisor.pid}`);
    await waitFor(() => /proxy_crash/.test(win!.incidentsText()), 5000, "the crash to show up");
    provider.then({ kind: "status", status: 401 }, { kind: "status", status: 429, headers: { "Retry-After": "0" } }, { kind: "text", text: "ok" });
    await waitFor(async () => ctx.supervisor.state === "running" && !!(await ctx.supervisor.health(500)), 5000, "the restarted proxy");
    await run(["curl", "-s", "-X", "POST", "-H", token, "-d", "{\"model\":\"m\",\"input\":\"x\"}", `${ctx.supervisor.url}/v1/responses`]);
    await run(["curl", "-s", "-X", "POST", "-H", token, "-d", "{\"model\":\"m\",\"input\":\"x\"}", `${ctx.supervisor.url}/v1/responses`]);
    await waitFor(() => /auth_failure/.test(win!.incidentsText()) && /rate_limited/.test(win!.incidentsText()), 5000, "live incidents");
    await waitFor(() => /verified/.test(win!.incidentsText()), 5000, "the verified restart");
    const text = win.incidentsText();
    expect(text).toMatch(/⚙ \d\d:\d\d:\d\d A5 proxy_crash → supervised \(Tier 1\)/);
    expect(text).toMatch(/⚙ \d\d:\d\d:\d\d A5 proxy_crash → verified \(Tier 1\)/);
    expect(text).toMatch(/\[\d{4}-\d\d-\d\dT\d\d:\d\d\] proxy_crash \(A5\)\n   fix=supervise success_rate=100% \[\+{10}\] seen=1x/);
    expect(win.statsLabel.get_text()).toMatch(/^AI diagnostic calls: 0 · Tokens used: 0 · Cost this month: \$0\.0000 · Known patterns: \d+$/);
    expect(notes.some((n) => n.includes("rejected the API key"))).toBeTrue();

    const dir = `${REPO_ROOT}/test-artifacts`;
    GLib.mkdir_with_parents(dir, 0o755);
    win.present();
    await settle(400);
    const id = (await run(["xdotool", "search", "--onlyvisible", "--name", "^AI Monitoring$"])).stdout.trim().split("\n")[0];
    expect((await run(["import", "-window", id, `${dir}/ai-monitor-window.png`])).exitCode).toBe(0);

    const report = `${home.home}/report.md`;
    win.exportReport(report);
    const reportText = read(report);
    expect(reportText).toContain("# Codex Launcher — AI Monitoring incident report");
    expect(reportText).toContain("proxy_crash");
    expect(reportText).toContain("## Recent monitoring log");

    win.clearButton.clicked();
    expect(win.confirm).not.toBeNull();
    win.confirm!.response(Gtk.ResponseType.CANCEL);
    expect(Object.keys(monitoring.watchdog!.incidents.data.incidents).length).toBeGreaterThan(0);
    win.clearButton.clicked();
    win.confirm!.response(Gtk.ResponseType.ACCEPT);
    expect(JSON.parse(read(home.paths.incidentStore)).incidents).toEqual({});
    expect(GLib.spawn_command_line_sync(`sh -c "ls ${home.paths.cacheDir} | grep -c incident-store.json.cleared-"`)[1]!.length).toBeGreaterThan(0);
  }, 30000);

  it("announces automatic actions in LauncherWin with 3 seconds to cancel", async () => {
    launcher = new LauncherWin(testApplication(), ctx);
    await settle();
    const started = Date.now();
    const allowed = await launcher.announce("Restarting the proxy.", false, 1);
    expect(allowed).toBeTrue();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const pending = launcher.announce("Switching provider.", false);
    await settle(50);
    expect(launcher.noticeBar.get_visible()).toBeTrue();
    expect(launcher.noticeLabel.get_text()).toBe("AI Monitor: Switching provider. Running in 3 s — Cancel to stop it.");
    launcher.noticeCancel.clicked();
    expect(await pending).toBeFalse();
    expect(launcher.noticeBar.get_visible()).toBeFalse();
    expect(launcher.logText()).toContain("[AI Monitor] Switching provider.");
  });

  it("brings a crashed proxy back without asking, and leaves a proxy the user stopped alone", async () => {
    await monitoring.save({ ...monitoring.config!, enabled: true, health_check_interval_s: 2 }, "");
    launcher = new LauncherWin(testApplication(), ctx);
    monitoring.announce = (text, undoable) => launcher!.announce(text, undoable);
    await ctx.supervisor.start({ endpointName: "Fake", backend: "openai-compat", targetUrl: provider.url, apiKey: "", models: ["m"], model: "m" });
    const pid = ctx.supervisor.pid;
    GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
    await waitFor(() => ctx.supervisor.state === "running" && ctx.supervisor.pid !== pid, 5000, "the proxy back");
    // Supervision is not an "automatic action" to cancel: no notice was shown for it.
    expect(launcher.noticeBar.get_visible()).toBeFalse();
    await launcher.stopProxy();
    expect(ctx.supervisor.state).toBe("stopped");
    await waitFor(() => read(home.paths.monitoringLog).includes("the proxy was stopped by the user: no restarts or alerts about it"), 3000, "the manual stop");
    // A stopped proxy produces no more actions.
    monitoring.watchdog!.signal(probeSignal("healthFailed", "refused", Date.now()));
    await settle(100);
    expect(read(home.paths.monitoringLog)).toContain("proxy_dead: no action (the user stopped the proxy)");
    expect(ctx.supervisor.state).toBe("stopped");
  });
});
