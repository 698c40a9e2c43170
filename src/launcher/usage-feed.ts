// usage-stats.json and bgp-route-stats.json as the proxy writes them, followed with a Gio file monitor
// on their directory (the proxy replaces them by rename; no polling). The Usage and AI BGP windows and
// the budget alerts listen here. The files are the proxy's: one that does not parse is left alone (the
// proxy keeps it aside itself) and the last good reading stays.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { readTextFile } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import { parseRouteStats, type RouteStatsFile } from "../lib/route-stats.js";
import { emptyUsageStats, parseUsageStats, type UsageStats } from "../lib/usage-stats.js";

/** Events arriving within this long are read once. */
const SETTLE_MS = 60;

export class UsageFeed {
  usage: UsageStats = emptyUsageStats();
  routes: RouteStatsFile = {};
  /** Why the last reading of a file failed, if it did. */
  error: string | null = null;
  /** How many times the files were read (specs wait for a new reading). */
  readings = 0;
  #monitor: Gio.FileMonitor | null = null;
  #timer = 0;
  #listeners = new Set<() => void>();

  constructor(private readonly paths: AppPaths) {}

  /** Starts following the files (on the first listener) and reads them now. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (!this.#monitor) {
      this.#start();
      this.reload();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #start(): void {
    GLib.mkdir_with_parents(this.paths.cacheDir, 0o700);
    const watched = new Set([this.paths.usageStats, this.paths.routeStats]);
    this.#monitor = Gio.File.new_for_path(this.paths.cacheDir).monitor_directory(Gio.FileMonitorFlags.WATCH_MOVES, null);
    this.#monitor.connect("changed", (_m, file: Gio.File, other: Gio.File | null) => {
      if (!watched.has(file.get_path() ?? "") && !watched.has(other?.get_path() ?? "")) return;
      if (this.#timer) return;
      this.#timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, SETTLE_MS, () => {
        this.#timer = 0;
        this.reload();
        return GLib.SOURCE_REMOVE;
      });
    });
  }

  #stop(): void {
    this.#monitor?.cancel();
    this.#monitor = null;
    if (this.#timer) GLib.source_remove(this.#timer);
    this.#timer = 0;
  }

  /** Reads both files and tells the listeners. */
  reload(): void {
    this.error = null;
    try {
      const usage = readTextFile(this.paths.usageStats);
      this.usage = usage && usage.trim() ? parseUsageStats(usage) : emptyUsageStats();
    } catch (e) {
      this.error = `${this.paths.usageStats}: ${(e as Error).message}`;
    }
    try {
      const routes = readTextFile(this.paths.routeStats);
      this.routes = routes && routes.trim() ? parseRouteStats(routes) : {};
    } catch (e) {
      this.error = `${this.paths.routeStats}: ${(e as Error).message}`;
    }
    this.readings++;
    for (const listener of [...this.#listeners]) listener();
  }
}
