// First run, the endpoint editor's tools, Export / Import of the whole setup, and the GNOME conventions
// (app actions with accelerators, the help overlay, one error presentation), driven as a user would under
// Xvfb with real widgets, real files in throw-away homes and fake providers on loopback (issue 16).
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import type { Endpoint } from "../../src/lib/endpoints.js";
import { allPids, argvOf } from "../../src/lib/processes.js";
import { APP_SHORTCUTS, installAppActions, shortcutTitles } from "../../src/ui/app-actions.js";
import type { EndpointDialog } from "../../src/ui/endpoint-dialog.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { descendants, findButton, initGtk, screenshot, settle, testApplication } from "../helpers/gtk.js";
import { Child, gjs, run, waitFor } from "../helpers/process.js";
import { MAIN_JS, makeTempDir, removeTree } from "../helpers/repo.js";

const KEY = "sk-setup-key-0123456789";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

const exists = (path: string) => GLib.file_test(path, GLib.FileTest.EXISTS);

async function mode(path: string): Promise<string> {
  return (await run(["stat", "-c", "%a", path])).stdout.trim();
}

function ls(dir: string): string[] {
  const [, out] = GLib.spawn_command_line_sync(`ls -a ${GLib.shell_quote(dir)}`);
  return new TextDecoder().decode(out!).split("\n").filter(Boolean);
}

describe("first run, setup and GNOME conventions (issue 16)", () => {
  let app: Gtk.Application;
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;
  const windows: Gtk.Window[] = [];
  const contexts: AppContext[] = [];

  beforeAll(() => {
    initGtk();
    app = testApplication();
  });

  beforeEach(async () => {
    home = makeTestHome("setup");
    ctx = await makeTestContext(home);
    contexts.push(ctx);
    provider = new FakeProvider().requireKey(KEY);
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.supervisor.dispose(1000);
    for (const w of windows.splice(0)) w.destroy();
    provider.stop();
    removeTree(home.home);
  });

  function launcher(c: AppContext = ctx): LauncherWin {
    const win = new LauncherWin(app, c);
    windows.push(win);
    win.connect("destroy", () => windows.splice(windows.indexOf(win), 1));
    return win;
  }

  it("the real program's first start: the welcome page, keys in the 0600 file with the reason, no keyring prompt, nothing written", async () => {
    const fresh = makeTempDir("first-start");
    // Its own session bus: the desktop's keyring (gnome-keyring, D-Bus activated) starts there with no keyring at all.
    const env = { HOME: fresh, XDG_CACHE_HOME: `${fresh}/.cache`, XDG_CONFIG_HOME: `${fresh}/.config`, XDG_DATA_HOME: `${fresh}/.local/share`,
      CODEX_HOME: `${fresh}/.codex`, XDG_RUNTIME_DIR: null, CODEX_LAUNCHER_SECRETS: null };
    const child = new Child(["dbus-run-session", "--", gjs(), "-m", MAIN_JS], { env });
    const ours = () => allPids().filter((pid) => {
      try {
        return read(`/proc/${pid}/environ`).includes(`HOME=${fresh}\0`);
      } catch {
        return false;
      }
    });
    try {
      const ids = async () => (await run(["xdotool", "search", "--onlyvisible", "--name", "^Codex Launcher$"])).stdout.split("\n").filter(Boolean);
      await waitFor(async () => (await ids()).length === 1, 30000, "the window", 200);
      await settle(3000); // the keyring probe and the Codex probe have answered
      await screenshot("Codex Launcher", "first-run.png");
      const prompters = ours().filter((pid) => argvOf(pid).some((a) => a.endsWith("gcr-prompter")));
      expect(prompters).withContext("a keyring password prompt").toEqual([]);
      // A first start writes no endpoints.json and stores no key.
      expect(exists(`${fresh}/.codex/endpoints.json`)).toBeFalse();
      expect(exists(`${fresh}/.codex/codex-launcher-keys.json`)).toBeFalse();
      expect(exists(`${fresh}/.local/share/keyrings/login.keyring`)).toBeFalse();
    } finally {
      for (const pid of ours().filter((p) => argvOf(p).includes(MAIN_JS))) await run(["kill", "-TERM", String(pid)]);
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 10000))]);
      for (const pid of ours()) await run(["kill", "-KILL", String(pid)]);
      removeTree(fresh);
    }
  }, 60000);

  it("first run leads from the welcome page to Add Endpoint with the presets; saving with no models fetches them", async () => {
    const win = launcher();
    await settle();
    expect(win.welcoming).toBeTrue();
    expect(win.welcomeKeys.get_text()).toBe(`API keys will be kept in ${home.paths.codexHome}/codex-launcher-keys.json (mode 0600; chosen instead of the keyring).`);
    const presetButtons = descendants(win.welcomePresets).filter((w): w is Gtk.Button => w instanceof Gtk.Button).map((b) => b.get_label());
    expect(presetButtons).toEqual(["OpenAI", "Anthropic", "DeepSeek", "OpenRouter", "Google Gemini", "Groq", "Z.ai Coding", "Ollama (local)"]);
    // A preset button opens Add Endpoint on that preset.
    findButton(win.welcomePresets, "DeepSeek").clicked();
    const manager = win.endpointsWindow!;
    let dialog: EndpointDialog = manager.dialog!;
    expect(dialog.get_title()).toBe("Add Endpoint");
    expect([dialog.presetCombo.get_active_id(), dialog.urlEntry.get_text(), dialog.nameEntry.get_text()]).toEqual(["DeepSeek", "https://api.deepseek.com/v1", "DeepSeek"]);
    expect(dialog.models()).toEqual(["deepseek-chat", "deepseek-reasoner"]);
    dialog.destroy();
    // "Add Endpoint…": every preset; a local server with no models listed: Save fetches them first.
    win.welcomeAddButton.clicked();
    dialog = manager.dialog!;
    dialog.presetCombo.set_active_id("vLLM / OpenAI-Compatible (self-hosted)");
    dialog.nameEntry.set_text("My server");
    dialog.urlEntry.set_text(provider.url);
    dialog.keyEntry.set_text(KEY);
    expect(dialog.models()).toEqual([]);
    const problem = () => dialog.errorLabel.get_text();
    const ok = await dialog.saveNow();
    expect(ok).withContext(ok ? "" : problem()).toBeTrue();
    const saved = JSON.parse(read(home.paths.endpointsFile));
    expect(saved.endpoints[0]).toEqual(jasmine.objectContaining({ name: "My server", models: ["fake-a", "fake-b"], default_model: "fake-a" }));
    expect(provider.requests.filter((r) => r.path === "/v1/models").length).toBe(1);
    // The welcome page gives way to the main page with the new endpoint selected.
    await settle();
    expect(win.welcoming).toBeFalse();
    expect(win.endpointCombo.get_active_id()).toBe("My server");
    // A Test from the editor gives the badge its first figure.
    expect(win.latencyLabel.get_text()).toBe("latency: not measured");
    manager.select("My server");
    const editor = (await manager.editSelected())!;
    editor.testButton.clicked();
    await waitFor(() => /^(OK|Failed)/.test(editor.testStatus.get_text()), 20000, "the test result");
    expect(editor.testStatus.get_text()).toMatch(/^OK in \d+ ms/);
    expect(ctx.latency.latest("My server")?.source).toBe("test");
    expect(win.latencyLabel.get_text()).toMatch(/^\d+ ms$/);
    expect(win.latencyLabel.get_tooltip_text()).toContain("from Test");
    editor.destroy();
  });

  it("the editor's tools: Bulk Add with the original's normalisation, Sync from Preset, Sort A–Z, Clear All, reasoning on/off and effort", async () => {
    const win = launcher();
    win.addEndpoint("Z.ai Coding");
    const dialog = win.endpointsWindow!.dialog!;
    expect(dialog.models()).toEqual(["glm-5.1", "glm-5", "glm-5v-turbo", "glm-4.7"]);
    dialog.clearModelsButton.clicked();
    expect(dialog.models()).toEqual([]);
    dialog.bulkAddButton.clicked();
    const bulk = dialog.bulkDialog!;
    const view = descendants(bulk as unknown as Gtk.Widget).find((w): w is Gtk.TextView => w instanceof Gtk.TextView)!;
    view.get_buffer().set_text("Qwen/Qwen3-Coder+, GLM-5.1\nglm-5.1\n\"Kimi-K2\"", -1);
    bulk.response(Gtk.ResponseType.OK);
    expect(dialog.models()).toEqual(["qwen-qwen3-coderplus", "glm-5.1", "kimi-k2"]);
    expect(dialog.fetchStatus.get_text()).toBe("3 model(s) added.");
    dialog.syncButton.clicked();
    expect(dialog.models()).toEqual(["qwen-qwen3-coderplus", "glm-5.1", "kimi-k2", "glm-5", "glm-5v-turbo", "glm-4.7"]);
    expect(dialog.fetchStatus.get_text()).toBe("Added from the Z.ai Coding preset: glm-5, glm-5v-turbo, glm-4.7.");
    dialog.sortButton.clicked();
    expect(dialog.models()).toEqual(["glm-4.7", "glm-5", "glm-5.1", "glm-5v-turbo", "kimi-k2", "qwen-qwen3-coderplus"]);
    dialog.defaultModelCombo.set_active_id("glm-5.1");
    dialog.reasoningCombo.set_active_id("high");
    dialog.keyEntry.set_text(KEY);
    await settle(200);
    await screenshot("Add Endpoint", "endpoint-editor.png");
    const ok = await dialog.saveNow();
    expect(ok).withContext(ok ? "" : dialog.errorLabel.get_text()).toBeTrue();
    let saved = JSON.parse(read(home.paths.endpointsFile)).endpoints[0];
    expect(saved).toEqual(jasmine.objectContaining({ name: "Z.ai Coding", default_model: "glm-5.1", reasoning_enabled: true, reasoning_effort: "high" }));
    // Reopened, it shows the saved choice; off, and then Codex's own, round-trip too.
    win.endpointsWindow!.select("Z.ai Coding");
    const again = (await win.endpointsWindow!.editSelected())!;
    expect(again.reasoningCombo.get_active_id()).toBe("high");
    again.reasoningCombo.set_active_id("off");
    expect(await again.saveNow()).toBeTrue();
    saved = JSON.parse(read(home.paths.endpointsFile)).endpoints[0];
    expect(saved.reasoning_enabled).toBeFalse();
    const third = (await win.endpointsWindow!.editSelected())!;
    expect(third.reasoningCombo.get_active_id()).toBe("off");
    third.reasoningCombo.set_active_id("");
    expect(await third.saveNow()).toBeTrue();
    saved = JSON.parse(read(home.paths.endpointsFile)).endpoints[0];
    expect("reasoning_enabled" in saved || "reasoning_effort" in saved).toBeFalse();
  });

  it("Export → wipe → Import restores the setup (endpoints, keys when asked, monitoring, session options, pools); what an import replaces is kept aside", async () => {
    const a: Endpoint = { name: "Alpha", backend_type: "openai-compat", base_url: provider.url, api_key: "", default_model: "fake-a", models: ["fake-a", "fake-b"],
      provider_preset: "Custom", reasoning_enabled: true, reasoning_effort: "low" };
    const b: Endpoint = { name: "Beta", backend_type: "anthropic", base_url: "https://api.anthropic.com/v1", api_key: "", default_model: "claude-sonnet-4-5",
      models: ["claude-sonnet-4-5"], provider_preset: "Anthropic" };
    await ctx.endpoints.saveEndpoint(a, KEY);
    await ctx.endpoints.saveEndpoint(b, "sk-ant-beta");
    ctx.endpoints.setDefault("Beta");
    ctx.endpoints.save({ ...ctx.endpoints.doc, ai_monitoring: { enabled: true, model: "qwen3", health_check_interval_s: 7 } });
    await ctx.secrets.store("ai_monitoring", "sk-monitor", "monitor");
    const pools = { pools: [{ name: "Both", strategy: "failover", routes: [{ name: "a", endpoint_name: "Alpha", model: "fake-a", api_key: "sk-route" }] }] };
    GLib.file_set_contents(home.paths.poolsFile, JSON.stringify(pools));
    const win = launcher();
    await settle();
    win.sandboxCombo.set_active_id("read-only");
    win.approvalCombo.set_active_id("never");
    const outDir = makeTempDir("setup-export");
    try {
      // Export through its dialog, keys included (the warning shows once ticked).
      const chooser = win.chooseExport();
      chooser.set_current_folder(outDir);
      chooser.set_current_name("my-setup.json");
      const extra = chooser.get_extra_widget() as Gtk.Box;
      const [includeKeys, warning] = extra.get_children() as [Gtk.CheckButton, Gtk.Label];
      expect(warning.get_visible()).toBeFalse();
      includeKeys.set_active(true);
      expect(warning.get_visible()).toBeTrue();
      expect(warning.get_text()).toContain("The keys are written in clear text");
      await settle(300);
      await screenshot("Export Setup", "export-dialog.png");
      chooser.response(Gtk.ResponseType.ACCEPT);
      const file = `${outDir}/my-setup.json`;
      await waitFor(() => exists(file), 5000, "the export");
      expect(await mode(file)).toBe("600");
      const exported = read(file);
      for (const secret of [KEY, "sk-ant-beta", "sk-monitor", "sk-route"]) expect(exported).withContext(secret).toContain(secret);
      // Without the tick: no key anywhere in the file.
      const plain = `${outDir}/plain.json`;
      expect(await win.exportSetup(plain, false)).toEqual(jasmine.objectContaining({ endpoints: 2, keys: 0, pools: true }));
      for (const secret of [KEY, "sk-ant-beta", "sk-monitor", "sk-route"]) expect(read(plain)).withContext(secret).not.toContain(secret);

      // Wipe: a new machine, as far as the launcher can tell.
      win.destroy();
      for (const f of [home.paths.endpointsFile, `${home.paths.codexHome}/codex-launcher-keys.json`, home.paths.poolsFile]) GLib.unlink(f);
      const fresh = await makeTestContext(home);
      contexts.push(fresh);
      const win2 = launcher(fresh);
      await settle();
      expect(win2.welcoming).toBeTrue();
      // A file that is not a setup is refused, saying why, and nothing changes.
      GLib.file_set_contents(`${outDir}/not-a-setup.json`, JSON.stringify({ default: null, endpoints: [] }));
      expect(await win2.importSetup(`${outDir}/not-a-setup.json`)).toBeNull();
      expect(win2.errorText()).toContain("This setup file cannot be imported: not-a-setup.json cannot be imported: not a Codex Launcher setup file");
      expect(exists(home.paths.endpointsFile)).toBeFalse();
      // The real one: confirmed, then everything is back.
      const importing = win2.importSetup(file);
      const confirm = await waitFor(() => win2.importConfirm, 5000, "the import confirmation");
      expect(confirm.secondary_text).toContain("adds 'Alpha', 'Beta'; sets ai_monitoring, codex_session; with the keys in the file; replaces the BGP pools");
      confirm.response(Gtk.ResponseType.ACCEPT);
      const result = (await importing)!;
      expect(result.keysImported).toBe(3);
      expect(win2.welcoming).toBeFalse();
      const restored = fresh.endpoints.doc;
      expect(restored.default).toBe("Beta");
      expect(restored.endpoints.map((e) => e.name)).toEqual(["Alpha", "Beta"]);
      expect(restored.endpoints[0]).toEqual(jasmine.objectContaining({ base_url: provider.url, models: ["fake-a", "fake-b"], reasoning_effort: "low", api_key: "" }));
      expect(restored.ai_monitoring).toEqual({ enabled: true, model: "qwen3", health_check_interval_s: 7 });
      expect(await fresh.endpoints.keyFor("Alpha")).toBe(KEY);
      expect(await fresh.endpoints.keyFor("Beta")).toBe("sk-ant-beta");
      expect(await fresh.secrets.lookup("ai_monitoring")).toBe("sk-monitor");
      expect(win2.sessionOptions()).toEqual({ sandbox: "read-only", approval: "never" });
      expect(JSON.parse(read(home.paths.poolsFile))).toEqual(pools);
      expect(read(home.paths.endpointsFile)).not.toContain(KEY);

      // Imported again over a changed setup: the replaced file and key are kept aside.
      await fresh.endpoints.saveEndpoint({ ...restored.endpoints[0], base_url: "https://changed.example/v1" }, "sk-changed", "Alpha");
      const again = win2.importSetup(file);
      (await waitFor(() => win2.importConfirm, 5000, "the second confirmation")).response(Gtk.ResponseType.ACCEPT);
      const second = (await again)!;
      expect(second.merge.replaced).toEqual(["Alpha", "Beta"]);
      expect(fresh.endpoints.doc.endpoints[0].base_url).toBe(provider.url);
      const aside = ls(home.paths.codexHome).filter((f) => f.startsWith("endpoints.json.before-import-"));
      expect(aside.length).toBe(1);
      expect(read(`${home.paths.codexHome}/${aside[0]}`)).toContain("https://changed.example/v1");
      expect(second.keysKeptAside).toEqual([jasmine.stringMatching(/^endpoint:Alpha \(before import \d{8}-\d{6}\)$/)]);
      expect(await fresh.secrets.lookup(second.keysKeptAside[0])).toBe("sk-changed");
      expect(win2.logText()).toMatch(/setup imported from .*my-setup\.json: .*previous files kept as .*before-import-/);
    } finally {
      removeTree(outDir);
    }
  });

  it("app actions with accelerators (a real Ctrl+P), the help overlay listing them, one error presentation, Quit", async () => {
    await ctx.endpoints.saveEndpoint({ name: "Fake", backend_type: "openai-compat", base_url: provider.url, api_key: "", default_model: "fake-a",
      models: ["fake-a"], provider_preset: "Custom" }, KEY);
    await ctx.endpoints.saveEndpoint({ name: "Kiro", backend_type: "kiro-oauth", base_url: "https://codewhisperer.us-east-1.amazonaws.com", api_key: "",
      default_model: "m", models: ["m"], provider_preset: "Custom" }, "");
    ctx.endpoints.setDefault("Fake");
    const win = launcher();
    const actions = installAppActions(app, win.actionHandlers());
    for (const s of APP_SHORTCUTS) expect(app.get_accels_for_action(s.action)).withContext(s.action).toEqual(s.accels);
    for (const name of ["quit", "launch-codex", "toggle-proxy", "restart-proxy", "endpoints", "add-endpoint", "doctor", "doctor-all", "export-setup", "import-setup"])
      expect(actions.get(name)?.get_enabled()).withContext(name).toBeTrue();
    expect(actions.get("monitor")?.get_enabled()).withContext("no AI Monitor window given here").toBeFalse();

    // The action, as a menu or another window would trigger it.
    app.activate_action("toggle-proxy", null);
    await waitFor(() => ctx.supervisor.state === "running", 15000, "the proxy to start");
    // The accelerator, as a person presses it: Ctrl+P in the focused window stops it again.
    await settle(500);
    const id = (await run(["xdotool", "search", "--onlyvisible", "--name", "^Codex Launcher$"])).stdout.trim().split("\n")[0];
    await run(["xdotool", "windowfocus", "--sync", id]);
    await settle(200);
    const pressed = await run(["xdotool", "key", "--clearmodifiers", "ctrl+p"]);
    expect(pressed.exitCode).withContext(pressed.stderr).toBe(0);
    await waitFor(() => ctx.supervisor.state === "stopped", 15000, "Ctrl+P to stop the proxy");

    // The help overlay lists every shortcut of the table (Ctrl+? opens it).
    const overlay = win.get_help_overlay()!;
    expect(shortcutTitles(overlay)).toEqual(APP_SHORTCUTS.map((s) => s.title));
    win.activate_action("show-help-overlay", null);
    await waitFor(() => overlay.get_visible(), 5000, "the shortcuts window");
    await settle(400);
    await screenshot("Keyboard Shortcuts", "shortcuts.png");
    overlay.hide();

    // One error presentation: a failing action shows its cause in the bar, and the bar closes.
    win.endpointCombo.set_active_id("Kiro");
    expect(await win.startProxy()).toBeNull();
    expect(win.errorBar.get_visible()).toBeTrue();
    expect(win.errorBar.message_type).toBe(Gtk.MessageType.ERROR);
    expect(win.errorText()).toBe("Could not start the proxy: the kiro-oauth backend is not served by this version; choose another endpoint");
    expect(win.logText()).toContain("Error: Could not start the proxy: the kiro-oauth backend is not served");
    win.errorBar.response(Gtk.ResponseType.CLOSE);
    expect(win.errorBar.get_visible()).toBeFalse();
    // The proxy line shows its state with a style class, no colour in markup.
    expect(win.proxyDot.get_style_context().has_class("status-ok")).toBeFalse();

    // Quit closes the window (no proxy running: nothing to ask).
    let closed = false;
    win.connect("destroy", () => (closed = true));
    app.activate_action("quit", null);
    await waitFor(() => closed, 5000, "the window to close");
  }, 60000);
});
