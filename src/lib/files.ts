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

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  GLib.mkdir_with_parents(GLib.path_get_dirname(path), 0o700);
  const file = Gio.File.new_for_path(path);
  file.replace_contents(encoder.encode(text), null, false,
    (mode & 0o077) === 0 ? Gio.FileCreateFlags.PRIVATE | Gio.FileCreateFlags.REPLACE_DESTINATION : Gio.FileCreateFlags.REPLACE_DESTINATION, null);
  // replace_contents keeps the old file's mode; make sure secrets-bearing files end up private.
  if ((mode & 0o077) === 0) file.set_attribute_uint32("unix::mode", mode, Gio.FileQueryInfoFlags.NONE, null);
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
