// The GLib side of a pool's router: bgp-route-stats.json written atomically after each change (at most
// every 250 ms, and again when an open or cooling route comes back, so the file says "half-open" on
// time), the state lines in proxy.log, and what an earlier proxy learned picked up at start.
import GLib from "gi://GLib";
import { readTextFile, setAside, writeFileAtomic } from "../../lib/files.js";
import type { LogFile } from "../../lib/log-file.js";
import { parseRouteStats, serializeRouteStats, type RouteStatsFile } from "../../lib/route-stats.js";
import { formatLogLine } from "../log-lines.js";
import type { PoolRouter, Transition } from "./router.js";

const WRITE_DELAY_MS = 250;

export class RouteStatsWriter {
  #writeTimer = 0;
  #wakeTimer = 0;

  constructor(readonly path: string, private readonly router: PoolRouter, private readonly log: LogFile) {}

  /** Reads the file an earlier proxy wrote (a corrupt one is kept aside) and writes the current state. */
  start(): void {
    this.router.restore(this.#read());
    this.#write();
  }

  /** After an outcome: lines for what changed, and a write soon. */
  changed(): void {
    this.#logTransitions();
    if (!this.#writeTimer)
      this.#writeTimer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, WRITE_DELAY_MS, () => {
        this.#writeTimer = 0;
        this.#write();
        return GLib.SOURCE_REMOVE;
      });
  }

  /** Writes now (at exit). */
  flush(): void {
    if (this.#writeTimer) GLib.source_remove(this.#writeTimer);
    this.#writeTimer = 0;
    this.#write();
  }

  #read(): RouteStatsFile {
    let text: string | null;
    try {
      text = readTextFile(this.path);
    } catch {
      return {};
    }
    if (!text || !text.trim()) return {};
    try {
      return parseRouteStats(text);
    } catch (e) {
      const aside = setAside(this.path);
      this.log.write(formatLogLine(null, "usage", { state: "corrupt" }, { message: `${this.path}: ${(e as Error).message}; kept as ${aside}` }));
      return {};
    }
  }

  #write(): void {
    // Other pools' entries (another proxy's, or an earlier pool's) stay as they are.
    const others = Object.fromEntries(Object.entries(this.#read()).filter(([, e]) => e.pool !== this.router.pool));
    try {
      writeFileAtomic(this.path, serializeRouteStats({ ...others, ...this.router.snapshot() }), 0o600);
    } catch (e) {
      this.log.write(formatLogLine(null, "usage", { state: "write_failed" }, { message: `${this.path}: ${(e as Error).message}` }));
    }
    this.#scheduleWake();
  }

  /** A timer for the moment the next open or cooling route may take traffic again. */
  #scheduleWake(): void {
    if (this.#wakeTimer) GLib.source_remove(this.#wakeTimer);
    this.#wakeTimer = 0;
    const now = Date.now();
    const next = this.router.views().map((v) => v.availableAtMs).filter((t): t is number => t !== null && t > now);
    if (next.length === 0) return;
    this.#wakeTimer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, Math.min(...next) - now + 10, () => {
      this.#wakeTimer = 0;
      this.#logTransitions();
      this.#write();
      return GLib.SOURCE_REMOVE;
    });
  }

  #logTransitions(): void {
    for (const t of this.router.transitions()) this.log.write(transitionLine(this.router.pool, t));
  }
}

/** The proxy.log line of a route or pool change; names are the user's, so they are quoted. */
export function transitionLine(pool: string, t: Transition): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (t.kind) {
    case "opened":
      return formatLogLine(null, "route_open", { failures: t.failures, until: iso(t.untilMs) }, { pool, route: t.route });
    case "half_open":
      return formatLogLine(null, "route_half_open", {}, { pool, route: t.route });
    case "closed":
      return formatLogLine(null, "route_closed", {}, { pool, route: t.route });
    case "cooling":
      return formatLogLine(null, "route_cooldown", { until: iso(t.untilMs) }, { pool, route: t.route });
    case "exhausted":
      return formatLogLine(null, "pool_exhausted", { open: t.open, cooling: t.cooling, retry_after_s: Math.ceil(t.retryAfterMs / 1000) }, { pool });
    case "recovered":
      return formatLogLine(null, "pool_recovered", {}, { pool });
  }
}
