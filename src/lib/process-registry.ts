// pids.json as the original app (and 4.0.0) wrote it. Read only: this app registers its proxies by
// identity (launcher/proxy-registry.ts); from this file only the original's own proxy may ever be
// stopped, after an exact command-line check. Pure.

export interface RegisteredProcess {
  pid: number;
  role: "proxy" | "codex";
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
        !!p && typeof p.pid === "number" && (p.role === "proxy" || p.role === "codex")) };
    // The original app's shape: {"proxy": {"pid", "pgid", "ts"}, "codex": {...}}
    const out: RegisteredProcess[] = [];
    for (const [role, value] of Object.entries(data)) {
      const v = value as { pid?: number; ts?: number };
      if ((role === "proxy" || role === "codex") && typeof v?.pid === "number")
        out.push({ pid: v.pid, role, started_at: new Date((v.ts ?? 0) * 1000).toISOString() });
    }
    return { version: 1, processes: out };
  } catch {
    return EMPTY_REGISTRY; // a broken registry only means nothing to clean up
  }
}
