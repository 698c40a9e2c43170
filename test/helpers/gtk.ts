// Helpers for specs that drive real GTK widgets (run under Xvfb).
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { delay, run } from "./process.js";
import { REPO_ROOT } from "./repo.js";

let initialised = false;
export function initGtk(): void {
  if (!initialised) Gtk.init(null);
  initialised = true;
}

let application: Gtk.Application | null = null;

/** One registered Gtk.Application for every UI spec in the process (windows need one). */
export function testApplication(): Gtk.Application {
  initGtk();
  if (!application) {
    application = new Gtk.Application({ application_id: "com.codexlauncher.Tests" });
    application.register(null);
  }
  return application;
}

/** Every descendant of `root` (including itself), depth first, following containers and title bars. */
export function descendants(root: Gtk.Widget): Gtk.Widget[] {
  const out: Gtk.Widget[] = [root];
  if (root instanceof Gtk.Window) {
    const titlebar = root.get_titlebar();
    if (titlebar) out.push(...descendants(titlebar));
  }
  if (root instanceof Gtk.Container) {
    // forall also visits internal children such as a header bar's packed buttons.
    const children: Gtk.Widget[] = [];
    root.forall((child) => children.push(child));
    for (const child of children) out.push(...descendants(child));
  }
  return out;
}

export function buttonsIn(root: Gtk.Widget): Gtk.Button[] {
  return descendants(root).filter((w): w is Gtk.Button => w instanceof Gtk.Button && !!w.get_label());
}

export function findButton(root: Gtk.Widget, label: string): Gtk.Button {
  const button = buttonsIn(root).find((b) => b.get_label() === label);
  if (!button) throw new Error(`no button labelled '${label}'`);
  return button;
}

/**
 * Lets GTK process pending events (layout, drawing, idle callbacks) for a while. The runner's
 * GLib.MainLoop dispatches GDK's sources, so waiting is enough; iterating by hand from inside a
 * promise job can spin forever on frame-clock events.
 */
export async function settle(ms = 50): Promise<void> {
  await delay(ms);
}

/**
 * Saves what a person sees of the window titled exactly `title` into test-artifacts/`file` (xdotool
 * finds it, ImageMagick's import grabs it from the X server).
 */
export async function screenshot(title: string, file: string): Promise<string> {
  const dir = `${REPO_ROOT}/test-artifacts`;
  GLib.mkdir_with_parents(dir, 0o755);
  const id = (await run(["xdotool", "search", "--onlyvisible", "--name", `^${title.replace(/[()[\]]/g, "\\$&")}$`])).stdout.trim().split("\n")[0];
  if (!id) throw new Error(`no visible window titled '${title}'`);
  const path = `${dir}/${file}`;
  const r = await run(["import", "-window", id, path]);
  if (r.exitCode !== 0) throw new Error(`import failed: ${r.stderr}`);
  return path;
}
