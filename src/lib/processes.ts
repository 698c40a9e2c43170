// Processes by identity, over /proc (GLib side of process-identity.ts): read who a pid is, signal a
// process only while it is still the one we recorded, and wait for it to go.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { readTextFile } from "./files.js";
import { listeningInodes, socketInode } from "./proc-net.js";
import { parseStatParentPid, parseStatStartTime } from "./proc-status.js";
import { sameProcess, type ProcessIdentity } from "./process-identity.js";

function safeRead(path: string): string | null {
  try {
    return readTextFile(path);
  } catch {
    return null;
  }
}

export function pidAlive(pid: number): boolean {
  return pid > 0 && GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);
}

export function argvOf(pid: number | "self"): string[] {
  return (safeRead(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean);
}

export function parentPid(pid: number | "self"): number | null {
  const stat = safeRead(`/proc/${pid}/stat`);
  return stat === null ? null : parseStatParentPid(stat);
}

/** The live identity of `pid`, or null when it is gone or not ours to read. */
export function readIdentity(pid: number | "self"): ProcessIdentity | null {
  const stat = safeRead(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const startTime = parseStatStartTime(stat);
  let exe: string;
  try {
    exe = GLib.file_read_link(`/proc/${pid}/exe`);
  } catch {
    return null; // another user's process, or a zombie: not ours to act on
  }
  const argv = argvOf(pid);
  const realPid = pid === "self" ? Number(/^\d+/.exec(stat)?.[0]) : pid;
  if (startTime === null || argv.length === 0 || !Number.isInteger(realPid)) return null;
  return { pid: realPid, start_time: startTime, exe, argv };
}

function kill(pid: number, signal: "TERM" | "KILL"): void {
  // No kill(2) binding in gjs: the shell's builtin does it (always there, unlike procps' kill), with
  // the pid and signal as arguments, never spliced into the script.
  GLib.spawn_sync(null, ["/bin/sh", "-c", "kill -s \"$0\" \"$1\" 2>/dev/null", signal, String(pid)], null, GLib.SpawnFlags.DEFAULT, null);
}

/** Sends `signal` only while `recorded` is still the live process; returns whether it was sent. */
export function signalIfSame(recorded: ProcessIdentity, signal: "TERM" | "KILL"): boolean {
  if (!sameProcess(recorded, readIdentity(recorded.pid))) return false;
  kill(recorded.pid, signal);
  return true;
}

/**
 * SIGTERM, up to `graceMs` for the process to go, then SIGKILL — each step only while it is still the
 * recorded process. Resolves with what happened.
 */
export async function terminateIfSame(recorded: ProcessIdentity, graceMs = 3000): Promise<"not-ours" | "terminated" | "killed"> {
  if (!signalIfSame(recorded, "TERM")) return "not-ours";
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!sameProcess(recorded, readIdentity(recorded.pid))) return "terminated";
    await new Promise((r) => setTimeout(r, 50));
  }
  return signalIfSame(recorded, "KILL") ? "killed" : "terminated";
}

/** Every pid in /proc. */
export function allPids(): number[] {
  const out: number[] = [];
  const listing = Gio.File.new_for_path("/proc").enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
  for (let info = listing.next_file(null); info; info = listing.next_file(null)) {
    const name = info.get_name();
    if (/^\d+$/.test(name)) out.push(Number(name));
  }
  listing.close(null);
  return out;
}

/** The pid listening on 127.0.0.1/any :port, when it can be seen (our own user's processes). */
export function portHolder(port: number): number | null {
  const inodes = new Set([...listeningInodes(safeRead("/proc/net/tcp") ?? "", port), ...listeningInodes(safeRead("/proc/net/tcp6") ?? "", port)]);
  if (inodes.size === 0) return null;
  for (const pid of allPids()) {
    let fds: Gio.FileEnumerator;
    try {
      fds = Gio.File.new_for_path(`/proc/${pid}/fd`).enumerate_children("standard::name,standard::symlink-target", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    } catch {
      continue; // not ours to look at
    }
    try {
      for (let info = fds.next_file(null); info; info = fds.next_file(null)) {
        const inode = socketInode(info.get_symlink_target() ?? "");
        if (inode !== null && inodes.has(inode)) return pid;
      }
    } finally {
      fds.close(null);
    }
  }
  return null;
}

/** Every process whose environment carries `name=value` (the Codex sessions the launcher started). */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  return allPids().filter((pid) => safeRead(`/proc/${pid}/environ`)?.split("\0").includes(needle));
}
