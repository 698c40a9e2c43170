// pids.json: the processes this app started, so stale ones can be cleaned up after a crash, and only
// those: a pid is acted on only when /proc still shows our program behind it (pids get reused). Pure.

export interface RegisteredProcess {
  pid: number;
  role: "proxy" | "codex";
  /** A string that must appear in /proc/<pid>/cmdline (or environ) for the pid to still be ours. */
  marker: string;
  started_at: string;
  port?: number;
}

export interface Registry {
  version: 1;
  processes: RegisteredProcess[];
}

export const EMPTY_REGISTRY: Registry = { version: 1, processes: [] };

export function parseRegistry(text: string | null): Registry {
  if (!text) return EMPTY_REGISTRY;
  try {
    const data = JSON.parse(text) as Partial<Registry> & Record<string, unknown>;
    if (Array.isArray(data.processes))
      return { version: 1, processes: data.processes.filter((p): p is RegisteredProcess =>
        !!p && typeof p.pid === "number" && typeof p.marker === "string" && (p.role === "proxy" || p.role === "codex")) };
    // The original app's shape: {"proxy": {"pid", "pgid", "ts"}, ...}
    const out: RegisteredProcess[] = [];
    for (const [role, value] of Object.entries(data)) {
      const v = value as { pid?: number; ts?: number };
      if ((role === "proxy" || role === "codex") && typeof v?.pid === "number")
        out.push({ pid: v.pid, role, marker: role === "proxy" ? "translate-proxy" : "codex", started_at: new Date((v.ts ?? 0) * 1000).toISOString() });
    }
    return { version: 1, processes: out };
  } catch {
    return EMPTY_REGISTRY; // a broken registry only means nothing to clean up
  }
}

export function withProcess(registry: Registry, entry: RegisteredProcess): Registry {
  return { version: 1, processes: [...registry.processes.filter((p) => p.pid !== entry.pid), entry] };
}

export function withoutPid(registry: Registry, pid: number): Registry {
  return { version: 1, processes: registry.processes.filter((p) => p.pid !== pid) };
}

/** True when the NUL-separated cmdline still belongs to the registered program. */
export function isStillOurs(entry: RegisteredProcess, cmdline: string | null): boolean {
  if (cmdline === null || cmdline === "") return false;
  return cmdline.split("\0").some((arg) => arg.includes(entry.marker));
}
