// The proxies this user's launchers started: each registers itself in <cache>/proxies/<pid>.json
// (identity, port) before it serves, and removes the file when it exits cleanly. Read here to adopt
// a proxy a previous launcher left running, or to stop stale ones — always by identity, never by a
// pid or a substring alone. The original app's pids.json is read too, but from it only its own proxy
// (translate-proxy.py) may be stopped; its Codex entries are never signalled.
import Gio from "gi://Gio";
import { readTextFile, removeFile } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import { isOriginalProxyArgv, isProcessIdentity, sameProcess, type ProcessIdentity } from "../lib/process-identity.js";
import { argvOf, readIdentity } from "../lib/processes.js";
import { parseRegistry } from "../lib/process-registry.js";

export interface RegisteredProxy {
  identity: ProcessIdentity;
  port: number;
  backend?: string;
  target_url?: string;
  started_at?: string;
  /** The registration file. */
  file: string;
}

function listDir(dir: string): string[] {
  const names: string[] = [];
  let listing: Gio.FileEnumerator;
  try {
    listing = Gio.File.new_for_path(dir).enumerate_children("standard::name", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  } catch {
    return names;
  }
  try {
    for (let info = listing.next_file(null); info; info = listing.next_file(null)) names.push(info.get_name());
  } finally {
    listing.close(null);
  }
  return names;
}

/**
 * Registered proxies that are still the processes that registered (same pid, start time, program).
 * Files of processes that are gone (or whose pid now names another program) are removed.
 */
export function liveRegisteredProxies(paths: AppPaths): RegisteredProxy[] {
  const live: RegisteredProxy[] = [];
  for (const name of listDir(paths.registryDir)) {
    if (!/^\d+\.json$/.test(name)) continue;
    const file = `${paths.registryDir}/${name}`;
    let entry: Record<string, unknown> | null = null;
    try {
      entry = JSON.parse(readTextFile(file) ?? "null") as Record<string, unknown> | null;
    } catch {
      entry = null;
    }
    const identity = entry && { pid: entry.pid, start_time: entry.start_time, exe: entry.exe, argv: entry.argv };
    if (!entry || !isProcessIdentity(identity) || typeof entry.port !== "number" || !sameProcess(identity, readIdentity(identity.pid))) {
      removeFile(file);
      continue;
    }
    live.push({ identity, port: entry.port, backend: entry.backend as string | undefined, target_url: entry.target_url as string | undefined,
      started_at: entry.started_at as string | undefined, file });
  }
  return live;
}

/** The original app's proxies still running per its pids.json (exact translate-proxy.py command lines). */
export function originalAppProxies(paths: AppPaths): ProcessIdentity[] {
  let text: string | null = null;
  try {
    text = readTextFile(paths.pidsFile);
  } catch {
    return [];
  }
  const out: ProcessIdentity[] = [];
  for (const entry of parseRegistry(text).processes) {
    if (entry.role !== "proxy") continue; // Codex entries: never ours to stop
    const live = readIdentity(entry.pid);
    if (live && isOriginalProxyArgv(argvOf(entry.pid))) out.push(live);
  }
  return out;
}
