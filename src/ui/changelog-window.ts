// The Changelog window: the release history, newest first.
import GObject from "gi://GObject";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { RELEASES } from "../lib/changelog.js";

export class ChangelogWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherChangelogWindow" }, this);
  }

  constructor(parent: Gtk.Window | null) {
    super({ title: "Changelog", default_width: 640, default_height: 560, ...(parent ? { transient_for: parent } : {}), modal: false });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, margin: 18 });
    for (const release of RELEASES) {
      box.add(new Gtk.Label({ label: `<b>v${release.version}</b>  <span alpha="60%">${release.date}</span>`, use_markup: true, xalign: 0 }));
      const notes = release.notes.map((n) => `•  ${GLib.markup_escape_text(n, -1)}`).join("\n");
      box.add(new Gtk.Label({ label: notes, use_markup: true, xalign: 0, wrap: true, selectable: true }));
    }
    const scroller = new Gtk.ScrolledWindow({ hscrollbar_policy: Gtk.PolicyType.NEVER });
    scroller.add(box);
    this.add(scroller);
    this.show_all();
  }

  /** The text a person reads, for tests. */
  text(): string {
    const parts: string[] = [];
    const walk = (w: Gtk.Widget) => {
      if (w instanceof Gtk.Label) parts.push(w.get_text());
      if (w instanceof Gtk.Container) w.foreach(walk);
    };
    walk(this);
    return parts.join("\n");
  }
}
