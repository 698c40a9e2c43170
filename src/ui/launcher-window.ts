// LauncherWin: the main window. It renders state and forwards user intent; no file parsing or HTTP here.
import GObject from "gi://GObject";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { probeProgram, runtimeVersions } from "../lib/dependencies.js";
import { APP_NAME, APP_VERSION } from "../lib/version.js";

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
export type WindowOpeners = Partial<Record<HeaderAction["id"], () => void>>;

export class LauncherWin extends Gtk.ApplicationWindow {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherWin" }, this);
  }

  declare private logBuffer: Gtk.TextBuffer;
  declare private logView: Gtk.TextView;
  /** Async work (probes, process events) may finish after the window is gone. */
  #destroyed = false;

  constructor(application: Gtk.Application, openers: WindowOpeners = {}) {
    super({ application, title: APP_NAME, default_width: 960, default_height: 600 });
    this.set_titlebar(this.#buildHeaderBar(openers));
    this.add(this.#buildBody());
    this.connect("destroy", () => {
      this.#destroyed = true;
    });
    this.show_all();
    this.log(`${APP_NAME} v${APP_VERSION} started`);
    this.log(`Runtime: ${runtimeVersions()}`);
    void this.#reportCodex();
  }

  /** Appends a timestamped line to the log pane. */
  log(line: string): void {
    if (this.#destroyed) return;
    const stamp = GLib.DateTime.new_now_local().format("%H:%M:%S");
    const end = this.logBuffer.get_end_iter();
    this.logBuffer.insert(end, `[${stamp}] ${line}\n`, -1);
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
      if (open) {
        button.tooltip_text = `Open ${action.opens}`;
        button.connect("clicked", () => open());
      } else {
        button.sensitive = false;
        button.tooltip_text = `Coming soon: ${action.opens}`;
      }
      bar.pack_end(button);
    }
    return bar;
  }

  #buildBody(): Gtk.Widget {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6, margin: 12 });
    box.add(new Gtk.Label({ label: "<b>Log</b>", use_markup: true, xalign: 0 }));
    this.logBuffer = new Gtk.TextBuffer();
    this.logView = new Gtk.TextView({
      buffer: this.logBuffer,
      editable: false,
      cursor_visible: false,
      monospace: true,
      wrap_mode: Gtk.WrapMode.WORD_CHAR,
    });
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, hexpand: true, shadow_type: Gtk.ShadowType.IN });
    scroller.add(this.logView);
    box.add(scroller);
    return box;
  }

  async #reportCodex(): Promise<void> {
    const codex = await probeProgram("codex");
    if (!codex.path) this.log("Codex CLI: not found on PATH (install it with: npm install -g @openai/codex)");
    else if (codex.version) this.log(`Codex CLI: ${codex.version} (${codex.path})`);
    else this.log(`Codex CLI: found at ${codex.path} but --version failed: ${codex.error}`);
  }
}
