// Tier 2: the incident store (incident-store.json, the original's shape). Pure: parse, look up,
// record verified outcomes, LRU-bound, serialize. Persistence lives in incident-file.ts.
import type { ActionId } from "./rules.js";

export interface Incident {
  fault_ids: string[];
  fix: string;
  /** tier1_rule | tier3_ai | user */
  source: string;
  success_count: number;
  fail_count: number;
  last_seen: string;
  occurrences: number;
  auto_applied: number;
}

export interface IncidentStats {
  ai_calls: number;
  tokens_used: number;
  cost_usd: number;
  /** "YYYY-MM" the cost figure belongs to (the budget is monthly). */
  month: string;
  cost_month_usd: number;
}

export interface IncidentStoreData {
  version: 1;
  incidents: Record<string, Incident>;
  stats: IncidentStats;
}

export const MAX_INCIDENTS = 500;
export const SUCCESS_THRESHOLD = 0.7;
export const MIN_SAMPLES = 2;

export function emptyStore(): IncidentStoreData {
  return { version: 1, incidents: {}, stats: { ai_calls: 0, tokens_used: 0, cost_usd: 0, month: "", cost_month_usd: 0 } };
}

export class IncidentFormatError extends Error {
  override name = "IncidentFormatError";
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function parseIncidentStore(text: string): IncidentStoreData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new IncidentFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new IncidentFormatError("the top level must be an object");
  const data = raw as Record<string, unknown>;
  const incidents = data.incidents ?? {};
  if (typeof incidents !== "object" || incidents === null || Array.isArray(incidents)) throw new IncidentFormatError("\"incidents\" must be an object");
  const out = emptyStore();
  for (const [pattern, value] of Object.entries(incidents as Record<string, Record<string, unknown>>)) {
    if (!value || typeof value !== "object") continue;
    out.incidents[pattern] = {
      fault_ids: Array.isArray(value.fault_ids) ? value.fault_ids.filter((f): f is string => typeof f === "string") : [],
      fix: typeof value.fix === "string" ? value.fix : "alert_user",
      source: typeof value.source === "string" ? value.source : "tier1_rule",
      success_count: num(value.success_count),
      fail_count: num(value.fail_count),
      last_seen: typeof value.last_seen === "string" ? value.last_seen : new Date(0).toISOString(),
      occurrences: num(value.occurrences),
      auto_applied: num(value.auto_applied),
    };
  }
  const stats = (data.stats ?? {}) as Record<string, unknown>;
  out.stats = { ai_calls: num(stats.ai_calls), tokens_used: num(stats.tokens_used), cost_usd: num(stats.cost_usd),
    month: typeof stats.month === "string" ? stats.month : "", cost_month_usd: num(stats.cost_month_usd) };
  return out;
}

export function serializeIncidentStore(data: IncidentStoreData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Pattern = sorted signal categories plus the HTTP status, e.g. "server_error+http_500". */
export function incidentPattern(categories: readonly string[], httpStatus?: number): string {
  const parts = [...new Set(categories)].sort();
  if (httpStatus) parts.push(`http_${httpStatus}`);
  return parts.join("+");
}

export function successRate(i: Incident): number {
  const total = i.success_count + i.fail_count;
  return total === 0 ? 0 : i.success_count / total;
}

/** A known fix worth applying without asking the AI: verified often enough, and usually successful. */
export function knownFix(data: IncidentStoreData, pattern: string): { fix: ActionId; rate: number } | null {
  const incident = data.incidents[pattern];
  if (!incident) return null;
  const samples = incident.success_count + incident.fail_count;
  const rate = successRate(incident);
  if (samples < MIN_SAMPLES || rate <= SUCCESS_THRESHOLD) return null;
  return { fix: incident.fix as ActionId, rate };
}

/** Counts an occurrence (before any fix is known to work). */
export function noteOccurrence(data: IncidentStoreData, pattern: string, faultIds: readonly string[], nowIso: string): IncidentStoreData {
  const existing = data.incidents[pattern];
  const incident: Incident = existing
    ? { ...existing, occurrences: existing.occurrences + 1, last_seen: nowIso, fault_ids: [...new Set([...existing.fault_ids, ...faultIds])] }
    : { fault_ids: [...new Set(faultIds)], fix: "alert_user", source: "tier1_rule", success_count: 0, fail_count: 0, last_seen: nowIso, occurrences: 1, auto_applied: 0 };
  return evictLru({ ...data, incidents: { ...data.incidents, [pattern]: incident } });
}

/** Below this success rate (with enough samples) a fix is not repeated for the pattern. */
export const FAILURE_THRESHOLD = 0.3;

/** The fix `fix` keeps failing for `pattern`: not worth repeating. */
export function failingFix(data: IncidentStoreData, pattern: string, fix: string): { samples: number; failed: number } | null {
  const incident = data.incidents[pattern];
  if (!incident || incident.fix !== fix) return null;
  const samples = incident.success_count + incident.fail_count;
  if (samples < MIN_SAMPLES || successRate(incident) >= FAILURE_THRESHOLD) return null;
  return { samples, failed: incident.fail_count };
}

/**
 * Records the verified outcome of a fix. A different fix replaces the stored one only when the
 * stored one is not doing well (so one lucky answer cannot displace a proven fix).
 */
export function recordOutcome(data: IncidentStoreData, pattern: string, fix: string, source: string, success: boolean, nowIso: string,
  autoApplied: boolean): IncidentStoreData {
  const existing = data.incidents[pattern] ?? { fault_ids: [], fix, source, success_count: 0, fail_count: 0, last_seen: nowIso, occurrences: 1, auto_applied: 0 };
  let incident: Incident;
  if (existing.fix === fix || existing.success_count + existing.fail_count === 0 || successRate(existing) <= SUCCESS_THRESHOLD && success) {
    const same = existing.fix === fix;
    incident = {
      ...existing,
      fix,
      source: same ? existing.source : source,
      success_count: (same ? existing.success_count : 0) + (success ? 1 : 0),
      fail_count: (same ? existing.fail_count : 0) + (success ? 0 : 1),
      last_seen: nowIso,
      auto_applied: existing.auto_applied + (autoApplied ? 1 : 0),
    };
  } else {
    incident = { ...existing, last_seen: nowIso };
  }
  return evictLru({ ...data, incidents: { ...data.incidents, [pattern]: incident } });
}

/** Keeps the `max` most recently seen patterns. */
export function evictLru(data: IncidentStoreData, max = MAX_INCIDENTS): IncidentStoreData {
  const entries = Object.entries(data.incidents);
  if (entries.length <= max) return data;
  entries.sort((a, b) => b[1].last_seen.localeCompare(a[1].last_seen));
  return { ...data, incidents: Object.fromEntries(entries.slice(0, max)) };
}

/** Adds an AI call's real usage and cost; the monthly figure restarts each month. */
export function recordAiUsage(data: IncidentStoreData, tokens: number, costUsd: number, month: string): IncidentStoreData {
  const sameMonth = data.stats.month === month;
  return { ...data, stats: {
    ai_calls: data.stats.ai_calls + 1,
    tokens_used: data.stats.tokens_used + tokens,
    cost_usd: data.stats.cost_usd + costUsd,
    month,
    cost_month_usd: (sameMonth ? data.stats.cost_month_usd : 0) + costUsd,
  } };
}

export function costThisMonth(data: IncidentStoreData, month: string): number {
  return data.stats.month === month ? data.stats.cost_month_usd : 0;
}

/** The incident lines of the original window, newest first, with a 10-cell success bar. */
export function incidentLines(store: IncidentStoreData): string[] {
  const rows = Object.entries(store.incidents).sort((a, b) => b[1].last_seen.localeCompare(a[1].last_seen));
  return rows.map(([pattern, i]) => {
    const rate = successRate(i);
    const cells = Math.min(10, Math.round(rate * 10));
    return `[${i.last_seen.slice(0, 16)}] ${pattern} (${i.fault_ids.join(", ")})\n   fix=${i.fix} success_rate=${Math.round(rate * 100)}% [${"+".repeat(cells)}${"-".repeat(10 - cells)}] seen=${i.occurrences}x`;
  });
}
