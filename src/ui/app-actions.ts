// The application's actions (Gio.SimpleAction on the Gtk.Application) with their accelerators, and the
// help overlay (Ctrl+?) that lists them: one table feeds both, so the overlay cannot drift from the keys.
import Gio from "gi://Gio";
import Gtk from "gi://Gtk?version=3.0";

export interface AppShortcut {
  /** "app.<name>" (or "win.show-help-overlay", GTK's own). */
  action: string;
  accels: string[];
  title: string;
  group: "Codex" | "Proxy" | "Windows" | "Setup" | "General";
}

export const APP_SHORTCUTS: readonly AppShortcut[] = [
  { action: "app.launch-codex", accels: ["<Primary>l"], title: "Launch Codex CLI", group: "Codex" },
  { action: "app.doctor", accels: ["<Primary>d"], title: "Doctor: check the selected endpoint", group: "Codex" },
  { action: "app.doctor-all", accels: ["<Primary><Shift>d"], title: "Doctor: check every endpoint", group: "Codex" },
  { action: "app.toggle-proxy", accels: ["<Primary>p"], title: "Start or stop the proxy", group: "Proxy" },
  { action: "app.restart-proxy", accels: ["<Primary><Shift>r"], title: "Restart the proxy", group: "Proxy" },
  { action: "app.endpoints", accels: ["<Primary>e"], title: "Manage endpoints", group: "Windows" },
  { action: "app.add-endpoint", accels: ["<Primary>n"], title: "Add an endpoint", group: "Windows" },
  { action: "app.monitor", accels: ["<Primary>m"], title: "Open AI Monitor", group: "Windows" },
  { action: "app.export-setup", accels: ["<Primary><Shift>s"], title: "Export the setup", group: "Setup" },
  { action: "app.import-setup", accels: ["<Primary>o"], title: "Import a setup", group: "Setup" },
  { action: "win.show-help-overlay", accels: ["<Primary>question"], title: "Keyboard shortcuts", group: "General" },
  { action: "app.quit", accels: ["<Primary>q"], title: "Quit", group: "General" },
];

/** What each app action does (absent: the action is not offered). */
export type AppActionHandlers = Partial<Record<string, () => void>>;

/**
 * Adds the app actions to `app` and their accelerators; an action whose handler is absent stays
 * disabled. Returns the actions by name, so the window can enable or disable them with its state.
 */
export function installAppActions(app: Gtk.Application, handlers: AppActionHandlers): Map<string, Gio.SimpleAction> {
  const actions = new Map<string, Gio.SimpleAction>();
  for (const shortcut of APP_SHORTCUTS) {
    app.set_accels_for_action(shortcut.action, shortcut.accels);
    if (!shortcut.action.startsWith("app.")) continue;
    const name = shortcut.action.slice(4);
    const action = new Gio.SimpleAction({ name, enabled: handlers[name] !== undefined });
    action.connect("activate", () => handlers[name]?.());
    app.add_action(action);
    actions.set(name, action);
  }
  return actions;
}

/**
 * Each overlay's shortcut widgets, to list what it shows without walking GTK's internal widgets (JS
 * wrappers made for those during a walk draw g_closure_unref criticals from gjs 1.74 at finalization).
 * A strong map, emptied when the overlay is destroyed: a WeakMap would lose the entry whenever a
 * collection drops the overlay's JS wrapper (GTK holds the window; get_help_overlay() then makes a new one).
 */
const shown = new Map<Gtk.ShortcutsWindow, Gtk.ShortcutsShortcut[]>();

/** The help overlay (Gtk.ShortcutsWindow) built from the same table. */
export function buildShortcutsWindow(): Gtk.ShortcutsWindow {
  const section = new Gtk.ShortcutsSection({ section_name: "shortcuts", visible: true });
  const groups = new Map<string, Gtk.ShortcutsGroup>();
  const items: Gtk.ShortcutsShortcut[] = [];
  for (const shortcut of APP_SHORTCUTS) {
    let group = groups.get(shortcut.group);
    if (!group) {
      group = new Gtk.ShortcutsGroup({ title: shortcut.group, visible: true });
      groups.set(shortcut.group, group);
      section.add(group);
    }
    const item = new Gtk.ShortcutsShortcut({ title: shortcut.title, accelerator: shortcut.accels.join(" "), visible: true });
    group.add(item);
    items.push(item);
  }
  const window = new Gtk.ShortcutsWindow({ modal: true, title: "Keyboard Shortcuts" });
  // The typings mix two Gdk versions for ShortcutsWindow; it is a Gtk.Widget at run time.
  window.add(section as unknown as Gtk.Widget);
  shown.set(window, items);
  window.connect("destroy", () => shown.delete(window));
  return window;
}

/** The titles the overlay lists, in order (each shortcut widget it holds, inside its section). */
export function shortcutTitles(window: Gtk.ShortcutsWindow): string[] {
  return (shown.get(window) ?? []).filter((item) => item.get_parent() !== null).map((item) => item.title);
}
