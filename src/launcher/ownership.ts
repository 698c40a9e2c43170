// One owner of the proxy per user: the GUI or `--headless` that supervises it. The owner holds an
// exclusive flock on <cache>/owner.lock through a tiny helper process (util-linux flock, which every
// Debian has; gjs has no flock binding) whose stdin is a pipe from the owner: when the owner exits or
// is killed, the pipe closes, the helper exits and the kernel releases the lock, so a lock is never left
// stale. owner.json says who holds it, for the message a second launcher shows.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { ensurePrivateDir, readTextFile, writeFileAtomic } from "../lib/files.js";
import { readLines } from "../lib/line-reader.js";
import type { AppPaths } from "../lib/paths.js";
import { isProcessIdentity, sameProcess, type ProcessIdentity } from "../lib/process-identity.js";
import { readIdentity } from "../lib/processes.js";

Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

export type OwnerKind = "gui" | "headless";

export interface OwnerInfo {
  identity: ProcessIdentity;
  kind: OwnerKind;
  since: string;
}

export interface Ownership {
  info: OwnerInfo;
  release(): void;
}

const HELD_EXIT = 75;

/** The current owner per owner.json, if that process is still the one that wrote it. */
export function currentOwner(paths: AppPaths): OwnerInfo | null {
  try {
    const doc = JSON.parse(readTextFile(paths.ownerFile) ?? "null") as OwnerInfo | null;
    if (!doc || !isProcessIdentity(doc.identity) || (doc.kind !== "gui" && doc.kind !== "headless")) return null;
    return sameProcess(doc.identity, readIdentity(doc.identity.pid)) ? doc : null;
  } catch {
    return null;
  }
}

/**
 * Takes ownership, or resolves null when another launcher holds it. Never waits for the other owner
 * and never touches it.
 */
export async function acquireOwnership(paths: AppPaths, kind: OwnerKind): Promise<Ownership | null> {
  ensurePrivateDir(paths.cacheDir);
  const flock = GLib.find_program_in_path("flock");
  if (!flock) throw new Error("the flock program (util-linux) is missing; it guards that only one launcher runs the proxy");
  const helper = Gio.Subprocess.new([flock, "--exclusive", "--nonblock", "--conflict-exit-code", String(HELD_EXIT), paths.ownerLock,
    "sh", "-c", "echo locked; exec cat >/dev/null"], Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_SILENCE);
  const outcome = await new Promise<"locked" | "held" | "failed">((resolve) => {
    void readLines(helper.get_stdout_pipe()!, (line) => {
      if (line === "locked") resolve("locked");
    });
    void helper.wait_async(null).then(() => resolve(helper.get_if_exited() && helper.get_exit_status() === HELD_EXIT ? "held" : "failed"));
  });
  if (outcome === "held") return null;
  if (outcome === "failed") throw new Error(`could not lock ${paths.ownerLock}`);
  const identity = readIdentity("self");
  if (!identity) throw new Error("cannot read this process's identity from /proc");
  const info: OwnerInfo = { identity, kind, since: new Date().toISOString() };
  writeFileAtomic(paths.ownerFile, `${JSON.stringify(info, null, 2)}\n`, 0o600);
  let released = false;
  return {
    info,
    release: () => {
      if (released) return;
      released = true;
      // Closing the helper's stdin ends it, and with it the lock.
      try {
        helper.get_stdin_pipe()?.close(null);
      } catch {
        helper.force_exit();
      }
    },
  };
}
