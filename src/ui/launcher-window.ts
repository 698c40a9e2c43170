// LauncherWin: the main window. It renders state and forwards user intent; files, HTTP and processes
// are the launcher services' business (src/launcher).
import GObject from "gi://GObject";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { probeProgram, runtimeVersions } from "../lib/dependencies.js";
import { poolLabel } from "../lib/bgp-pools.js";
import type { Endpoint } from "../lib/endpoints.js";
import { APP_NAME, APP_VERSION } from "../lib/version.js";
import type { AppContext } from "../launcher/app-context.js";
import { codexSessionPids, findCodexDesktop, launchCodexCli, launchCodexDesktop, stopCodexSession, type ProfileWrite } from "../launcher/codex-session.js";
import type { OwnerInfo } from "../launcher/ownership.js";
import { LauncherSession, preferredTargetModel, targetModels, targetName, type LaunchTarget } from "../launcher/session.js";

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

/** Opens the window behind a header button (a window built without one leaves that button off). */
export type WindowOpeners = Partial<Record<HeaderAction["id"], () => void>>;

function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export class LauncherWin extends Gtk.ApplicationWindow {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherWin" }, this);
  }

  declare readonly endpointCombo: Gtk.ComboBoxText;
  declare readonly modelCombo: Gtk.ComboBoxText;
  declare readonly proxyButton: Gtk.Button;
  declare readonly proxyStatus: Gtk.Label;
  declare readonly keepRunning: Gtk.CheckButton;
  declare readonly folderButton: Gtk.FileChooserButton;
  declare readonly launchCliButton: Gtk.Button;
  declare readonly launchDesktopButton: Gtk.Button;
  declare readonly banner: Gtk.Label;
  declare readonly noticeBar: Gtk.InfoBar;
  declare readonly noticeLabel: Gtk.Label;
  declare readonly noticeCancel: Gtk.Button;
  declare private logBuffer: Gtk.TextBuffer;
  declare private logView: Gtk.TextView;
  /** Async work (probes, process events) may finish after the window is gone. */
  #destroyed = false;
  #busy = false;
  #closing = false;
  #statusTimer = 0;
  #unsubscribe: (() => void)[] = [];
  #selfHandlers: number[] = [];
  /** True once the Codex CLI was looked for. */
  codexProbed = false;
  /** Lets the watchdog follow the Codex process it should watch. */
  onCodexLaunched: ((sessionId: string) => void) | null = null;
  /** The Codex sessions launched from this window (their processes are found by session id). */
  readonly launchedSessions: string[] = [];
  /** Asks what to do when the window closes while Codex runs (by default the dialog below). */
  askOnClose: (() => Promise<CloseChoice>) | null = null;
  /** The close question while it is shown. */
  closeDialog: Gtk.MessageDialog | null = null;
  /** Set while another launcher (--headless, or a window of an older run) owns the proxy: this window only looks. */
  #attachedTo: OwnerInfo | null = null;
  readonly session: LauncherSession;

  constructor(application: Gtk.Application, private readonly ctx: AppContext, openers: WindowOpeners = {}, session?: LauncherSession) {
    super({ application, title: APP_NAME, default_width: 960, default_height: 640 });
    this.session = session ?? new LauncherSession(ctx);
    this.set_titlebar(this.#buildHeaderBar(openers));
    this.add(this.#buildBody());
    // Our own handlers are disconnected in teardown: left connected, gjs 1.74 releases their closures
    // a second time when it finalizes a window GTK already destroyed (g_closure_unref criticals).
    this.#selfHandlers = [this.connect("destroy", () => this.#teardown()), this.connect("delete-event", () => this.#onClose())];
    this.show_all();
    this.log(`${APP_NAME} v${APP_VERSION} started`);
    this.log(`Runtime: ${runtimeVersions()}`);
    for (const line of ctx.log.lines) this.log(line);
    this.#unsubscribe.push(ctx.log.subscribe((line) => this.log(line)));
    this.#unsubscribe.push(ctx.supervisor.onChange(() => this.#renderProxy()));
    this.refreshEndpoints();
    this.#renderProxy();
    this.#statusTimer = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 2, () => {
      void this.#pollHealth();
      return GLib.SOURCE_CONTINUE;
    });
    void this.#reportCodex();
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

  #buildHeaderBar(openers: WindowOpeners): Gtk.HeaderBar {
    const bar = new Gtk.HeaderBar({ show_close_button: true, title: APP_NAME, subtitle: `v${APP_VERSION}` });
    // pack_end stacks from the right, so pack in reverse to keep the original left-to-right order.
    for (const action of [...HEADER_ACTIONS].reverse()) {
      const button = new Gtk.Button({ label: action.label, name: `header-${action.id}` });
      const open = openers[action.id];
      button.tooltip_text = `Open ${action.opens}`;
      if (open) button.connect("clicked", () => open());
      else button.sensitive = false;
      bar.pack_end(button);
    }
    return bar;
  }

  #buildBody(): Gtk.Widget {
    const self = this as unknown as Record<string, unknown>;
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 10, margin: 14 });
    const banner = new Gtk.Label({ xalign: 0, wrap: true, use_markup: true, no_show_all: true });
    box.add(banner);
    // AI Monitor notices: every automatic action shows here with a 3-second Cancel.
    const noticeBar = new Gtk.InfoBar({ message_type: Gtk.MessageType.WARNING, no_show_all: true });
    const noticeLabel = new Gtk.Label({ xalign: 0, wrap: true, hexpand: true });
    const noticeCancel = new Gtk.Button({ label: "Cancel" });
    (noticeBar.get_content_area() as Gtk.Box).add(noticeLabel);
    (noticeBar.get_action_area() as Gtk.Box).add(noticeCancel);
    noticeLabel.show();
    noticeCancel.show();
    box.add(noticeBar);

    const grid = new Gtk.Grid({ row_spacing: 8, column_spacing: 10 });
    const endpointCombo = new Gtk.ComboBoxText({ hexpand: true });
    const modelCombo = new Gtk.ComboBoxText({ hexpand: true });
    grid.attach(new Gtk.Label({ label: "Endpoint", xalign: 1 }), 0, 0, 1, 1);
    grid.attach(endpointCombo, 1, 0, 1, 1);
    grid.attach(new Gtk.Label({ label: "Model", xalign: 1 }), 2, 0, 1, 1);
    grid.attach(modelCombo, 3, 0, 1, 1);

    const proxyStatus = new Gtk.Label({ xalign: 0, use_markup: true, hexpand: true, selectable: true });
    const proxyButton = new Gtk.Button({ label: "Start Proxy" });
    const keepRunning = new Gtk.CheckButton({ label: "Keep the proxy running when this window closes" });
    grid.attach(new Gtk.Label({ label: "Proxy", xalign: 1 }), 0, 1, 1, 1);
    grid.attach(proxyStatus, 1, 1, 2, 1);
    grid.attach(proxyButton, 3, 1, 1, 1);
    grid.attach(keepRunning, 1, 2, 3, 1);

    const folderButton = new Gtk.FileChooserButton({ action: Gtk.FileChooserAction.SELECT_FOLDER, title: "Project folder for Codex" });
    folderButton.set_filename(GLib.get_home_dir());
    grid.attach(new Gtk.Label({ label: "Project", xalign: 1 }), 0, 3, 1, 1);
    grid.attach(folderButton, 1, 3, 3, 1);
    box.add(grid);

    const launches = new Gtk.Box({ spacing: 8 });
    const launchCliButton = new Gtk.Button({ label: "Launch Codex CLI" });
    const launchDesktopButton = new Gtk.Button({ label: "Launch Codex Desktop" });
    launchCliButton.get_style_context().add_class("suggested-action");
    launches.add(launchCliButton);
    launches.add(launchDesktopButton);
    box.add(launches);

    box.add(new Gtk.Label({ label: "<b>Log</b>", use_markup: true, xalign: 0 }));
    this.logBuffer = new Gtk.TextBuffer();
    this.logView = new Gtk.TextView({ buffer: this.logBuffer, editable: false, cursor_visible: false, monospace: true, wrap_mode: Gtk.WrapMode.WORD_CHAR });
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, hexpand: true, shadow_type: Gtk.ShadowType.IN });
    scroller.add(this.logView);
    box.add(scroller);

    Object.assign(self, { endpointCombo, modelCombo, proxyButton, proxyStatus, keepRunning, folderButton, launchCliButton, launchDesktopButton, banner,
      noticeBar, noticeLabel, noticeCancel });
    endpointCombo.connect("changed", () => this.#fillModels());
    proxyButton.connect("clicked", () => void (this.ctx.supervisor.running ? this.stopProxy() : this.startProxy()));
    launchCliButton.connect("clicked", () => void this.launch("cli"));
    launchDesktopButton.connect("clicked", () => void this.launch("desktop"));
    return box;
  }

  /** Rebuilds the endpoint list (after the endpoint or pool manager changed it): endpoints, then pools as "🔀 name". */
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
    const messages: string[] = [];
    for (const error of [loadError, this.ctx.pools.loadError]) if (error) messages.push(`<span foreground="#c01c28">${GLib.markup_escape_text(error, -1)}</span>`);
    if (doc.endpoints.length === 0 && pools.length === 0) messages.push("No endpoints yet: open <b>Manage Endpoints</b> and add one from a provider preset.");
    this.#setBanner(messages.join("\n"));
  }

  /** The endpoint selector's id for a pool (endpoint ids are their names). */
  static poolId(name: string): string {
    return `pool:${name}`;
  }

  #setBanner(markup: string): void {
    this.banner.set_markup(markup);
    this.banner.set_visible(markup !== "");
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
    if (!target) return;
    const endpoints = this.ctx.endpoints.doc.endpoints;
    const models = targetModels(target, endpoints);
    for (const m of models) this.modelCombo.append(m, m);
    const preferred = preferredTargetModel(target, endpoints);
    if (preferred && !models.includes(preferred)) this.modelCombo.append(preferred, preferred);
    if (preferred) this.modelCombo.set_active_id(preferred);
    // A pool's routes each send their own model: this one is only the name Codex is told.
    this.modelCombo.set_tooltip_text(target.kind === "pool" ? "Each route sends its own model; this is the model name Codex is told" : null);
    this.#updateButtons();
  }

  #updateButtons(): void {
    if (this.#attachedTo) {
      this.#renderAttached();
      return;
    }
    const hasEndpoint = this.selectedTarget() !== null && !!this.modelCombo.get_active_id();
    this.proxyButton.sensitive = !this.#busy && (this.ctx.supervisor.running || hasEndpoint);
    this.launchCliButton.sensitive = !this.#busy && hasEndpoint && this.session.codexPath !== null;
    this.launchCliButton.tooltip_text = this.session.codexPath ? "Start the proxy if needed, point Codex at it and open Codex in a terminal"
      : "The Codex CLI was not found on PATH (npm install -g @openai/codex)";
    const desktop = findCodexDesktop();
    this.launchDesktopButton.sensitive = !this.#busy && hasEndpoint && desktop !== null;
    this.launchDesktopButton.tooltip_text = desktop ? `Start ${desktop} against the proxy` : "Codex Desktop is not installed (looked for /opt/codex-desktop/start.sh and codex-desktop)";
  }

  #renderProxy(health?: { uptime_s: number; requests_total: number; memory_mb: number | null } | null): void {
    if (this.#destroyed) return;
    const s = this.ctx.supervisor;
    this.proxyButton.label = s.running ? "Stop Proxy" : "Start Proxy";
    let text: string;
    switch (s.state) {
      case "running":
        text = `<span foreground="#26a269">●</span> running on 127.0.0.1:${s.port} · ${s.spec?.pool ? "AI BGP pool " : ""}${GLib.markup_escape_text(s.spec?.endpointName ?? "", -1)} / ${GLib.markup_escape_text(s.spec?.model ?? "", -1)}`;
        if (health) text += ` · healthy · up ${formatUptime(health.uptime_s)} · ${health.requests_total} requests${health.memory_mb ? ` · ${Math.round(health.memory_mb)} MB` : ""}`;
        else if (health === null) text += ` · <span foreground="#c01c28">not answering /health</span>`;
        break;
      case "starting":
        text = "◌ starting…";
        break;
      case "stopping":
        text = "◌ stopping…";
        break;
      case "down":
        text = `<span foreground="#c01c28">●</span> down (${s.lastExit ? (s.lastExit.code !== null ? `exited with code ${s.lastExit.code}` : `killed by signal ${s.lastExit.signal}`) : "not answering"}); restarting…`;
        break;
      case "restarting":
        text = "◌ restarting (live streams finish first)…";
        break;
      default:
        text = "○ stopped";
    }
    this.proxyStatus.set_markup(text);
    this.#updateButtons();
  }

  async #pollHealth(): Promise<void> {
    if (this.#destroyed) return;
    if (this.#attachedTo) {
      this.#renderAttached();
      return;
    }
    if (this.ctx.supervisor.state !== "running") return;
    const health = await this.ctx.supervisor.health(1500);
    this.#renderProxy(health);
  }

  /**
   * Another launcher owns the proxy: this window shows it and can launch Codex against it, but never
   * starts, stops or restarts it (null when this window's launcher owns it again).
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
    this.proxyStatus.set_markup(`<span foreground="#26a269">●</span> run by ${owner.kind === "headless" ? "codex-launcher --headless" : "another window"} ` +
      `(pid ${owner.identity.pid})${port ? ` on 127.0.0.1:${port}` : ""}`);
    this.proxyButton.label = "Start Proxy";
    this.proxyButton.sensitive = false;
    this.proxyButton.tooltip_text = "Another Codex Launcher runs the proxy; stop it there";
    this.launchCliButton.sensitive = !this.#busy && this.session.codexPath !== null;
  }

  async #withBusy<T>(work: () => Promise<T>): Promise<T | null> {
    if (this.#busy) return null;
    this.#busy = true;
    this.#updateButtons();
    try {
      return await work();
    } catch (e) {
      this.log(`Error: ${(e as Error).message}`);
      this.#setBanner(`<span foreground="#c01c28">${GLib.markup_escape_text((e as Error).message, -1)}</span>`);
      return null;
    } finally {
      this.#busy = false;
      this.#updateButtons();
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

  /** Starts (or restarts, when the selection changed) the proxy for the selected endpoint and model. */
  async startProxy(): Promise<number | null> {
    return this.#withBusy(() => this.#ensureProxy());
  }

  async #ensureProxy(): Promise<number> {
    const target = this.selectedTarget();
    const model = this.modelCombo.get_active_id();
    if (!target || !model) throw new Error("choose an endpoint and a model first");
    if (this.#attachedTo) throw new Error("another Codex Launcher runs the proxy; this window does not start or stop it");
    const port = await this.session.ensureProxy(target, model);
    this.log(`proxy healthy on http://127.0.0.1:${port}`);
    this.#setBanner("");
    return port;
  }

  async stopProxy(): Promise<void> {
    await this.#withBusy(async () => {
      await this.ctx.supervisor.stop();
      this.log("proxy stopped");
    });
  }

  /** Starts the proxy if needed and writes Codex's profile for it: everything Codex needs before it starts. */
  async prepareCodex(): Promise<ProfileWrite | null> {
    return this.#withBusy(() => this.#prepare());
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
    const done = await this.#withBusy(async () => {
      await this.#prepare();
      const workdir = this.folderButton.get_filename() ?? GLib.get_home_dir();
      let sessionId: string;
      if (kind === "cli") {
        const codexPath = this.session.codexPath;
        if (!codexPath) throw new Error("the Codex CLI was not found on PATH");
        const launched = await launchCodexCli(codexPath, workdir, this.ctx.paths.codexHome, (l) => this.log(l));
        sessionId = launched.sessionId;
        this.log(`Codex CLI opened in ${launched.argv[0]} (folder ${workdir})`);
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
    } else {
      const codex = await probeProgram(this.session.codexPath);
      this.log(codex.version ? `Codex CLI: ${codex.version} (${this.session.codexPath})` : `Codex CLI: found at ${this.session.codexPath} but --version failed: ${codex.error}`);
    }
    const desktop = findCodexDesktop();
    this.log(desktop ? `Codex Desktop: ${desktop}` : "Codex Desktop: not installed");
    if (!this.#destroyed) this.#updateButtons();
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

  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#statusTimer) GLib.source_remove(this.#statusTimer);
    this.#statusTimer = 0;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const id of this.#selfHandlers) this.disconnect(id);
    this.#selfHandlers = [];
  }
}
