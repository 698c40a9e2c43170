// Usage accounting on disk: each request is one JSON line in requests.log at once, and is added to
// usage-stats.json in batches, at most every 5 s. A batch is applied to the file as it is on disk just
// then (read, add, write atomically), so a second proxy (an endpoint test next to the running one)
// adds its requests instead of overwriting the other's. A file that cannot be read is kept aside.
import GLib from "gi://GLib";
import { readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import type { LogFile } from "../lib/log-file.js";
import { applyUsageRecords, emptyUsageStats, parseUsageStats, requestLogLine, serializeUsageStats, UsageStatsFormatError, type UsageRecord,
  type UsageStats } from "../lib/usage-stats.js";
import { formatLogLine } from "./log-lines.js";
import type { UsageSink } from "./routes/responses.js";

export const USAGE_FLUSH_INTERVAL_MS = 5000;

export class UsageRecorder implements UsageSink {
  #pending: UsageRecord[] = [];
  #timer = 0;
  #lastFlushMs = 0;
  #failed = false;

  constructor(readonly statsPath: string, private readonly requestsLog: LogFile, private readonly log: LogFile,
    private readonly intervalMs = USAGE_FLUSH_INTERVAL_MS) {}

  record(record: UsageRecord): void {
    this.requestsLog.writeRecord(requestLogLine(record));
    this.#pending.push(record);
    if (this.#timer) return;
    // The first record after a quiet spell is written at once; then no more often than the interval.
    const wait = Math.max(0, this.#lastFlushMs + this.intervalMs - Date.now());
    this.#timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, wait, () => {
      this.#timer = 0;
      this.flush();
      return GLib.SOURCE_REMOVE;
    });
  }

  /** Writes what is pending now (the proxy calls it once more before it exits). */
  flush(): void {
    if (this.#timer) GLib.source_remove(this.#timer);
    this.#timer = 0;
    if (this.#pending.length === 0) return;
    const records = this.#pending;
    this.#pending = [];
    this.#lastFlushMs = Date.now();
    try {
      writeFileAtomic(this.statsPath, serializeUsageStats(applyUsageRecords(this.#read(), records, Date.now())), 0o600);
      this.#failed = false;
    } catch (e) {
      // Kept for the next flush rather than lost; said once.
      this.#pending = records.concat(this.#pending);
      if (!this.#failed) this.log.write(formatLogLine(null, "usage", { state: "write_failed" }, { message: (e as Error).message }));
      this.#failed = true;
    }
  }

  #read(): UsageStats {
    const text = readTextFile(this.statsPath);
    if (text === null || text.trim() === "") return emptyUsageStats();
    try {
      return parseUsageStats(text);
    } catch (e) {
      if (!(e instanceof UsageStatsFormatError)) throw e;
      const aside = setAside(this.statsPath);
      this.log.write(formatLogLine(null, "usage", { state: "corrupt" }, { message: `${e.message}; kept as ${aside}` }));
      return emptyUsageStats();
    }
  }
}
