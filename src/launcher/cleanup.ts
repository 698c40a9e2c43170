// Cleans up processes a previous run of the launcher left behind (from pids.json), and nothing else:
// a pid is signalled only while /proc shows it is still the program we registered.
import GLib from "gi://GLib";
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import { EMPTY_REGISTRY, isStillOurs, parseRegistry } from "../lib/process-registry.js";

export function readCmdline(pid: number): string | null {
  try {
    return readTextFile(`/proc/${pid}/cmdline`);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  return GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);
}

/** Terminates stale registered processes; returns what was done, one line each, for the log. */
export async function cleanupStaleProcesses(paths: AppPaths, keepPids: readonly number[] = []): Promise<string[]> {
  const registry = parseRegistry(readTextFile(paths.pidsFile));
  const report: string[] = [];
  const kept = registry.processes.filter((p) => keepPids.includes(p.pid));
  for (const entry of registry.processes) {
    if (keepPids.includes(entry.pid)) continue;
    if (!isStillOurs(entry, readCmdline(entry.pid))) {
      report.push(`pid ${entry.pid} (${entry.role}) is gone or is no longer ours; forgotten`);
      continue;
    }
    GLib.spawn_command_line_sync(`kill -TERM ${entry.pid}`);
    for (let i = 0; i < 30 && alive(entry.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(entry.pid) && isStillOurs(entry, readCmdline(entry.pid))) GLib.spawn_command_line_sync(`kill -KILL ${entry.pid}`);
    report.push(`stopped stale ${entry.role} pid ${entry.pid}${entry.port ? ` (port ${entry.port})` : ""}`);
  }
  if (registry.processes.length > 0)
    writeFileAtomic(paths.pidsFile, `${JSON.stringify({ ...EMPTY_REGISTRY, processes: kept }, null, 2)}\n`, 0o644);
  return report;
}
