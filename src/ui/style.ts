// The app's style classes, in one stylesheet: windows mark state with classes (status-ok, latency-fair,
// doctor-fail, …) and the theme's own named colours do the rest, so a dark or high-contrast theme keeps
// them readable. Installed once per screen.
import Gdk from "gi://Gdk?version=3.0";
import Gtk from "gi://Gtk?version=3.0";

const CSS = `
.status-ok { color: @success_color; }
.status-warn { color: @warning_color; }
.status-bad { color: @error_color; }
.latency-badge { border-radius: 9px; padding: 1px 9px; font-weight: bold; }
.latency-badge.latency-none { color: @insensitive_fg_color; }
.latency-good { background-color: alpha(@success_color, 0.18); color: @success_color; }
.latency-fair { background-color: alpha(@warning_color, 0.22); color: shade(@warning_color, 0.8); }
.latency-poor { background-color: alpha(@error_color, 0.18); color: @error_color; }
.doctor-mark { font-weight: bold; min-width: 1.4em; }
.doctor-pass { color: @success_color; }
.doctor-fail { color: @error_color; }
.doctor-skip, .doctor-pending { color: @insensitive_fg_color; }
.doctor-running { color: @theme_selected_bg_color; }
.welcome-title { font-size: 22pt; font-weight: bold; }
.welcome-subtitle { font-size: 12pt; }
.section-title { font-weight: bold; }
`;

let installed = false;

export function installStyles(): void {
  if (installed) return;
  const screen = Gdk.Screen.get_default();
  if (!screen) return;
  const provider = new Gtk.CssProvider();
  provider.load_from_data(CSS);
  Gtk.StyleContext.add_provider_for_screen(screen, provider, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION);
  installed = true;
}

/** Replaces the state classes of `widget` among `all` with `current` (null: none). */
export function setStateClass(widget: Gtk.Widget, all: readonly string[], current: string | null): void {
  const style = widget.get_style_context();
  for (const c of all) if (c !== current) style.remove_class(c);
  if (current) style.add_class(current);
}

export const STATUS_CLASSES = ["status-ok", "status-warn", "status-bad"] as const;

/** A label's text and its state class at once (no colours in markup). */
export function setStatus(label: Gtk.Label, text: string, state: "ok" | "warn" | "bad" | null): void {
  label.set_text(text);
  setStateClass(label, STATUS_CLASSES, state ? `status-${state}` : null);
}
