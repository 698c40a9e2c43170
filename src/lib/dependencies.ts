// What the launcher depends on, detected at start-up and shown in the log pane.
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import Soup from "gi://Soup?version=3.0";
import System from "system";
import { runCapture } from "./subprocess.js";


/** gjs reports its version as an integer such as 17402 for 1.74.2. */
export function gjsVersionString(encoded: number = System.version): string {
  return `${Math.floor(encoded / 10000)}.${Math.floor(encoded / 100) % 100}.${encoded % 100}`;
}

export function runtimeVersions(): string {
  const gtk = `${Gtk.get_major_version()}.${Gtk.get_minor_version()}.${Gtk.get_micro_version()}`;
  const soup = `${Soup.get_major_version()}.${Soup.get_minor_version()}.${Soup.get_micro_version()}`;
  return `gjs ${gjsVersionString()}, GTK ${gtk}, libsoup ${soup}, GLib ${GLib.MAJOR_VERSION}.${GLib.MINOR_VERSION}.${GLib.MICRO_VERSION}`;
}

export interface ProgramStatus {
  name: string;
  path: string | null;
  version: string | null;
  error?: string;
}

/** Finds a program on PATH and asks it for `--version` (bounded by a timeout). */
export async function probeProgram(name: string, timeoutMs = 5000): Promise<ProgramStatus> {
  const path = GLib.find_program_in_path(name);
  if (!path) return { name, path: null, version: null };
  try {
    const result = await runCapture([path, "--version"], {}, timeoutMs);
    const firstLine = (result.stdout.trim() || result.stderr.trim()).split("\n")[0] ?? "";
    if (!result.ok) return { name, path, version: null, error: firstLine || "exited with an error" };
    return { name, path, version: firstLine };
  } catch (e) {
    return { name, path, version: null, error: (e as Error).message };
  }
}
