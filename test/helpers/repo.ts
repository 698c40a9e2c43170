// Locations inside the checkout, derived from where the bundled spec runs (build/test/...).
import GLib from "gi://GLib";

function findRepoRoot(): string {
  let dir = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
  while (dir !== "/" && !GLib.file_test(`${dir}/package.json`, GLib.FileTest.EXISTS)) dir = GLib.path_get_dirname(dir);
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const BUILD_APP = `${REPO_ROOT}/build/app`;
export const PROXY_JS = `${BUILD_APP}/proxy.js`;
export const MAIN_JS = `${BUILD_APP}/main.js`;

const decoder = new TextDecoder();

export function readRepoFile(relative: string): string {
  const [, bytes] = GLib.file_get_contents(`${REPO_ROOT}/${relative}`);
  return decoder.decode(bytes);
}

/** A fresh directory under /var/tmp (not /tmp: codex refuses helper binaries under /tmp). */
export function makeTempDir(prefix: string): string {
  const dir = `/var/tmp/${prefix}-${GLib.uuid_string_random().slice(0, 8)}`;
  if (GLib.mkdir_with_parents(dir, 0o700) !== 0) throw new Error(`cannot create ${dir}`);
  return dir;
}

export function removeTree(path: string): void {
  if (!path.startsWith("/var/tmp/") && !path.startsWith("/tmp/")) throw new Error(`refusing to delete ${path}`);
  GLib.spawn_command_line_sync(`rm -rf ${GLib.shell_quote(path)}`);
}
