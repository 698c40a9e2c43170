// The Gtk.Application: single instance (com.codexlauncher), one LauncherWin.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { APP_ID, APP_NAME } from "../lib/version.js";
import { LauncherWin } from "./launcher-window.js";

export class CodexLauncherApplication extends Gtk.Application {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherApplication" }, this);
  }

  constructor() {
    super({ application_id: APP_ID, flags: Gio.ApplicationFlags.DEFAULT_FLAGS });
    GLib.set_application_name(APP_NAME);
  }

  override vfunc_activate(): void {
    // A second launch lands here in the first instance: bring the existing window forward.
    const existing = this.get_windows().find((w) => w instanceof LauncherWin);
    (existing ?? new LauncherWin(this)).present();
  }
}
