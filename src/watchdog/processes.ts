// /proc lookups for the watchdog: who holds a port, Codex processes launched by us, memory.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { readTextFile } from "../lib/files.js";
import { readRssMb } from "../lib/proc.js";
import { isCodexArgv, listeningInodes, socketInode } from "../lib/proc-net.js";

function pids(): number[] {
  const out: number[] = [];
  const listing = Gio.File.new_for_path("/proc").enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
  for (let info = listing.next_file(null); info; info = listing.next_file(null)) {
    const name = info.get_name();
    if (/^\d+$/.test(name)) out.push(Number(name));
  }
  listing.close(null);
  return out;
}

function safeRead(path: string): string | null {
  try {
    return readTextFile(path);
  } catch {
    return null;
  }
}

export const rssMb = (pid: number): number | null => readRssMb(pid);

export function argvOf(pid: number): string[] {
  return (safeRead(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean);
}

export function cmdline(pid: number): string {
  return argvOf(pid).join(" ");
}

/** The pid listening on 127.0.0.1/any :port, when it can be seen (our own user's processes). */
export function portHolder(port: number): number | null {
  const inodes = new Set([...listeningInodes(safeRead("/proc/net/tcp") ?? "", port), ...listeningInodes(safeRead("/proc/net/tcp6") ?? "", port)]);
  if (inodes.size === 0) return null;
  for (const pid of pids()) {
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

/** Every process whose environment carries CODEX_LAUNCHER_SESSION=<id>: the terminal's shell, Codex, its helpers. */
export function sessionPids(sessionId: string): number[] {
  const needle = `CODEX_LAUNCHER_SESSION=${sessionId}`;
  return pids().filter((pid) => safeRead(`/proc/${pid}/environ`)?.split("\0").includes(needle));
}

/** The Codex we launched in that session (not the shell around it, not Codex's background daemon). */
export function codexSessionPids(sessionId: string): number[] {
  return sessionPids(sessionId).filter((pid) => isCodexArgv(argvOf(pid)));
}

export function signalPid(pid: number, signal: "TERM" | "KILL"): void {
  GLib.spawn_command_line_sync(`kill -${signal} ${pid}`);
}

export function pidAlive(pid: number): boolean {
  return GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);
}
