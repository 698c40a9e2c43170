// The Gtk.Application: single instance (com.codexlauncher), one LauncherWin, its secondary windows.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { userPaths } from "../lib/system-paths.js";
import { APP_ID, APP_NAME } from "../lib/version.js";
import { createAppContext, type AppContext } from "../launcher/app-context.js";
import { acquireOwnership, currentOwner, type Ownership } from "../launcher/ownership.js";
import { BudgetWatcher } from "../launcher/budget-watcher.js";
import { LauncherSession } from "../launcher/session.js";
import { MonitoringController } from "../watchdog/controller.js";
import { BgpWindow } from "./bgp-window.js";
import { MonitorWindow } from "./monitor-window.js";
import { UsageWindow } from "./usage-window.js";
import { ChangelogWindow } from "./changelog-window.js";
import { EndpointsWindow } from "./endpoints-window.js";
import { LauncherWin } from "./launcher-window.js";
import { installAppActions } from "./app-actions.js";
import type { AlertAction } from "../watchdog/watchdog.js";

export class CodexLauncherApplication extends Gtk.Application {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherApplication" }, this);
  }

  #ctx: AppContext | null = null;
  #monitoring: MonitoringController | null = null;
  #session: LauncherSession | null = null;
  /** Held while this process owns the proxy; null while another launcher does (the window then attaches). */
  #ownership: Ownership | null = null;
  #ownerPoll = 0;
  #budgets: BudgetWatcher | null = null;
  #starting = false;
  #windows = new Map<string, Gtk.Window>();

  constructor() {
    super({ application_id: APP_ID, flags: Gio.ApplicationFlags.DEFAULT_FLAGS });
    GLib.set_application_name(APP_NAME);
  }

  override vfunc_activate(): void {
    // A second launch lands here in the first instance: bring the existing window forward.
    const existing = this.get_windows().find((w) => w instanceof LauncherWin);
    if (existing) {
      existing.present();
      return;
    }
    if (this.#starting) return;
    this.#starting = true;
    this.hold();
    void this.#open().catch((e) => this.#fatal(e)).finally(() => {
      this.#starting = false;
      this.release();
    });
  }

  /** A failure before the window exists: a dialog with the cause (the window's error bar is not there). */
  #fatal(e: unknown): void {
    const dialog = new Gtk.MessageDialog({ message_type: Gtk.MessageType.ERROR, buttons: Gtk.ButtonsType.CLOSE,
      text: "Codex Launcher could not start", secondary_text: (e as Error)?.message ?? String(e) });
    dialog.connect("response", () => dialog.destroy());
    this.add_window(dialog as unknown as Gtk.Window);
    dialog.show_all();
  }

  async #open(): Promise<void> {
    const paths = userPaths();
    try {
      this.#ctx ??= await createAppContext(paths);
    } catch (e) {
      this.#fatal(e);
      return;
    }
    const ctx = this.#ctx;
    const session = (this.#session ??= new LauncherSession(ctx));
    const monitoring = (this.#monitoring ??= new MonitoringController(ctx, async () => true, (title, body, action) => this.#notify(title, body, action),
      () => session.refreshProfile()));
    const endpointsWindow = (): EndpointsWindow => this.#single("endpoints", () => {
      const w = new EndpointsWindow(win, ctx);
      w.connect("changed", () => win.refreshEndpoints());
      return w;
    }) as EndpointsWindow;
    const win: LauncherWin = new LauncherWin(this, ctx, {
      changelog: () => this.#single("changelog", () => new ChangelogWindow(win)),
      usage: () => this.#single("usage", () => new UsageWindow(win, ctx)),
      bgp: () => this.#single("bgp", () => {
        const w = new BgpWindow(win, ctx, session);
        w.connect("changed", () => win.refreshEndpoints());
        return w;
      }),
      monitor: () => this.#single("monitor", () => new MonitorWindow(win, ctx, monitoring)),
      endpoints: () => endpointsWindow(),
      addEndpoint: (preset) => endpointsWindow().openDialog(undefined, preset),
    }, session);
    // Quit, Launch Codex, Start/Stop Proxy, AI Monitor, Manage Endpoints, … with their accelerators.
    installAppActions(this, win.actionHandlers());
    // An imported setup may bring other AI Monitoring settings: the watchdog takes them at once.
    win.onSetupImported = () => void monitoring.load().catch((e) => win.showError("AI Monitoring could not take the imported settings", e));
    // The E4 alert's "Sign in again": the endpoint's editor, with the Google sign-in started.
    const signIn = new Gio.SimpleAction({ name: "google-sign-in", parameter_type: new GLib.VariantType("s") });
    signIn.connect("activate", (_a, parameter: GLib.Variant | null) => {
      const name = parameter?.unpack() as string | undefined;
      if (!name) return;
      win.present();
      void endpointsWindow().signInAgain(name).catch((e) => win.showError(`The Google sign-in for '${name}' failed`, e));
    });
    this.add_action(signIn);
    win.present();
    monitoring.announce = (text, undoable) => win.announce(text, undoable);
    win.onCodexLaunched = (id) => monitoring.watchdog?.trackCodexSession(id);
    try {
      const keys = await ctx.endpoints.settleKeys();
      const movedRouteKeys = await ctx.pools.migratePlaintextKeys().catch((e) => {
        ctx.log.write(`could not move AI BGP route keys into the ${ctx.secrets.kind}: ${(e as Error).message}`);
        return 0;
      });
      if (keys.migrated || movedRouteKeys) win.refreshEndpoints();
      ctx.log.write(keys.line);
      // Monthly budgets: 80 % and 100 % alerts as the proxy's usage-stats.json changes.
      this.#budgets ??= new BudgetWatcher(ctx.paths, ctx.usageFeed, ctx.usageSettings, (title, body) => this.#notify(title, body));
      this.#budgets.start();
      await this.#takeOwnership(win);
    } catch (e) {
      win.showError("Codex Launcher did not finish starting up", e);
    }
  }

  /**
   * One owner of the proxy per user. When another launcher (a `--headless` in a terminal) owns it, the
   * window attaches: it shows that proxy and never stops, restarts or cleans it up; once that owner is
   * gone, this launcher takes over and adopts the proxy it left.
   */
  async #takeOwnership(win: LauncherWin): Promise<void> {
    const ctx = this.#ctx!;
    const ownership = await acquireOwnership(ctx.paths, "gui").catch((e: Error) => {
      ctx.log.write(`cannot tell whether another Codex Launcher runs: ${e.message}`);
      return null;
    });
    if (!ownership) {
      const owner = currentOwner(ctx.paths);
      if (owner) win.setAttached(owner);
      if (!this.#ownerPoll)
        this.#ownerPoll = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 3, () => {
          if (currentOwner(ctx.paths)) return GLib.SOURCE_CONTINUE;
          this.#ownerPoll = 0;
          void this.#takeOwnership(win).catch((e) => win.showError("Could not take over the proxy", e));
          return GLib.SOURCE_REMOVE;
        });
      return;
    }
    this.#ownership = ownership;
    win.setAttached(null);
    for (const line of await this.#session!.startUp()) ctx.log.write(line);
    await this.#monitoring!.load().catch((e) => win.showError("AI Monitoring could not start", e));
  }

  override vfunc_shutdown(): void {
    this.#monitoring?.shutdown();
    this.#budgets?.stop();
    if (this.#ownerPoll) GLib.source_remove(this.#ownerPoll);
    this.#ownerPoll = 0;
    this.#session?.dispose();
    this.#ownership?.release();
    super.vfunc_shutdown();
  }

  /** Alerts reach the user as desktop notifications (with a button when the alert has an action). */
  #notify(title: string, body: string, action?: AlertAction): void {
    const n = Gio.Notification.new(title);
    n.set_body(body);
    n.set_priority(Gio.NotificationPriority.HIGH);
    if (action) {
      const target = new GLib.Variant("s", action.target);
      n.add_button_with_target(action.label, action.action, target);
      n.set_default_action_and_target(action.action, target);
    }
    this.send_notification(`monitor-${GLib.uuid_string_random().slice(0, 8)}`, n);
  }

  /** One window of each kind; a second click brings it forward. */
  #single(key: string, create: () => Gtk.Window): Gtk.Window {
    const open = this.#windows.get(key);
    if (open) {
      open.present();
      return open;
    }
    const w = create();
    this.#windows.set(key, w);
    w.connect("destroy", () => this.#windows.delete(key));
    w.present();
    return w;
  }
}
