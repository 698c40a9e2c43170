// The launcher as a user drives it, with real widgets under Xvfb, real files in a throw-away home, the
// real proxy and a fake provider on loopback.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { parse } from "smol-toml";
import type { AppContext } from "../../src/launcher/app-context.js";
import { isServedBackend } from "../../src/lib/backend-types.js";
import { PROVIDER_PRESETS } from "../../src/lib/presets.js";
import { ChangelogWindow } from "../../src/ui/changelog-window.js";
import { EndpointsWindow } from "../../src/ui/endpoints-window.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { CODEX_BIN } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson } from "../helpers/http.js";
import { initGtk, settle, testApplication } from "../helpers/gtk.js";
import { run, waitFor } from "../helpers/process.js";
import { makeTempDir, removeTree, REPO_ROOT } from "../helpers/repo.js";

const KEY = "sk-test-ui-key-1234567890";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

function lsDir(dir: string): string[] {
  const [, out] = GLib.spawn_command_line_sync(`ls -a ${dir}`);
  return new TextDecoder().decode(out!).split("\n").filter(Boolean);
}

describe("launcher flow", () => {
  let app: Gtk.Application;
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;
  let win: LauncherWin | null = null;
  let manager: EndpointsWindow | null = null;

  beforeAll(() => {
    initGtk();
    app = testApplication();
  });

  beforeEach(async () => {
    home = makeTestHome();
    provider = new FakeProvider();
    ctx = await makeTestContext(home);
  });

  afterEach(async () => {
    manager?.destroy();
    manager = null;
    await ctx.supervisor.stop();
    win?.destroy();
    win = null;
    provider.stop();
    removeTree(home.home);
  });

  /** Adds an endpoint through the Manage Endpoints window and its edit dialog, like a person would. */
  async function addEndpointViaUi(name: string, preset = "vLLM / OpenAI-Compatible (self-hosted)"): Promise<void> {
    manager ??= new EndpointsWindow(win, ctx);
    manager.connect("changed", () => win?.refreshEndpoints());
    manager.buttons.add.clicked();
    const dialog = manager.dialog!;
    expect(dialog).toBeTruthy();
    dialog.presetCombo.set_active_id(preset);
    expect(dialog.backendCombo.get_active_id()).toBe("openai-compat");
    expect(dialog.urlEntry.get_text()).toBe("http://localhost:8000/v1");
    dialog.nameEntry.set_text(name);
    dialog.urlEntry.set_text(provider.url);
    dialog.keyEntry.set_text(KEY);
    dialog.fetchButton.clicked();
    await waitFor(() => dialog.fetchStatus.get_text().includes("2 models"), 10000, "models to be fetched");
    expect(dialog.models()).toEqual(["fake-a", "fake-b"]);
    dialog.defaultModelCombo.set_active_id("fake-b");
    expect(await dialog.saveNow()).toBeTrue();
    await settle();
  }

  it("adds an endpoint from a preset, keeps its key out of endpoints.json, and makes it the default", async () => {
    win = new LauncherWin(app, ctx);
    await addEndpointViaUi("Local vLLM");
    const saved = JSON.parse(read(home.paths.endpointsFile));
    expect(saved.default).toBe("Local vLLM");
    expect(saved.endpoints[0]).toEqual(jasmine.objectContaining({ name: "Local vLLM", backend_type: "openai-compat", base_url: provider.url,
      models: ["fake-a", "fake-b"], default_model: "fake-b", provider_preset: "vLLM / OpenAI-Compatible (self-hosted)", api_key: "" }));
    expect(read(home.paths.endpointsFile)).not.toContain(KEY);
    const keysFile = `${home.paths.codexHome}/codex-launcher-keys.json`;
    expect(read(keysFile)).toContain(KEY);
    const [, mode] = GLib.spawn_command_line_sync(`stat -c %a ${keysFile}`);
    expect(new TextDecoder().decode(mode!).trim()).toBe("600");
    expect(provider.requests.find((r) => r.path === "/v1/models")!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(win.endpointCombo.get_active_id()).toBe("Local vLLM");
    expect(win.modelCombo.get_active_id()).toBe("fake-b");
    expect(manager!.store.iter_n_children(null)).toBe(1);
  });

  it("fills backend, URL, models and name from a preset in one click", async () => {
    manager = new EndpointsWindow(null, ctx);
    manager.buttons.add.clicked();
    const dialog = manager.dialog!;
    dialog.presetCombo.set_active_id("Groq");
    expect(dialog.nameEntry.get_text()).toBe("Groq");
    expect(dialog.urlEntry.get_text()).toBe("https://api.groq.com/openai/v1");
    dialog.presetCombo.set_active_id("Google Gemini (API Key)");
    expect(dialog.urlEntry.get_text()).toBe("https://generativelanguage.googleapis.com/v1beta/openai");
    expect(dialog.models()).toEqual(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite"]);
    expect(dialog.nameEntry.get_text()).toBe("Groq"); // a name the user has is not replaced
    // A served backend's preset carries no warning.
    dialog.presetCombo.set_active_id("Command Code");
    expect(dialog.keyHint.get_text()).not.toContain("not translated");
    // A backend type this version does not translate can still be picked by hand (files of the
    // original use it), and the dialog says so; no preset offers one.
    dialog.backendCombo.set_active_id("kiro-oauth");
    expect(dialog.keyHint.get_text()).toContain("not translated by this version yet");
    dialog.presetCombo.set_active_id("Kiro (AWS CodeWhisperer)");
    expect(dialog.presetCombo.get_active_id()).toBe("Command Code"); // no such preset: the choice stays
    dialog.destroy();
  });

  it("refuses to save an invalid endpoint and shows why", async () => {
    manager = new EndpointsWindow(null, ctx);
    manager.buttons.add.clicked();
    const dialog = manager.dialog!;
    dialog.nameEntry.set_text("Broken");
    dialog.urlEntry.set_text("api.example.com");
    dialog.modelEntry.set_text("m");
    dialog.addModelButton.clicked();
    expect(await dialog.saveNow()).toBeFalse();
    expect(dialog.errorLabel.get_text()).toContain("The base URL must start with http:// or https://.");
    expect(GLib.file_test(home.paths.endpointsFile, GLib.FileTest.EXISTS)).toBeFalse();
    dialog.destroy();
  });

  it("shows a clear error when models cannot be fetched, and tests an endpoint through a temporary proxy", async () => {
    manager = new EndpointsWindow(null, ctx);
    manager.buttons.add.clicked();
    const dialog = manager.dialog!;
    dialog.urlEntry.set_text("http://127.0.0.1:9/v1");
    dialog.fetchButton.clicked();
    await waitFor(() => dialog.fetchStatus.get_text().startsWith("Could not fetch models"), 10000, "the fetch error");
    expect(dialog.fetchButton.get_sensitive()).toBeTrue();
    provider.then({ kind: "text", text: "OK" });
    dialog.urlEntry.set_text(provider.url);
    dialog.modelEntry.set_text("fake-a");
    dialog.addModelButton.clicked();
    dialog.testButton.clicked();
    await waitFor(() => /^(OK|Failed)/.test(dialog.testStatus.get_text()), 20000, "the test result");
    expect(dialog.testStatus.get_text()).toMatch(/^OK in \d+ ms — answered "OK"/);
    expect(provider.chatRequests()[0].body.model).toBe("fake-a");
    // A temporary proxy is not recorded as the launcher's proxy.
    expect(JSON.parse(read(home.paths.proxyConfig)).port).toBeUndefined(); // a test proxy leaves no trace
    dialog.destroy();
  });

  it("duplicates, sets the default and deletes only after asking", async () => {
    win = new LauncherWin(app, ctx);
    await addEndpointViaUi("First");
    manager!.select("First");
    manager!.buttons.duplicate.clicked();
    await waitFor(() => ctx.endpoints.doc.endpoints.length === 2, 5000, "the copy");
    expect(manager!.selectedName()).toBe("First (copy)");
    expect(await ctx.endpoints.keyFor("First (copy)")).toBe(KEY);
    manager!.buttons.setDefault.clicked();
    expect(JSON.parse(read(home.paths.endpointsFile)).default).toBe("First (copy)");
    expect(win.endpointCombo.get_active_text()).toContain("First");
    manager!.select("First");
    manager!.buttons.delete.clicked();
    expect(manager!.confirm).not.toBeNull();
    manager!.confirm!.response(Gtk.ResponseType.CANCEL);
    expect(ctx.endpoints.doc.endpoints.length).toBe(2);
    manager!.select("First");
    manager!.buttons.delete.clicked();
    manager!.confirm!.response(Gtk.ResponseType.ACCEPT);
    await waitFor(() => ctx.endpoints.doc.endpoints.length === 1, 5000, "the deletion");
    expect(JSON.parse(read(home.paths.endpointsFile)).endpoints.map((e: any) => e.name)).toEqual(["First (copy)"]);
    expect(await ctx.secrets.lookup("endpoint:First")).toBeNull();
  });

  it("starts the proxy from the window, shows it healthy, records port and pid, and stops it", async () => {
    win = new LauncherWin(app, ctx);
    await addEndpointViaUi("Fake");
    win.proxyButton.clicked();
    await waitFor(() => ctx.supervisor.state === "running", 15000, "the proxy to run");
    await waitFor(() => win!.proxyStatus.get_text().includes("healthy"), 8000, "a healthy status");
    const status = win.proxyStatus.get_text();
    expect(status).toContain(`running on 127.0.0.1:${ctx.supervisor.port}`);
    expect(status).toMatch(/up \d+ s · 0 requests/);
    const config = JSON.parse(read(home.paths.proxyConfig));
    expect(config).toEqual(jasmine.objectContaining({ port: ctx.supervisor.port, pid: ctx.supervisor.pid, backend: "openai-compat", endpoint: "Fake", model: "fake-b",
      client_token: ctx.clientToken }));
    expect(config.identity).toEqual(jasmine.objectContaining({ pid: ctx.supervisor.pid, argv: jasmine.arrayContaining(["--registry-dir"]) }));
    // The proxy registered itself, by identity, before it served.
    expect(JSON.parse(read(`${home.paths.registryDir}/${ctx.supervisor.pid}.json`))).toEqual(jasmine.objectContaining({ pid: ctx.supervisor.pid,
      start_time: config.identity.start_time, port: ctx.supervisor.port }));
    expect(win.proxyButton.get_label()).toBe("Stop Proxy");
    // The key reaches the proxy through its environment, never its command line.
    expect(read(`/proc/${ctx.supervisor.pid}/cmdline`)).not.toContain(KEY);
    win.proxyButton.clicked();
    await waitFor(() => ctx.supervisor.state === "stopped", 8000, "the proxy to stop");
    expect(win.proxyStatus.get_text()).toContain("stopped");
    await waitFor(() => !GLib.file_test(home.paths.registryDir, GLib.FileTest.EXISTS) || lsDir(home.paths.registryDir).every((f) => !f.endsWith(".json")), 5000,
      "the registration to go with the proxy");
  });

  it("writes its own Codex profile (config.toml untouched) that the real Codex CLI uses to finish a turn through the proxy", async () => {
    // The user's own provider speaks the Responses API: it answers with a stream Codex accepted (a capture).
    const own = new FakeProvider();
    const captured = read(`${REPO_ROOT}/test/fixtures/codex-captures/fake-sse-text.txt`);
    own.otherwise({ kind: "sse", frames: captured.split(/\n\n/).filter((f) => f.trim()).map((f) => `${f}\n\n`) });
    const userToml = `# my own settings\r\nmodel = "my-model"\r\nmodel_provider = "mine"\r\napproval_policy = "never"\r\n\r\n[analytics]\r\nenabled = false\r\n` +
      `[features]\r\nplugins = false\r\nunbounded_connection_retries = false\r\n\r\n[mcp_servers.docs]\r\ncommand = "docs"\r\n\r\n` +
      `[model_providers.mine]\r\nname = "mine"\r\nbase_url = "${own.url}"\r\nwire_api = "responses"\r\n`;
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.codexConfigToml, userToml);
    win = new LauncherWin(app, ctx);
    await addEndpointViaUi("Fake");
    await waitFor(() => win!.codexProbed, 10000, "the Codex probe");
    const written = await win.prepareCodex();
    expect(written).not.toBeNull();
    expect(read(home.paths.codexConfigToml)).toBe(userToml);
    const profile = parse(read(home.paths.codexProfile)) as any;
    expect(profile.model).toBe("fake-b");
    expect(profile.model_provider).toBe("codex-launcher");
    expect(profile.model_providers["codex-launcher"]).toEqual(jasmine.objectContaining({ base_url: `http://127.0.0.1:${ctx.supervisor.port}/v1`, wire_api: "responses",
      experimental_bearer_token: ctx.clientToken }));
    expect(Gio.File.new_for_path(home.paths.codexProfile).query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777).toBe(0o600);
    if (written!.catalogPath) expect(JSON.parse(read(written!.catalogPath)).models.map((m: any) => m.slug)).toContain("fake-b");

    provider.then({ kind: "text", text: "Hello through the launcher's profile." });
    const workdir = makeTempDir("launcher-codex-work");
    // Exactly what the launcher starts (and prints for other terminals): no secret in the environment.
    const result = await run([CODEX_BIN, "exec", "--profile", "codex-launcher", "--skip-git-repo-check", "--ephemeral", "--color", "never", "-C", workdir, "say hi"],
      { env: { CODEX_HOME: home.paths.codexHome }, stdin: "", timeoutMs: 60000 });
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello through the launcher's profile.");
    expect(provider.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEY}`);
    // Plain codex still uses the user's own provider and model, and does not mention the launcher.
    const plain = await run([CODEX_BIN, "exec", "--skip-git-repo-check", "--ephemeral", "--color", "never", "-C", workdir, "say hi"],
      { env: { CODEX_HOME: home.paths.codexHome }, stdin: "", timeoutMs: 60000 });
    removeTree(workdir);
    own.stop();
    expect(plain.exitCode).withContext(plain.stderr).toBe(0);
    expect(plain.stdout).toContain("Hi! This is the fake upstream speaking.");
    expect(`${plain.stdout}${plain.stderr}`).not.toMatch(/codex-launcher|CODEX_LAUNCHER/i);
    expect(own.requests[0].body.model).toBe("my-model");
    expect(provider.chatRequests().length).toBe(1);
  }, 90000);

  it("keeps a corrupt endpoints.json aside, says so, and loses nothing", async () => {
    const broken = `{"default": "A", "endpoints": [ {"name": "A", `;
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, broken);
    ctx = await makeTestContext(home);
    win = new LauncherWin(app, ctx);
    await settle();
    expect(win.errorText()).toMatch(/^Your endpoints file could not be used: .*endpoints\.json could not be read \(not valid JSON.*kept as .*endpoints\.json\.corrupt-/);
    const aside = lsDir(home.paths.codexHome).find((f) => f.startsWith("endpoints.json.corrupt-"))!;
    expect(read(`${home.paths.codexHome}/${aside}`)).toBe(broken);
    expect(GLib.file_test(home.paths.endpointsFile, GLib.FileTest.EXISTS)).toBeFalse();
  });

  it("stops the proxy when the window closes; a proxy the user keeps running is adopted by the next launcher, never killed", async () => {
    win = new LauncherWin(app, ctx);
    await addEndpointViaUi("Fake");
    const port = await win.startProxy();
    const pid = ctx.supervisor.pid;
    win.keepRunning.set_active(true);
    win.close();
    await waitFor(() => !ctx.supervisor.running, 8000, "the window to let the proxy go");
    expect(GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS)).toBeTrue(); // the window is gone, the proxy stays
    expect(JSON.parse(read(home.paths.proxyConfig)).kept).toBeTrue();
    expect((await getJson(`http://127.0.0.1:${port}/health`)).json().kept).toBeTrue();
    // The next launcher (a new context over the same home) adopts it: same pid, same port, no restart.
    const next = await makeTestContext(home);
    const nextWin = new LauncherWin(app, next);
    try {
      const report = await nextWin.session.startUp();
      expect(report.join("\n")).toContain(`adopted the proxy left running on port ${port} (pid ${pid}`);
      expect(next.supervisor.pid).toBe(pid);
      expect(next.supervisor.state).toBe("running");
      expect((await getJson(`http://127.0.0.1:${port}/health`)).json().kept).toBeFalse();
      await nextWin.startProxy();
      expect(next.supervisor.pid).toBe(pid); // same endpoint and model: reused as it is
      nextWin.close();
      await waitFor(() => !next.supervisor.running, 10000, "the proxy to stop on close");
      await waitFor(() => !GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS), 10000, "the adopted proxy to exit");
    } finally {
      await next.supervisor.dispose();
      if (!nextWin.in_destruction()) nextWin.destroy();
    }
    win = null;
  }, 60000);

  it("opens the Changelog with the release history from v4.0.0 back to v2.6.1", () => {
    const changelog = new ChangelogWindow(null);
    const text = changelog.text();
    for (const v of ["v4.0.0", "v3.8.0", "v3.7.0", "v3.6.0", "v3.5.0", "v3.3.0", "v3.0.0", "v2.7.0", "v2.6.1"]) expect(text).toContain(v);
    expect(text).toContain("AI Monitoring — self-healing watchdog with 3-tier response system");
    changelog.destroy();
  });
});

describe("launcher screenshots", () => {
  it("saves screenshots of LauncherWin, the endpoint manager and the edit dialog", async () => {
    const app = testApplication();
    const home = makeTestHome("shots");
    const provider = new FakeProvider();
    const ctx = await makeTestContext(home);
    const win = new LauncherWin(app, ctx);
    const manager = new EndpointsWindow(win, ctx);
    manager.connect("changed", () => win.refreshEndpoints());
    try {
      for (const [name, preset] of [["DeepSeek", "DeepSeek"], ["Local Ollama", "Ollama (local)"], ["Fake provider", "vLLM / OpenAI-Compatible (self-hosted)"]]) {
        manager.buttons.add.clicked();
        const d = manager.dialog!;
        d.presetCombo.set_active_id(preset);
        d.nameEntry.set_text(name);
        if (name === "Fake provider") {
          d.urlEntry.set_text(provider.url);
          d.fetchButton.clicked();
          await waitFor(() => d.fetchStatus.get_text().includes("models from the provider"), 10000, "models");
        } else if (!d.models().length) {
          d.modelEntry.set_text("qwen3-coder:30b");
          d.addModelButton.clicked();
        }
        d.keyEntry.set_text(name === "DeepSeek" ? "sk-demo-not-a-real-key" : "");
        expect(await d.saveNow()).toBeTrue();
      }
      manager.select("Fake provider");
      manager.buttons.setDefault.clicked();
      win.endpointCombo.set_active_id("Fake provider");
      await win.startProxy();
      await waitFor(() => win.proxyStatus.get_text().includes("healthy"), 8000, "healthy");
      const dir = `${REPO_ROOT}/test-artifacts`;
      GLib.mkdir_with_parents(dir, 0o755);
      const shot = async (title: string, file: string) => {
        const id = (await run(["xdotool", "search", "--onlyvisible", "--name", `^${title}$`])).stdout.trim().split("\n")[0];
        expect(id).withContext(title).toBeTruthy();
        const r = await run(["import", "-window", id, `${dir}/${file}`]);
        expect(r.exitCode).withContext(r.stderr).toBe(0);
      };
      win.present();
      await settle(300);
      await shot("Codex Launcher", "launcher-window.png");
      manager.present();
      await settle(300);
      await shot("Manage Endpoints", "endpoint-manager.png");
      const dialog = (await manager.editSelected())!;
      dialog.testButton.clicked();
      await waitFor(() => /^(OK|Failed)/.test(dialog.testStatus.get_text()), 20000, "the test result").catch((e) => {
        throw new Error(`${e.message}; title ${dialog.get_title()} models ${dialog.models()} default ${dialog.defaultModelCombo.get_active_id()}; status: ${dialog.testStatus.get_text()}; log: ${ctx.log.lines.slice(-5).join(" | ")}`);
      });
      await settle(300);
      await shot("Edit Endpoint — Fake provider", "edit-dialog.png");
      dialog.destroy();
    } finally {
      manager.destroy();
      await ctx.supervisor.stop();
      win.destroy();
      provider.stop();
      removeTree(home.home);
    }
  }, 60000);
});
