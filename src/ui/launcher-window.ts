// LauncherWin: the main window. It renders state and forwards user intent; files, HTTP and processes
// are the launcher services' business (src/launcher). Without endpoints it shows the welcome page that
// leads to Add Endpoint; failures of any handler show in its error bar.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { probeProgram, runtimeVersions } from "../lib/dependencies.js";
import { poolLabel } from "../lib/bgp-pools.js";
import type { Endpoint } from "../lib/endpoints.js";
import { findPreset, offeredPresets } from "../lib/presets.js";
import { APP_NAME, APP_VERSION } from "../lib/version.js";
import type { AppContext } from "../launcher/app-context.js";
import { codexFlagsAccepted, codexLoginStatus, codexSessionPids, findCodexDesktop, launchCodexCli, launchCodexDesktop, launchCodexLogin, stopCodexSession,
  type ProfileWrite } from "../launcher/codex-session.js";
import { APPROVAL_LABELS, APPROVAL_POLICIES, DEFAULT_SESSION_OPTIONS, loginLine, SANDBOX_LABELS, SANDBOX_MODES, type ApprovalPolicy, type CodexLogin,
  type SandboxMode, type SessionOptions } from "../launcher/model/codex-login.js";
import { latencyBadge } from "../launcher/model/latency.js";
import type { OwnerInfo } from "../launcher/ownership.js";
import { LauncherSession, preferredTargetModel, targetModels, targetName, type LaunchTarget } from "../launcher/session.js";
import { exportSetup, importSetup, planImport, type ExportResult, type ImportResult } from "../launcher/setup-transfer.js";
import { buildShortcutsWindow, type AppActionHandlers } from "./app-actions.js";
import { DoctorWindow } from "./doctor-window.js";
import { EndpointsWindow } from "./endpoints-window.js";
import { ErrorBar } from "./error-bar.js";
import { installStyles, setStateClass, setStatus } from "./style.js";

/** What closing the window does while a Codex launched from it still runs. */
export type CloseChoice = "keep" | "stop-both" | "cancel";

/** The header bar's buttons, in the order the original app shows them. */
export interface HeaderAction {
  id: "changelog" | "usage" | "bgp" | "monitor" | "endpoints";
  label: string;
  /** What the button opens, used in its tooltip. */
  opens: string;
}

export const HEADER_ACTIONS: readonly HeaderAction[] = [
  { id: "changelog", label: "Changelog", opens: "the release history" },
  { id: "usage", label: "Usage", opens: "the usage dashboard (tokens and requests per endpoint, model and day)" },
  { id: "bgp", label: "AI BGP", opens: "AI BGP routing pools (failover across providers)" },
  { id: "monitor", label: "AI Monitor", opens: "AI Monitoring (the self-healing watchdog)" },
  { id: "endpoints", label: "Manage Endpoints", opens: "the endpoint manager" },
];

/** Opens the window behind a header button; absent while that window is not built yet. */
export type WindowOpeners = Partial<Record<HeaderAction["id"], () => void>> & {
  /** Manage Endpoints with its Add dialog open (on `preset` when given). */
  addEndpoint?: (preset?: string) => void;
};

/** Presets offered on the welcome page, when this version serves them. */
const WELCOME_PRESETS = ["OpenAI", "Anthropic", "DeepSeek", "OpenRouter", "Google Gemini (API Key)", "Groq", "Z.ai Coding", "Ollama (local)"];
const LATENCY_CLASSES = ["latency-good", "latency-fair", "latency-poor", "latency-none"] as const;

function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function fieldLabel(text: string): Gtk.Label {
  return new Gtk.Label({ label: text, xalign: 1 });
}

export class LauncherWin extends Gtk.ApplicationWindow {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherWin" }, this);
  }

  // Every widget the window talks to, typed (a misspelt name does not compile).
  readonly errorBar = new ErrorBar();
  readonly noticeBar = new Gtk.InfoBar({ message_type: Gtk.MessageType.WARNING, no_show_all: true });
  readonly noticeLabel = new Gtk.Label({ xalign: 0, wrap: true, hexpand: true });
  readonly noticeCancel = new Gtk.Button({ label: "Cancel" });
  readonly stack = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.CROSSFADE, vhomogeneous: false });
  readonly welcomeAddButton = new Gtk.Button({ label: "Add Endpoint…" });
  readonly welcomeImportButton = new Gtk.Button({ label: "Import Setup…" });
  readonly welcomePresets = new Gtk.FlowBox({ selection_mode: Gtk.SelectionMode.NONE, max_children_per_line: 4, min_children_per_line: 2,
    column_spacing: 6, row_spacing: 6, homogeneous: true });
  readonly welcomeKeys = new Gtk.Label({ xalign: 0.5, wrap: true, justify: Gtk.Justification.CENTER });
  readonly welcomeCodex = new Gtk.Label({ xalign: 0.5, wrap: true, justify: Gtk.Justification.CENTER });
  readonly endpointCombo = new Gtk.ComboBoxText({ hexpand: true });
  readonly modelCombo = new Gtk.ComboBoxText({ hexpand: true });
  readonly latencyLabel = new Gtk.Label({ label: "latency: not measured" });
  readonly proxyDot = new Gtk.Label({ label: "○" });
  readonly proxyStatus = new Gtk.Label({ xalign: 0, hexpand: true, selectable: true, wrap: true });
  readonly proxyButton = new Gtk.Button({ label: "Start Proxy" });
  readonly restartButton = new Gtk.Button({ label: "Restart Proxy" });
  readonly cleanupButton = new Gtk.Button({ label: "Kill & Cleanup" });
  readonly keepRunning = new Gtk.CheckButton({ label: "Keep the proxy running when this window closes" });
  readonly loginStatus = new Gtk.Label({ xalign: 0, hexpand: true, wrap: true, selectable: true, label: "Codex login: checking…" });
  readonly reloginButton = new Gtk.Button({ label: "Re-login" });
  readonly sandboxCombo = new Gtk.ComboBoxText();
  readonly approvalCombo = new Gtk.ComboBoxText();
  readonly folderButton = new Gtk.FileChooserButton({ action: Gtk.FileChooserAction.SELECT_FOLDER, title: "Project folder for Codex" });
  readonly launchCliButton = new Gtk.Button({ label: "Launch Codex CLI" });
  readonly launchDesktopButton = new Gtk.Button({ label: "Launch Codex Desktop" });
  readonly doctorButton = new Gtk.Button({ label: "Doctor" });
  readonly clearLogButton = new Gtk.Button({ label: "Clear Log" });
  readonly logBuffer = new Gtk.TextBuffer();
  readonly logView = new Gtk.TextView({ buffer: this.logBuffer, editable: false, cursor_visible: false, monospace: true, wrap_mode: Gtk.WrapMode.WORD_CHAR });

  /** Async work (probes, process events) may finish after the window is gone. */
  #destroyed = false;
  #busy = false;
  #closing = false;
  #loadingOptions = false;
  #flagsChecked = false;
  #statusTimer = 0;
  #loginTimer = 0;
  #trafficSamples = 0;
  #unsubscribe: (() => void)[] = [];
  #selfHandlers: number[] = [];
  /** Handlers on child widgets and on the windows opened from here, disconnected on teardown (see there). */
  #handlers: [GObject.Object, number][] = [];
  #endpointsWindow: EndpointsWindow | null = null;
  /** The open confirmation of an import (specs answer it). */
  importConfirm: Gtk.MessageDialog | null = null;
  /** The last Doctor opened from here. */
  doctor: DoctorWindow | null = null;
  /** True once the Codex CLI was looked for. */
  codexProbed = false;
  /** Codex's own login as last checked (null: not yet). */
  codexLogin: CodexLogin | null = null;
  /** Lets the watchdog follow the Codex process it should watch. */
  onCodexLaunched: ((sessionId: string) => void) | null = null;
  /** Told after an import changed the setup (the application reloads the monitoring settings). */
  onSetupImported: (() => void) | null = null;
  /** The Codex sessions launched from this window (their processes are found by session id). */
  readonly launchedSessions: string[] = [];
  /** Asks what to do when the window closes while Codex runs (a dialog; specs answer it directly). */
  askOnClose: (() => Promise<CloseChoice>) | null = null;
  /** The close question while it is shown. */
  closeDialog: Gtk.MessageDialog | null = null;
  /** Set while another launcher (--headless, or a window of an older run) owns the proxy: this window only looks. */
  #attachedTo: OwnerInfo | null = null;
  readonly session: LauncherSession;

  constructor(application: Gtk.Application, private readonly ctx: AppContext, private readonly openers: WindowOpeners = {}, session?: LauncherSession) {
    super({ application, title: APP_NAME, default_width: 980, default_height: 720 });
    installStyles();
    this.session = session ?? new LauncherSession(ctx);
    this.set_titlebar(this.#buildHeaderBar());
    this.add(this.#buildBody());
    this.set_help_overlay(buildShortcutsWindow());
    // Our own handlers are disconnected in teardown: left connected, gjs 1.74 releases their closures
    // a second time when it finalizes a window GTK already destroyed (g_closure_unref criticals).
    this.#selfHandlers = [this.connect("destroy", () => this.#teardown()), this.connect("delete-event", () => this.#onClose())];
    this.show_all();
    this.log(`${APP_NAME} v${APP_VERSION} started`);
    this.log(`Runtime: ${runtimeVersions()}`);
    for (const line of ctx.log.lines) this.log(line);
    this.#unsubscribe.push(ctx.log.subscribe((line) => this.log(line)));
    this.#unsubscribe.push(ctx.supervisor.onChange(() => this.#renderProxy()));
    this.#unsubscribe.push(ctx.latency.onChange(() => this.#renderLatency()));
    this.#loadSessionOptions();
    this.refreshEndpoints();
    this.#renderProxy();
    this.#statusTimer = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 2, () => {
      void this.#pollHealth();
      return GLib.SOURCE_CONTINUE;
    });
    void this.#reportCodex().catch((e) => this.showError("Could not check the Codex CLI", e));
  }

  /** Appends a timestamped line to the log pane. */
  log(line: string): void {
    if (this.#destroyed) return;
    const stamp = GLib.DateTime.new_now_local().format("%H:%M:%S");
    this.logBuffer.insert(this.logBuffer.get_end_iter(), `[${stamp}] ${line}\n`, -1);
    this.logView.scroll_to_iter(this.logBuffer.get_end_iter(), 0, false, 0, 1);
  }

  logText(): string {
    return this.logBuffer.get_text(this.logBuffer.get_start_iter(), this.logBuffer.get_end_iter(), false);
  }

  /** The one error presentation: the bar at the top, and the log. */
  showError(title: string, cause?: unknown): void {
    if (this.#destroyed) return;
    this.errorBar.showError(title, cause);
    this.log(`Error: ${this.errorBar.text()}`);
  }

  errorText(): string {
    return this.errorBar.text();
  }

  #buildHeaderBar(): Gtk.HeaderBar {
    const bar = new Gtk.HeaderBar({ show_close_button: true, title: APP_NAME, subtitle: `v${APP_VERSION}` });
    // The primary menu (rightmost): setup transfer, Doctor All, shortcuts, quit — all app actions.
    const menu = new Gio.Menu();
    const checks = new Gio.Menu();
    checks.append("Doctor All Endpoints", "app.doctor-all");
    const setup = new Gio.Menu();
    setup.append("Export Setup…", "app.export-setup");
    setup.append("Import Setup…", "app.import-setup");
    const general = new Gio.Menu();
    general.append("Keyboard Shortcuts", "win.show-help-overlay");
    general.append("Quit", "app.quit");
    menu.append_section(null, checks);
    menu.append_section(null, setup);
    menu.append_section(null, general);
    const menuButton = new Gtk.MenuButton({ menu_model: menu, tooltip_text: "Main menu", name: "primary-menu" });
    menuButton.add(new Gtk.Image({ icon_name: "open-menu-symbolic", icon_size: Gtk.IconSize.BUTTON }));
    bar.pack_end(menuButton);
    // pack_end stacks from the right, so pack in reverse to keep the original left-to-right order.
    for (const action of [...HEADER_ACTIONS].reverse()) {
      const button = new Gtk.Button({ label: action.label, name: `header-${action.id}` });
      const open = this.openers[action.id];
      button.tooltip_text = `Open ${action.opens}`;
      if (open) this.#on(button, "clicked", () => open());
      else button.sensitive = false;
      bar.pack_end(button);
    }
    return bar;
  }

  #buildBody(): Gtk.Widget {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 10, margin: 14 });
    box.add(this.errorBar);
    // AI Monitor notices: every automatic action shows here with a 3-second Cancel.
    (this.noticeBar.get_content_area() as Gtk.Box).add(this.noticeLabel);
    (this.noticeBar.get_action_area() as Gtk.Box).add(this.noticeCancel);
    this.noticeLabel.show();
    this.noticeCancel.show();
    box.add(this.noticeBar);
    this.stack.add_named(this.#buildWelcome(), "welcome");
    this.stack.add_named(this.#buildMain(), "main");
    box.add(this.stack);

    const logHeader = new Gtk.Box({ spacing: 8 });
    const logTitle = new Gtk.Label({ label: "Log", xalign: 0, hexpand: true });
    logTitle.get_style_context().add_class("section-title");
    logHeader.add(logTitle);
    logHeader.add(this.clearLogButton);
    box.add(logHeader);
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, hexpand: true, shadow_type: Gtk.ShadowType.IN, min_content_height: 120 });
    scroller.add(this.logView);
    box.add(scroller);
    this.#on(this.clearLogButton, "clicked", () => this.logBuffer.set_text("", -1));
    return box;
  }

  #buildWelcome(): Gtk.Widget {
    const page = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, margin_top: 18, margin_bottom: 12, halign: Gtk.Align.CENTER });
    const icon = new Gtk.Image({ icon_name: "utilities-terminal", pixel_size: 64 });
    const title = new Gtk.Label({ label: "Welcome to Codex Launcher" });
    title.get_style_context().add_class("welcome-title");
    const subtitle = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER, max_width_chars: 70,
      label: "Run OpenAI Codex on the AI provider of your choice. Start by adding an endpoint: pick your provider, " +
        "paste its API key, and the launcher fetches its models and checks that Codex can use it." });
    subtitle.get_style_context().add_class("welcome-subtitle");
    for (const w of [icon, title, subtitle]) page.add(w);
    const offered = new Set(offeredPresets().map((p) => p.name));
    for (const name of WELCOME_PRESETS.filter((n) => offered.has(n))) {
      const button = new Gtk.Button({ label: name.replace(/ \(API Key\)$/, ""), tooltip_text: `Add an endpoint from the ${name} preset` });
      this.#on(button, "clicked", () => this.addEndpoint(name));
      this.welcomePresets.add(button);
    }
    page.add(this.welcomePresets);
    const buttons = new Gtk.Box({ spacing: 10, halign: Gtk.Align.CENTER });
    this.welcomeAddButton.get_style_context().add_class("suggested-action");
    this.welcomeAddButton.tooltip_text = "Choose from every provider preset (or a custom OpenAI-compatible server)";
    buttons.add(this.welcomeAddButton);
    buttons.add(this.welcomeImportButton);
    page.add(buttons);
    for (const l of [this.welcomeKeys, this.welcomeCodex]) {
      l.get_style_context().add_class("dim-label");
      l.max_width_chars = 90;
      page.add(l);
    }
    this.welcomeKeys.set_text(`API keys will be kept in ${this.ctx.secrets.where}.`);
    this.#on(this.welcomeAddButton, "clicked", () => this.addEndpoint());
    this.#on(this.welcomeImportButton, "clicked", () => this.chooseImport());
    return page;
  }

  #buildMain(): Gtk.Widget {
    const grid = new Gtk.Grid({ row_spacing: 8, column_spacing: 10 });
    let row = 0;
    grid.attach(fieldLabel("Endpoint"), 0, row, 1, 1);
    const endpointBox = new Gtk.Box({ spacing: 8 });
    endpointBox.add(this.endpointCombo);
    this.latencyLabel.get_style_context().add_class("latency-badge");
    endpointBox.add(this.latencyLabel);
    grid.attach(endpointBox, 1, row, 1, 1);
    grid.attach(fieldLabel("Model"), 2, row, 1, 1);
    grid.attach(this.modelCombo, 3, row, 1, 1);

    row++;
    grid.attach(fieldLabel("Proxy"), 0, row, 1, 1);
    const proxyBox = new Gtk.Box({ spacing: 6 });
    proxyBox.add(this.proxyDot);
    proxyBox.add(this.proxyStatus);
    grid.attach(proxyBox, 1, row, 1, 1);
    const proxyButtons = new Gtk.Box({ spacing: 6 });
    for (const b of [this.proxyButton, this.restartButton, this.cleanupButton]) proxyButtons.add(b);
    grid.attach(proxyButtons, 2, row, 2, 1);
    this.restartButton.tooltip_text = "Stop the proxy after its live streams finish and start it again with the same settings";
    this.cleanupButton.tooltip_text = "Stop this launcher's proxy now and any other proxy Codex Launcher left running (checked by process identity; Codex itself is never touched)";
    row++;
    grid.attach(this.keepRunning, 1, row, 3, 1);

    row++;
    grid.attach(fieldLabel("Codex"), 0, row, 1, 1);
    grid.attach(this.loginStatus, 1, row, 2, 1);
    this.reloginButton.tooltip_text = "Run `codex login` in a terminal (Codex's own OpenAI sign-in), then check again";
    grid.attach(this.reloginButton, 3, row, 1, 1);
    this.reloginButton.halign = Gtk.Align.START;

    row++;
    grid.attach(fieldLabel("Sandbox"), 0, row, 1, 1);
    this.#fillOptionCombos(SANDBOX_MODES, APPROVAL_POLICIES);
    this.sandboxCombo.tooltip_text = "Passed to the Codex CLI as --sandbox";
    grid.attach(this.sandboxCombo, 1, row, 1, 1);
    grid.attach(fieldLabel("Approval"), 2, row, 1, 1);
    this.approvalCombo.tooltip_text = "Passed to the Codex CLI as --ask-for-approval";
    grid.attach(this.approvalCombo, 3, row, 1, 1);

    row++;
    this.folderButton.set_filename(GLib.get_home_dir());
    grid.attach(fieldLabel("Project"), 0, row, 1, 1);
    grid.attach(this.folderButton, 1, row, 3, 1);

    const launches = new Gtk.Box({ spacing: 8 });
    this.launchCliButton.get_style_context().add_class("suggested-action");
    for (const b of [this.launchCliButton, this.launchDesktopButton]) launches.add(b);
    this.doctorButton.tooltip_text = "Check the selected endpoint end to end: DNS, TLS, key, model, streaming, tool calls, the proxy";
    launches.pack_end(this.doctorButton, false, false, 0);

    const page = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12 });
    page.add(grid);
    page.add(launches);

    this.#on(this.endpointCombo, "changed", () => {
      this.#fillModels();
      this.#renderLatency();
    });
    this.#on(this.sandboxCombo, "changed", () => this.#saveSessionOptions());
    this.#on(this.approvalCombo, "changed", () => this.#saveSessionOptions());
    this.#on(this.proxyButton, "clicked", () => void this.toggleProxy());
    this.#on(this.restartButton, "clicked", () => void this.restartProxy());
    this.#on(this.cleanupButton, "clicked", () => void this.killAndCleanup());
    this.#on(this.reloginButton, "clicked", () => void this.relogin());
    this.#on(this.launchCliButton, "clicked", () => void this.launch("cli"));
    this.#on(this.launchDesktopButton, "clicked", () => void this.launch("desktop"));
    this.#on(this.doctorButton, "clicked", () => this.openDoctor(false));
    return page;
  }

  /** What the app actions (and their accelerators) do in this window. */
  actionHandlers(): AppActionHandlers {
    return {
      "launch-codex": () => void this.launch("cli"),
      "toggle-proxy": () => void this.toggleProxy(),
      "restart-proxy": () => void this.restartProxy(),
      doctor: () => this.openDoctor(false),
      "doctor-all": () => this.openDoctor(true),
      endpoints: () => (this.openers.endpoints ? this.openers.endpoints() : this.#ownEndpointsWindow().present()),
      "add-endpoint": () => this.addEndpoint(),
      ...(this.openers.monitor ? { monitor: this.openers.monitor } : {}),
      "export-setup": () => this.chooseExport(),
      "import-setup": () => this.chooseImport(),
      quit: () => this.close(),
    };
  }

  /**
   * Rebuilds the endpoint list (after the endpoint or pool manager changed it): endpoints, then AI BGP
   * pools as "🔀 name"; the welcome page when there is neither.
   */
  refreshEndpoints(): void {
    const { doc, loadError } = this.ctx.endpoints;
    const pools = this.ctx.pools.doc.pools;
    const previous = this.endpointCombo.get_active_id();
    this.endpointCombo.remove_all();
    for (const e of doc.endpoints) this.endpointCombo.append(e.name, `${doc.default === e.name ? "★ " : ""}${e.name} — ${e.provider_preset}`);
    for (const p of pools) this.endpointCombo.append(LauncherWin.poolId(p.name),
      `${doc.default === p.name ? "★ " : ""}${poolLabel(p.name)} — ${p.routes.length} route${p.routes.length === 1 ? "" : "s"}, ${p.strategy}`);
    const ids = [...doc.endpoints.map((e) => e.name), ...pools.map((p) => LauncherWin.poolId(p.name))];
    const defaultId = doc.default && pools.some((p) => p.name === doc.default) && !doc.endpoints.some((e) => e.name === doc.default)
      ? LauncherWin.poolId(doc.default) : doc.default;
    const pick = previous && ids.includes(previous) ? previous : defaultId;
    if (pick) this.endpointCombo.set_active_id(pick);
    else this.#fillModels();
    this.stack.set_visible_child_name(doc.endpoints.length === 0 && pools.length === 0 ? "welcome" : "main");
    if (loadError) this.showError("Your endpoints file could not be used", loadError);
    if (this.ctx.pools.loadError) this.showError("Your AI BGP pools file could not be used", this.ctx.pools.loadError);
    this.#renderLatency();
  }

  /** The endpoint selector's id for a pool (endpoint ids are their names). */
  static poolId(name: string): string {
    return `pool:${name}`;
  }

  /** True while the welcome page (no endpoints yet) is shown. */
  get welcoming(): boolean {
    return this.stack.get_visible_child_name() === "welcome";
  }

  selectedEndpoint(): Endpoint | null {
    const target = this.selectedTarget();
    return target?.kind === "endpoint" ? target.endpoint : null;
  }

  /** The endpoint or AI BGP pool chosen in the selector. */
  selectedTarget(): LaunchTarget | null {
    const id = this.endpointCombo.get_active_id();
    if (!id) return null;
    if (id.startsWith("pool:")) {
      const pool = this.ctx.pools.find(id.slice("pool:".length));
      return pool ? { kind: "pool", pool } : null;
    }
    const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === id);
    return endpoint ? { kind: "endpoint", endpoint } : null;
  }

  #fillModels(): void {
    const target = this.selectedTarget();
    this.modelCombo.remove_all();
    if (target) {
      const endpoints = this.ctx.endpoints.doc.endpoints;
      const models = targetModels(target, endpoints);
      for (const m of models) this.modelCombo.append(m, m);
      const preferred = preferredTargetModel(target, endpoints);
      if (preferred && !models.includes(preferred)) this.modelCombo.append(preferred, preferred);
      if (preferred) this.modelCombo.set_active_id(preferred);
      // A pool's routes each send their own model: this one is only the name Codex is told.
      this.modelCombo.set_tooltip_text(target.kind === "pool" ? "Each route sends its own model; this is the model name Codex is told" : null);
    }
    this.#updateButtons();
  }

  /** The selectors' entries: the modes and policies the installed Codex accepts. */
  #fillOptionCombos(sandbox: readonly SandboxMode[], approval: readonly ApprovalPolicy[]): void {
    this.#loadingOptions = true;
    this.sandboxCombo.remove_all();
    for (const mode of sandbox) this.sandboxCombo.append(mode, SANDBOX_LABELS[mode]);
    this.approvalCombo.remove_all();
    for (const policy of approval) this.approvalCombo.append(policy, APPROVAL_LABELS[policy]);
    this.#loadingOptions = false;
  }

  #loadSessionOptions(): void {
    const options = this.ctx.endpoints.sessionOptions;
    this.#loadingOptions = true;
    // A saved choice this Codex does not accept falls back to Codex's default (never an invalid flag).
    if (!this.sandboxCombo.set_active_id(options.sandbox)) this.sandboxCombo.set_active_id(DEFAULT_SESSION_OPTIONS.sandbox);
    if (!this.approvalCombo.set_active_id(options.approval)) {
      this.approvalCombo.set_active_id(DEFAULT_SESSION_OPTIONS.approval);
      if (this.#flagsChecked) this.log(`this Codex does not accept --ask-for-approval ${options.approval}; the next launch uses ${this.approvalCombo.get_active_id()}`);
    }
    this.#loadingOptions = false;
  }

  /** True once the selectors were matched to the installed Codex's `--help`. */
  get codexFlagsChecked(): boolean {
    return this.#flagsChecked;
  }

  /** The ids a combo offers, in order. */
  static comboIds(combo: Gtk.ComboBoxText): string[] {
    const ids: string[] = [];
    const model = combo.get_model();
    const [ok, iter] = model.get_iter_first();
    if (!ok) return ids;
    do ids.push(model.get_value(iter, combo.get_id_column()) as unknown as string);
    while (model.iter_next(iter));
    return ids;
  }

  /** Offers only what `codex --help` of the installed Codex lists. */
  async #checkCodexFlags(codexPath: string): Promise<void> {
    const accepted = await codexFlagsAccepted(codexPath, this.ctx.paths.codexHome).catch(() => ({ sandbox: null, approval: null }));
    if (this.#destroyed) return;
    this.#flagsChecked = true;
    const approval = accepted.approval ?? APPROVAL_POLICIES;
    const dropped = APPROVAL_POLICIES.filter((p) => !approval.includes(p));
    this.#fillOptionCombos(accepted.sandbox ?? SANDBOX_MODES, approval);
    this.#loadSessionOptions();
    if (dropped.length) this.approvalCombo.tooltip_text = `Passed to the Codex CLI as --ask-for-approval (this Codex does not accept ${dropped.join(", ")})`;
  }

  /** The sandbox and approval the next Codex CLI gets. */
  sessionOptions(): SessionOptions {
    return { sandbox: (this.sandboxCombo.get_active_id() ?? "workspace-write") as SandboxMode,
      approval: (this.approvalCombo.get_active_id() ?? "on-request") as ApprovalPolicy };
  }

  #saveSessionOptions(): void {
    if (this.#loadingOptions) return;
    try {
      this.ctx.endpoints.saveSessionOptions(this.sessionOptions());
    } catch (e) {
      this.showError("Could not save the sandbox and approval choice", e);
    }
  }

  #updateButtons(): void {
    if (this.#attachedTo) {
      this.#renderAttached();
      return;
    }
    const hasEndpoint = this.selectedTarget() !== null && !!this.modelCombo.get_active_id();
    const running = this.ctx.supervisor.running;
    this.proxyButton.sensitive = !this.#busy && (running || hasEndpoint);
    this.proxyButton.tooltip_text = "";
    this.restartButton.sensitive = !this.#busy && running;
    this.cleanupButton.sensitive = !this.#busy;
    this.launchCliButton.sensitive = !this.#busy && hasEndpoint && this.session.codexPath !== null;
    this.launchCliButton.tooltip_text = this.session.codexPath ? "Start the proxy if needed, point Codex at it and open Codex in a terminal"
      : "The Codex CLI was not found on PATH (npm install -g @openai/codex)";
    const desktop = findCodexDesktop();
    this.launchDesktopButton.sensitive = !this.#busy && hasEndpoint && desktop !== null;
    this.launchDesktopButton.tooltip_text = desktop ? `Start ${desktop} against the proxy` : "Codex Desktop is not installed (looked for /opt/codex-desktop/start.sh and codex-desktop)";
    // The Doctor checks endpoints (a pool's routes are its endpoints: Doctor All).
    this.doctorButton.sensitive = hasEndpoint && this.selectedEndpoint() !== null;
    this.reloginButton.sensitive = this.session.codexPath !== null;
  }

  #renderProxy(health?: { uptime_s: number; requests_total: number; memory_mb: number | null } | null): void {
    if (this.#destroyed) return;
    if (this.#attachedTo) {
      this.#renderAttached();
      return;
    }
    const s = this.ctx.supervisor;
    this.proxyButton.label = s.running ? "Stop Proxy" : "Start Proxy";
    let text: string;
    let dot = "○";
    let state: "ok" | "warn" | "bad" | null = null;
    switch (s.state) {
      case "running":
        dot = "●";
        state = health === null ? "bad" : "ok";
        text = `running on 127.0.0.1:${s.port} · ${s.spec?.pool ? "AI BGP pool " : ""}${s.spec?.endpointName ?? ""} / ${s.spec?.model ?? ""}`;
        if (health) text += ` · healthy · up ${formatUptime(health.uptime_s)} · ${health.requests_total} requests${health.memory_mb ? ` · ${Math.round(health.memory_mb)} MB` : ""}`;
        else if (health === null) text += " · not answering /health";
        break;
      case "starting":
        dot = "◌";
        text = "starting…";
        break;
      case "stopping":
        dot = "◌";
        text = "stopping…";
        break;
      case "down":
        dot = "●";
        state = "bad";
        text = `down (${s.lastExit ? (s.lastExit.code !== null ? `exited with code ${s.lastExit.code}` : `killed by signal ${s.lastExit.signal}`) : "not answering"}); restarting…`;
        break;
      case "restarting":
        dot = "◌";
        state = "warn";
        text = "restarting (live streams finish first)…";
        break;
      default:
        text = "stopped";
    }
    this.proxyStatus.set_text(text);
    setStatus(this.proxyDot, dot, state);
    this.#updateButtons();
  }

  #renderLatency(): void {
    if (this.#destroyed) return;
    const name = this.endpointCombo.get_active_id();
    const badge = latencyBadge(name ? this.ctx.latency.latest(name) : null, Date.now());
    this.latencyLabel.set_text(badge.text);
    this.latencyLabel.tooltip_text = badge.tooltip;
    setStateClass(this.latencyLabel, LATENCY_CLASSES, `latency-${badge.level ?? "none"}`);
  }

  /** The badge's level class now (latency-good / -fair / -poor / -none), for the specs. */
  latencyLevel(): string {
    return LATENCY_CLASSES.find((c) => this.latencyLabel.get_style_context().has_class(c)) ?? "";
  }

  async #pollHealth(): Promise<void> {
    if (this.#destroyed) return;
    this.#renderLatency();
    if (this.#attachedTo) {
      this.#renderAttached();
      return;
    }
    const s = this.ctx.supervisor;
    if (s.state !== "running") return;
    const health = await s.health(1500);
    this.#renderProxy(health);
    // Real traffic: the proxy's median time to first byte, whenever new requests came through.
    const traffic = await s.trafficLatency();
    if (traffic && s.spec && traffic.samples !== this.#trafficSamples) {
      this.#trafficSamples = traffic.samples;
      this.ctx.latency.record(s.spec.endpointName, { ms: traffic.ttfbMs, source: "traffic", at: Date.now() });
    }
  }

  /**
   * Another launcher owns the proxy: this window shows it and can launch Codex against it, but never
   * starts, stops, restarts or cleans it up (null when this window's launcher owns it again).
   */
  setAttached(owner: OwnerInfo | null): void {
    this.#attachedTo = owner;
    if (owner) {
      this.log(`the proxy is run by another Codex Launcher (${owner.kind === "headless" ? "codex-launcher --headless" : "another window"}, pid ${owner.identity.pid}): this window uses it and leaves it alone`);
      this.#renderAttached();
    } else this.#renderProxy();
  }

  get attached(): boolean {
    return this.#attachedTo !== null;
  }

  #renderAttached(): void {
    const owner = this.#attachedTo;
    if (!owner || this.#destroyed) return;
    const port = this.session.stickyPort();
    this.proxyStatus.set_text(`run by ${owner.kind === "headless" ? "codex-launcher --headless" : "another window"} (pid ${owner.identity.pid})${port ? ` on 127.0.0.1:${port}` : ""}`);
    setStatus(this.proxyDot, "●", "ok");
    this.proxyButton.label = "Start Proxy";
    const hands = "Another Codex Launcher runs the proxy; stop, restart or clean it up there";
    for (const b of [this.proxyButton, this.restartButton, this.cleanupButton]) {
      b.sensitive = false;
      b.tooltip_text = hands;
    }
    this.launchCliButton.sensitive = !this.#busy && this.session.codexPath !== null;
  }

  /** Runs one user action at a time; its failure shows in the error bar (`title`: what failed). */
  async #withBusy<T>(title: string, work: () => Promise<T>): Promise<T | null> {
    if (this.#busy) return null;
    this.#busy = true;
    this.#updateButtons();
    try {
      const result = await work();
      this.errorBar.clear();
      return result;
    } catch (e) {
      this.showError(title, e);
      return null;
    } finally {
      this.#busy = false;
      if (!this.#destroyed) this.#updateButtons();
    }
  }

  /**
   * Announces an automatic action with a 3-second Cancel. Resolves true when it may go ahead (or stay
   * done, for an undoable action), false when the user cancelled.
   */
  announce(text: string, undoable: boolean, seconds = 3): Promise<boolean> {
    if (this.#destroyed) return Promise.resolve(true);
    this.log(`[AI Monitor] ${text}`);
    return new Promise((resolve) => {
      let left = seconds;
      const render = () => this.noticeLabel.set_text(undoable ? `AI Monitor: ${text} Done — Cancel within ${left} s to undo.`
        : `AI Monitor: ${text} Running in ${left} s — Cancel to stop it.`);
      render();
      this.noticeBar.show();
      let timer = 0;
      const finish = (go: boolean) => {
        if (timer) GLib.source_remove(timer);
        timer = 0;
        this.noticeCancel.disconnect(handler);
        if (!this.#destroyed) this.noticeBar.hide();
        resolve(go);
      };
      const handler = this.noticeCancel.connect("clicked", () => finish(false));
      timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1000, () => {
        left--;
        if (left <= 0) {
          timer = 0;
          finish(true);
          return GLib.SOURCE_REMOVE;
        }
        render();
        return GLib.SOURCE_CONTINUE;
      });
    });
  }

  #refuseAttached(what: string): void {
    if (this.#attachedTo) throw new Error(`another Codex Launcher runs the proxy; this window does not ${what}`);
  }

  /** Starts (or restarts, when the selection changed) the proxy for the selected endpoint and model. */
  async startProxy(): Promise<number | null> {
    return this.#withBusy("Could not start the proxy", () => this.#ensureProxy());
  }

  async #ensureProxy(): Promise<number> {
    const target = this.selectedTarget();
    const model = this.modelCombo.get_active_id();
    if (!target || !model) throw new Error("choose an endpoint and a model first");
    this.#refuseAttached("start or stop it");
    const port = await this.session.ensureProxy(target, model);
    this.log(`proxy healthy on http://127.0.0.1:${port}`);
    return port;
  }

  async stopProxy(): Promise<void> {
    await this.#withBusy("Could not stop the proxy", async () => {
      this.#refuseAttached("start or stop it");
      await this.ctx.supervisor.stop();
      this.log("proxy stopped");
    });
  }

  toggleProxy(): Promise<unknown> {
    return this.ctx.supervisor.running ? this.stopProxy() : this.startProxy();
  }

  async restartProxy(): Promise<number | null> {
    return this.#withBusy("Could not restart the proxy", async () => {
      this.#refuseAttached("restart it");
      return this.session.restartProxy();
    });
  }

  /** Stops this launcher's proxy and every other one this app registered (never Codex); returns the report. */
  async killAndCleanup(): Promise<string[] | null> {
    return this.#withBusy("Kill & Cleanup failed", async () => {
      this.#refuseAttached("clean it up");
      const report = await this.session.killAndCleanup();
      for (const line of report) this.log(`Kill & Cleanup: ${line}`);
      return report;
    });
  }

  /** Starts the proxy if needed and writes Codex's profile for it: everything Codex needs before it starts. */
  async prepareCodex(): Promise<ProfileWrite | null> {
    return this.#withBusy("Could not prepare Codex", () => this.#prepare());
  }

  async #prepare(): Promise<ProfileWrite | null> {
    // Attached: the owner already wrote the profile for its proxy.
    if (this.#attachedTo) return null;
    const port = await this.#ensureProxy();
    const target = this.selectedTarget()!;
    const model = this.modelCombo.get_active_id()!;
    const written = await this.session.writeProfile(port, model, targetName(target), targetModels(target, this.ctx.endpoints.doc.endpoints));
    this.log(`wrote ${written.path}${written.catalogPath ? `; model catalog ${written.catalogPath}` : ""}; in other terminals: ${this.session.codexCommand}`);
    return written;
  }

  /** Starts the proxy if needed, writes Codex's profile for it, then opens Codex. */
  async launch(kind: "cli" | "desktop"): Promise<boolean> {
    const done = await this.#withBusy(kind === "cli" ? "Could not launch the Codex CLI" : "Could not launch Codex Desktop", async () => {
      await this.#prepare();
      const workdir = this.folderButton.get_filename() ?? GLib.get_home_dir();
      let sessionId: string;
      if (kind === "cli") {
        const codexPath = this.session.codexPath;
        if (!codexPath) throw new Error("the Codex CLI was not found on PATH");
        const options = this.sessionOptions();
        const launched = await launchCodexCli(codexPath, workdir, this.ctx.paths.codexHome, (l) => this.log(l), options);
        sessionId = launched.sessionId;
        this.log(`Codex CLI opened in ${launched.argv[0]} (folder ${workdir}; --sandbox ${options.sandbox} --ask-for-approval ${options.approval})`);
      } else {
        const desktop = findCodexDesktop();
        if (!desktop) throw new Error("Codex Desktop is not installed");
        sessionId = launchCodexDesktop(desktop, this.ctx.paths.codexHome).sessionId;
        this.log(`Codex Desktop started (${desktop})`);
      }
      this.launchedSessions.push(sessionId);
      this.onCodexLaunched?.(sessionId);
      return true;
    });
    return done === true;
  }

  /** Resolves once the Codex CLI probe has run (tests wait for it). */
  get codexPath(): string | null {
    return this.session.codexPath;
  }

  async #reportCodex(): Promise<void> {
    this.codexProbed = true;
    if (!this.session.codexPath) {
      this.log("Codex CLI: not found on PATH (install it with: npm install -g @openai/codex)");
      this.welcomeCodex.set_text("The Codex CLI is not installed yet: npm install -g @openai/codex");
      this.#renderLogin();
    } else {
      const codex = await probeProgram(this.session.codexPath);
      this.log(codex.version ? `Codex CLI: ${codex.version} (${this.session.codexPath})` : `Codex CLI: found at ${this.session.codexPath} but --version failed: ${codex.error}`);
      if (!this.#destroyed) this.welcomeCodex.set_text(codex.version ? `Codex CLI ${codex.version.replace(/^codex-cli /, "")} found.` : "Codex CLI found.");
    }
    const desktop = findCodexDesktop();
    this.log(desktop ? `Codex Desktop: ${desktop}` : "Codex Desktop: not installed");
    if (!this.#destroyed) this.#updateButtons();
    if (this.session.codexPath) {
      await this.#checkCodexFlags(this.session.codexPath);
      void this.checkCodexLogin();
    }
  }

  /** Asks `codex login status` and shows the answer. */
  async checkCodexLogin(): Promise<CodexLogin | null> {
    const codexPath = this.session.codexPath;
    if (!codexPath) return null;
    try {
      this.codexLogin = await codexLoginStatus(codexPath, this.ctx.paths.codexHome);
    } catch (e) {
      this.codexLogin = { state: "unknown", text: `codex login status failed: ${(e as Error).message}` };
    }
    this.#renderLogin();
    return this.codexLogin;
  }

  #renderLogin(): void {
    if (this.#destroyed) return;
    const line = loginLine(this.codexLogin, this.session.codexPath !== null);
    setStatus(this.loginStatus, line.text, line.ok === true ? "ok" : line.ok === false ? "warn" : null);
  }

  /** Re-login: `codex login` in a terminal; the status is checked again once that Codex exits. */
  async relogin(): Promise<string | null> {
    const codexPath = this.session.codexPath;
    if (!codexPath) {
      this.showError("Cannot log in to Codex", "the Codex CLI was not found on PATH");
      return null;
    }
    try {
      const launched = await launchCodexLogin(codexPath, this.ctx.paths.codexHome, (l) => this.log(l));
      this.log(`codex login opened in ${launched.argv[0]}; the status is checked again when it finishes`);
      this.#watchLogin(launched.sessionId);
      return launched.sessionId;
    } catch (e) {
      this.showError("Could not open codex login", e);
      return null;
    }
  }

  #watchLogin(sessionId: string): void {
    if (this.#loginTimer) GLib.source_remove(this.#loginTimer);
    let seen = false;
    let ticks = 0;
    this.#loginTimer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1000, () => {
      ticks++;
      const alive = codexSessionPids(sessionId).length > 0;
      seen ||= alive;
      // Done once the login's Codex exited (or never showed up within 10 s); given up after 10 minutes.
      if ((seen && !alive) || (!seen && ticks > 10) || ticks > 600) {
        this.#loginTimer = 0;
        void this.checkCodexLogin();
        return GLib.SOURCE_REMOVE;
      }
      return GLib.SOURCE_CONTINUE;
    });
  }

  /** Manage Endpoints with the Add dialog, on `preset` when given (the welcome page's buttons). */
  addEndpoint(preset?: string): void {
    if (this.openers.addEndpoint) {
      this.openers.addEndpoint(preset);
      return;
    }
    const manager = this.#ownEndpointsWindow();
    manager.present();
    manager.openDialog(undefined, preset && findPreset(preset) ? preset : undefined);
  }

  /** Manage Endpoints when no application opener is given (specs build the window alone). */
  #ownEndpointsWindow(): EndpointsWindow {
    if (this.#endpointsWindow) return this.#endpointsWindow;
    const manager = new EndpointsWindow(this, this.ctx);
    this.#on(manager, "changed", () => this.refreshEndpoints());
    this.#on(manager, "destroy", () => (this.#endpointsWindow = null));
    this.#endpointsWindow = manager;
    return manager;
  }

  /** The endpoint manager this window opened itself, if any. */
  get endpointsWindow(): EndpointsWindow | null {
    return this.#endpointsWindow;
  }

  /** The Doctor for the selected endpoint and model, or for every endpoint (`all`); it starts at once. */
  openDoctor(all: boolean): DoctorWindow | null {
    const selected = this.selectedEndpoint();
    const endpoints = all ? this.ctx.endpoints.doc.endpoints : selected ? [selected] : [];
    if (endpoints.length === 0) {
      this.showError("Nothing for the Doctor to check", "add an endpoint first");
      return null;
    }
    const model = this.modelCombo.get_active_id();
    const doctor = new DoctorWindow(this, this.ctx, endpoints, selected && model ? { [selected.name]: model } : {});
    this.doctor = doctor;
    this.#on(doctor, "destroy", () => {
      if (this.doctor === doctor) this.doctor = null;
    });
    void doctor.run();
    return doctor;
  }

  /** Writes the setup to `path` (the export dialog calls this). */
  async exportSetup(path: string, includeKeys: boolean): Promise<ExportResult | null> {
    return this.errorBar.guard("Could not export the setup", () => exportSetup(this.ctx, path, includeKeys));
  }

  /** Export Setup…: where to, and whether keys go too (with the warning). */
  chooseExport(): Gtk.FileChooserDialog {
    const chooser = new Gtk.FileChooserDialog({ title: "Export Setup", transient_for: this, modal: true, action: Gtk.FileChooserAction.SAVE,
      do_overwrite_confirmation: true });
    chooser.add_button("Cancel", Gtk.ResponseType.CANCEL);
    chooser.add_button("Export", Gtk.ResponseType.ACCEPT);
    chooser.set_current_name(`codex-launcher-setup-${new Date().toISOString().slice(0, 10)}.json`);
    const extra = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 4 });
    const includeKeys = new Gtk.CheckButton({ label: "Include API keys" });
    const warning = new Gtk.Label({ xalign: 0, wrap: true, no_show_all: true,
      label: "⚠ The keys are written in clear text. Anyone with this file can use your providers at your expense: keep it private and delete it after use." });
    warning.get_style_context().add_class("status-warn");
    includeKeys.connect("toggled", () => (warning.visible = includeKeys.get_active()));
    extra.add(includeKeys);
    extra.add(warning);
    extra.show_all();
    chooser.set_extra_widget(extra);
    chooser.connect("response", (_c, response: number) => {
      const file = chooser.get_filename();
      const keys = includeKeys.get_active();
      chooser.destroy();
      if (response === Gtk.ResponseType.ACCEPT && file)
        void this.exportSetup(file, keys).then((r) => r && this.log(`exported ${r.endpoints} endpoint(s) to ${r.path}${keys ? " with their keys" : ""}`));
    });
    chooser.show();
    return chooser;
  }

  /** Import Setup…: a setup file, checked, then a confirmation that says what it adds and replaces. */
  chooseImport(): Gtk.FileChooserDialog {
    const chooser = new Gtk.FileChooserDialog({ title: "Import Setup", transient_for: this, modal: true, action: Gtk.FileChooserAction.OPEN });
    chooser.add_button("Cancel", Gtk.ResponseType.CANCEL);
    chooser.add_button("Import…", Gtk.ResponseType.ACCEPT);
    const filter = new Gtk.FileFilter();
    filter.set_name("Codex Launcher setup (*.json)");
    filter.add_pattern("*.json");
    chooser.add_filter(filter);
    chooser.connect("response", (_c, response: number) => {
      const file = chooser.get_filename();
      chooser.destroy();
      if (response === Gtk.ResponseType.ACCEPT && file) void this.importSetup(file);
    });
    chooser.show();
    return chooser;
  }

  /**
   * Validates `path`, asks for confirmation (what is added, replaced and kept aside), then imports.
   * Resolves with what was done, or null when refused, cancelled or failed (the error bar says why).
   */
  async importSetup(path: string): Promise<ImportResult | null> {
    let plan;
    try {
      plan = planImport(this.ctx, path);
    } catch (e) {
      this.showError("This setup file cannot be imported", e);
      return null;
    }
    const confirm = new Gtk.MessageDialog({ transient_for: this, modal: true, message_type: Gtk.MessageType.QUESTION, buttons: Gtk.ButtonsType.NONE,
      text: `Import ${plan.bundle.endpoints.endpoints.length} endpoint(s) from ${GLib.path_get_basename(path)}?`,
      secondary_text: `The import ${plan.summary}. What it replaces is kept aside (a dated copy of endpoints.json, and replaced keys under a dated name).` });
    confirm.add_button("Cancel", Gtk.ResponseType.CANCEL);
    confirm.add_button("Import", Gtk.ResponseType.ACCEPT);
    this.importConfirm = confirm;
    const answer = await new Promise<number>((resolve) => {
      confirm.connect("response", (_d, response: number) => {
        confirm.destroy();
        this.importConfirm = null;
        resolve(response);
      });
      confirm.show_all();
    });
    if (answer !== Gtk.ResponseType.ACCEPT) return null;
    const result = await this.errorBar.guard("The import failed", () => importSetup(this.ctx, plan));
    if (result) {
      this.errorBar.clear();
      this.#loadSessionOptions();
      this.refreshEndpoints();
      this.#endpointsWindow?.refresh();
      this.onSetupImported?.();
    }
    return result;
  }

  /**
   * Closing: a proxy this window's launcher does not own is never touched. With a Codex launched from
   * here still running, the user chooses (keep the proxy running — the default —, stop both, cancel);
   * otherwise the proxy stops unless "Keep the proxy running" is ticked. A kept proxy goes on serving
   * and is adopted by the next launcher.
   */
  #onClose(): boolean {
    if (this.#closing) return false;
    if (this.#attachedTo || !this.ctx.supervisor.running) return false;
    void this.#closeFlow().catch((e) => {
      this.log(`Error while closing: ${(e as Error).message}`);
      this.#closing = true;
      this.destroy();
    });
    return true; // the window closes once the choice is carried out
  }

  /** True while a Codex launched from this window is still running. */
  codexRunning(): boolean {
    return this.launchedSessions.some((id) => codexSessionPids(id).length > 0);
  }

  async #closeFlow(): Promise<void> {
    let choice: CloseChoice | "stop";
    if (this.codexRunning()) choice = await (this.askOnClose ?? (() => this.#askCloseDialog()))();
    else choice = this.keepRunning.get_active() ? "keep" : "stop";
    if (choice === "cancel") return;
    if (choice === "keep") {
      await this.ctx.supervisor.release();
      this.log(`the proxy keeps running on port ${this.ctx.supervisor.port || this.session.stickyPort()}; the next Codex Launcher adopts it`);
    } else {
      if (choice === "stop-both")
        for (const id of this.launchedSessions) this.log(`stopped Codex (${await stopCodexSession(id)} process(es))`);
      this.log("stopping the proxy before closing");
      await this.ctx.supervisor.stop();
    }
    this.#closing = true;
    this.destroy();
  }

  #askCloseDialog(): Promise<CloseChoice> {
    return new Promise((resolve) => {
      const dialog = new Gtk.MessageDialog({ transient_for: this, modal: true, message_type: Gtk.MessageType.QUESTION, buttons: Gtk.ButtonsType.NONE,
        text: "Codex is still running", secondary_text: "It uses the proxy. Keep the proxy running for it (the next Codex Launcher takes it over), or stop Codex and the proxy?" });
      dialog.add_button("Cancel", Gtk.ResponseType.CANCEL);
      dialog.add_button("Stop Codex and the proxy", 2);
      dialog.add_button("Keep the proxy running", 1);
      dialog.set_default_response(1);
      this.closeDialog = dialog;
      dialog.connect("response", (_d, response: number) => {
        this.closeDialog = null;
        dialog.destroy();
        resolve(response === 1 ? "keep" : response === 2 ? "stop-both" : "cancel");
      });
      dialog.show_all();
    });
  }

  /** Connects a handler that teardown disconnects. */
  #on(target: GObject.Object, signal: string, handler: (...args: any[]) => unknown): number {
    const id = target.connect(signal, handler);
    this.#handlers.push([target, id]);
    // A window opened from here may go first: its handlers go with it (a disposed object cannot be asked).
    if (target instanceof Gtk.Window && !this.#handlers.some(([t], i) => t === target && i < this.#handlers.length - 1))
      target.connect("destroy", () => (this.#handlers = this.#handlers.filter(([t]) => t !== target)));
    return id;
  }

  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    // Left connected, gjs 1.74 releases these closures a second time when it finalizes widgets GTK
    // already destroyed (a flood of g_closure_unref criticals).
    for (const [target, id] of this.#handlers.splice(0))
      if (GObject.signal_handler_is_connected(target, id)) target.disconnect(id);
    if (this.#statusTimer) GLib.source_remove(this.#statusTimer);
    this.#statusTimer = 0;
    if (this.#loginTimer) GLib.source_remove(this.#loginTimer);
    this.#loginTimer = 0;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const id of this.#selfHandlers) this.disconnect(id);
    this.#selfHandlers = [];
    this.#endpointsWindow?.destroy();
    this.doctor?.destroy();
  }
}
