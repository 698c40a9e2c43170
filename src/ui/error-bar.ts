// The one way windows show a failure: an info bar at the top with what failed and why (the cause as the
// service reported it), closed by the user or by the next success. Every async handler in a window ends
// here when it throws, so no failure is lost.
import GObject from "gi://GObject";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";

export class ErrorBar extends Gtk.InfoBar {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherErrorBar" }, this);
  }

  readonly #title = new Gtk.Label({ xalign: 0, wrap: true, selectable: true });
  readonly #cause = new Gtk.Label({ xalign: 0, wrap: true, selectable: true });

  constructor() {
    super({ message_type: Gtk.MessageType.ERROR, show_close_button: true, no_show_all: true });
    this.#title.get_style_context().add_class("section-title");
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 2, hexpand: true });
    box.add(this.#title);
    box.add(this.#cause);
    box.show_all();
    (this.get_content_area() as Gtk.Box).add(box);
    this.connect("response", () => this.clear());
  }

  /** Shows `title` ("Could not start the proxy") and the cause (the error's own message). */
  showError(title: string, cause?: unknown, type: Gtk.MessageType = Gtk.MessageType.ERROR): void {
    const text = cause === undefined ? "" : cause instanceof Error ? cause.message : String(cause);
    this.message_type = type;
    this.#title.set_text(title);
    this.#cause.set_text(text);
    this.#cause.visible = text !== "";
    this.show();
  }

  clear(): void {
    this.hide();
    this.#title.set_text("");
    this.#cause.set_text("");
  }

  /** What the bar says now ("" when hidden), for the log and the specs. */
  text(): string {
    if (!this.get_visible()) return "";
    return [this.#title.get_text(), this.#cause.get_text()].filter(Boolean).join(": ");
  }

  /** Runs `work`; a failure is shown here (and returned as null) instead of being lost. */
  async guard<T>(title: string, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (e) {
      this.showError(title, e);
      return null;
    }
  }
}

/** Markup-safe text. */
export const escape = (text: string) => GLib.markup_escape_text(text, -1);
