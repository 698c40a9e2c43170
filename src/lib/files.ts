// File helpers every store uses: atomic writes, files kept aside when they fail to parse, backups.
import Gio from "gi://Gio";
import GLib from "gi://GLib";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The file's text, or null when it does not exist. Other errors (permissions, ...) are thrown. */
export function readTextFile(path: string): string | null {
  try {
    const [, bytes] = GLib.file_get_contents(path);
    return decoder.decode(bytes);
  } catch (e) {
    if (e instanceof GLib.Error && e.matches(GLib.file_error_quark(), GLib.FileError.NOENT)) return null;
    throw e;
  }
}

/** Our temporary files: `.<name>.tmp-<pid>-<random>` next to the target, recognisable for clean-up. */
const TEMP_PATTERN = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Follows a symlink chain to the file it names (a dotfiles link is written through, never replaced). */
export function resolveSymlinks(path: string): string {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    if (!GLib.file_test(current, GLib.FileTest.IS_SYMLINK)) return current;
    const target = GLib.file_read_link(current);
    current = GLib.path_is_absolute(target) ? target : GLib.build_filenamev([GLib.path_get_dirname(current), target]);
  }
  throw new Error(`${path}: too many levels of symbolic links`);
}

/** Removes temporary files a killed writer of ours left next to `target` (their writer is gone). */
function removeStaleTemps(dir: string, base: string): void {
  let listing: Gio.FileEnumerator;
  try {
    listing = Gio.File.new_for_path(dir).enumerate_children("standard::name", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  } catch {
    return;
  }
  try {
    for (let info = listing.next_file(null); info; info = listing.next_file(null)) {
      const m = TEMP_PATTERN.exec(info.get_name());
      if (m && m[1] === base && !GLib.file_test(`/proc/${m[2]}`, GLib.FileTest.EXISTS)) removeFile(`${dir}/${info.get_name()}`);
    }
  } finally {
    listing.close(null);
  }
}

/**
 * Writes through a temporary file and a rename, so a crash never leaves half a file. A symlink is
 * written through to its target; the target's mode is kept unless `mode` is stricter (secrets stay
 * private); a temporary file left by a killed writer is cleaned up on the next write.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  GLib.mkdir_with_parents(GLib.path_get_dirname(path), 0o700);
  const target = resolveSymlinks(path);
  const dir = GLib.path_get_dirname(target);
  const base = GLib.path_get_basename(target);
  removeStaleTemps(dir, base);
  let finalMode = mode;
  try {
    const existing = Gio.File.new_for_path(target).query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777;
    // An existing file keeps its mode, made at least as private as asked.
    finalMode = existing & ~(~mode & 0o077);
  } catch {
    // A new file gets `mode`.
  }
  const random = GLib.uuid_string_random().replace(/-/g, "").slice(0, 8);
  const temp = Gio.File.new_for_path(`${dir}/.${base}.tmp-${new Gio.Credentials().get_unix_pid()}-${random}`);
  try {
    const out = temp.create(Gio.FileCreateFlags.PRIVATE, null);
    try {
      out.write_all(encoder.encode(text), null);
    } finally {
      out.close(null);
    }
    temp.set_attribute_uint32("unix::mode", finalMode, Gio.FileQueryInfoFlags.NONE, null);
    temp.move(Gio.File.new_for_path(target), Gio.FileCopyFlags.OVERWRITE | Gio.FileCopyFlags.NOFOLLOW_SYMLINKS, null, null);
  } catch (e) {
    removeFile(temp.get_path()!);
    throw e;
  }
}

/** Deletes a file; a file that is already gone is fine. */
export function removeFile(path: string): void {
  try {
    Gio.File.new_for_path(path).delete(null);
  } catch (e) {
    if (!(e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND))) throw e;
  }
}

/** Makes a directory that holds secrets private (0700), creating it when needed. */
export function ensurePrivateDir(path: string): void {
  GLib.mkdir_with_parents(path, 0o700);
  const file = Gio.File.new_for_path(path);
  const mode = file.query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777;
  if ((mode & 0o077) !== 0) file.set_attribute_uint32("unix::mode", mode & 0o700, Gio.FileQueryInfoFlags.NONE, null);
}

function stamp(): string {
  return GLib.DateTime.new_now_local().format("%Y%m%d-%H%M%S") ?? String(Date.now());
}

/** Moves a file that failed to parse out of the way; returns where it went. */
export function setAside(path: string): string {
  let target = `${path}.corrupt-${stamp()}`;
  for (let n = 2; GLib.file_test(target, GLib.FileTest.EXISTS); n++) target = `${path}.corrupt-${stamp()}-${n}`;
  Gio.File.new_for_path(path).move(Gio.File.new_for_path(target), Gio.FileCopyFlags.NONE, null, null);
  return target;
}

/**
 * Copies `path` to `<path>.<tag>-<time>` (kept until the user removes it: what an import or a reset
 * replaces stays at hand). Returns the copy, or null when there is no file.
 */
export function copyAside(path: string, tag: string): string | null {
  const source = resolveSymlinks(path);
  if (!GLib.file_test(source, GLib.FileTest.EXISTS)) return null;
  let target = `${path}.${tag}-${stamp()}`;
  for (let n = 2; GLib.file_test(target, GLib.FileTest.EXISTS); n++) target = `${path}.${tag}-${stamp()}-${n}`;
  Gio.File.new_for_path(source).copy(Gio.File.new_for_path(target), Gio.FileCopyFlags.NONE, null, null);
  return target;
}

/** Copies `path` to `<path>.bak-<time>` and keeps only the newest `keep` backups. Returns the copy. */
export function backupFile(path: string, keep = 10): string | null {
  if (!GLib.file_test(path, GLib.FileTest.EXISTS)) return null;
  let target = `${path}.bak-${stamp()}`;
  for (let n = 2; GLib.file_test(target, GLib.FileTest.EXISTS); n++) target = `${path}.bak-${stamp()}-${n}`;
  Gio.File.new_for_path(path).copy(Gio.File.new_for_path(target), Gio.FileCopyFlags.NONE, null, null);
  const dir = GLib.path_get_dirname(path);
  const base = `${GLib.path_get_basename(path)}.bak-`;
  const backups: string[] = [];
  const listing = Gio.File.new_for_path(dir).enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
  for (let info = listing.next_file(null); info; info = listing.next_file(null)) {
    const name = info.get_name();
    if (name.startsWith(base)) backups.push(name);
  }
  listing.close(null);
  backups.sort();
  for (const old of backups.slice(0, Math.max(0, backups.length - keep))) Gio.File.new_for_path(`${dir}/${old}`).delete(null);
  return target;
}
