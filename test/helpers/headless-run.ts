// A real `codex-launcher --headless` over a throw-away home (HOME, CODEX_HOME, the XDG directories and
// TMPDIR all inside it, keys in the 0600 file store), and what the security specs look at around it:
// the processes it started and their command lines, and every file under the home.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { resolvePaths, type AppPaths } from "../../src/lib/paths.js";
import { Child, gjs } from "./process.js";
import { MAIN_JS, makeTempDir } from "./repo.js";

export function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

export interface HeadlessHome {
  home: string;
  paths: AppPaths;
  env: Record<string, string>;
}

export function makeHeadlessHome(prefix: string): HeadlessHome {
  const home = makeTempDir(prefix);
  const env: Record<string, string> = {
    HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, XDG_CONFIG_HOME: `${home}/.config`,
    XDG_DATA_HOME: `${home}/.local/share`, XDG_STATE_HOME: `${home}/.local/state`, TMPDIR: `${home}/tmp`, CODEX_LAUNCHER_SECRETS: "file",
  };
  GLib.mkdir_with_parents(`${home}/tmp`, 0o700);
  return { home, env, paths: resolvePaths({ home, xdgCacheHome: env.XDG_CACHE_HOME, codexHome: env.CODEX_HOME }) };
}

export interface RunningHeadless {
  app: Child;
  port: number;
}

/** Starts `codex-launcher --headless` and waits until it serves, wrote Codex's profile and watches. */
export async function startHeadless(h: HeadlessHome, args: string[] = []): Promise<RunningHeadless> {
  const app = new Child([gjs(), "-m", MAIN_JS, "--headless", ...args], { env: h.env });
  try {
    const [, port] = await app.waitForLine(/proxy for .* on http:\/\/127\.0\.0\.1:(\d+)/, 20000);
    if (!args.includes("--no-config")) await app.waitForLine(/wrote .*codex-launcher\.config\.toml/, 15000);
    await app.waitForLine(/AI Monitoring: on/, 15000);
    return { app, port: Number(port) };
  } catch (e) {
    await app.stop();
    throw e;
  }
}

/** The pid the launcher's proxy has now, as proxy-config.json says. */
export function proxyPid(h: HeadlessHome): number {
  return JSON.parse(read(h.paths.proxyConfig) || "{}").pid ?? 0;
}

export function clientToken(h: HeadlessHome): string {
  return JSON.parse(read(h.paths.proxyConfig)).client_token;
}

/** The parent pid of every process now running. */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  const listing = Gio.File.new_for_path("/proc").enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
  for (let info = listing.next_file(null); info; info = listing.next_file(null)) {
    const pid = Number(info.get_name());
    if (!Number.isInteger(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid)) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  listing.close(null);
  return children;
}

/** `pid` and every process below it, as they are now. */
export function processTree(pid: number): number[] {
  const children = parents();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** The command line as `ps` shows it to every local user (arguments joined by spaces). */
export function cmdline(pid: number): string {
  return read(`/proc/${pid}/cmdline`).split("\0").join(" ").trim();
}

export interface ScannedFile {
  path: string;
  kind: "file" | "symlink" | "other";
  mode: number;
  /** The mode of the directory that holds it. */
  dirMode: number;
  text: string;
}

function modeOf(path: string): number {
  return Gio.File.new_for_path(path).query_info("unix::mode", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null).get_attribute_uint32("unix::mode") & 0o777;
}

/**
 * Every file under `root` (symlinks not followed: their target text is what is searched). A file that
 * vanished between the listing and the read (a rename of an atomic write) is skipped.
 */
export function scanTree(root: string, out: ScannedFile[] = []): ScannedFile[] {
  let dirMode: number;
  let listing: Gio.FileEnumerator;
  try {
    dirMode = modeOf(root);
    listing = Gio.File.new_for_path(root).enumerate_children("standard::name,standard::type,unix::mode", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  } catch {
    return out;
  }
  const names: { name: string; type: Gio.FileType; mode: number }[] = [];
  for (let info = listing.next_file(null); info; info = listing.next_file(null))
    names.push({ name: info.get_name(), type: info.get_file_type(), mode: info.get_attribute_uint32("unix::mode") & 0o777 });
  listing.close(null);
  for (const { name, type, mode } of names.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = `${root}/${name}`;
    if (type === Gio.FileType.DIRECTORY) scanTree(path, out);
    else if (type === Gio.FileType.SYMBOLIC_LINK) out.push({ path, kind: "symlink", mode, dirMode, text: GLib.file_read_link(path) });
    else if (type === Gio.FileType.REGULAR) {
      try {
        // latin1: every byte stays one character, so an ASCII secret is found whatever surrounds it.
        out.push({ path, kind: "file", mode, dirMode, text: new TextDecoder("latin1").decode(GLib.file_get_contents(path)[1]) });
      } catch {
        // gone meanwhile
      }
    } else out.push({ path, kind: "other", mode, dirMode, text: "" });
  }
  return out;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/** 128 random bits as hex, from the kernel. */
export function randomHex(bytes = 16): string {
  const stream = Gio.File.new_for_path("/dev/urandom").read(null);
  try {
    return Array.from(stream.read_bytes(bytes, null).toArray(), (b) => b.toString(16).padStart(2, "0")).join("");
  } finally {
    stream.close(null);
  }
}

export function chmod(path: string, mode: number): void {
  Gio.File.new_for_path(path).set_attribute_uint32("unix::mode", mode, Gio.FileQueryInfoFlags.NONE, null);
}
