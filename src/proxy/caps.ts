// The provider-caps.json format, and edits of it (the proxy's learning, the AI Monitor's Clear). Pure.

export interface CapsData {
  version: 1;
  entries: Record<string, { drop: string[]; learned_at: string }>;
}

export function capsKey(targetUrl: string, model: string): string {
  return `${targetUrl.replace(/\/+$/, "")}|${model}`;
}

export function parseCapsFile(text: string): CapsData {
  const data = JSON.parse(text) as Partial<CapsData>;
  if (!data || typeof data !== "object" || typeof data.entries !== "object" || data.entries === null || Array.isArray(data.entries))
    throw new Error("expected {\"version\": 1, \"entries\": {...}}");
  const entries: CapsData["entries"] = {};
  for (const [key, value] of Object.entries(data.entries)) {
    if (!value || !Array.isArray(value.drop) || typeof value.learned_at !== "string") throw new Error(`entry '${key}' is malformed`);
    entries[key] = { drop: value.drop.filter((d): d is string => typeof d === "string"), learned_at: value.learned_at };
  }
  return { version: 1, entries };
}

export function serializeCaps(data: CapsData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** The provider (endpoint URL) and model of an entry's key. */
export function splitCapsKey(key: string): { provider: string; model: string } {
  const at = key.lastIndexOf("|");
  return at < 0 ? { provider: key, model: "" } : { provider: key.slice(0, at), model: key.slice(at + 1) };
}

export interface CapsProviderSummary {
  provider: string;
  entries: { model: string; drop: string[]; learnedAt: string; expired: boolean }[];
}

/** What provider-caps.json holds, per provider (the AI Monitor window lists it). */
export function capsByProvider(data: CapsData, nowMs: number, ttlMs = CAPS_TTL_MS): CapsProviderSummary[] {
  const byProvider = new Map<string, CapsProviderSummary>();
  for (const [key, entry] of Object.entries(data.entries)) {
    const { provider, model } = splitCapsKey(key);
    let summary = byProvider.get(provider);
    if (!summary) byProvider.set(provider, summary = { provider, entries: [] });
    summary.entries.push({ model, drop: entry.drop, learnedAt: entry.learned_at, expired: nowMs - Date.parse(entry.learned_at) > ttlMs });
  }
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}

/** `data` without any entry of `provider`. */
export function withoutProvider(data: CapsData, provider: string): CapsData {
  const entries = Object.fromEntries(Object.entries(data.entries).filter(([key]) => splitCapsKey(key).provider !== provider));
  return { version: 1, entries };
}

/** `data` without `quirks` in the entry `key` (the entry goes when nothing is left). */
export function withoutQuirksOf(data: CapsData, key: string, quirks: readonly string[]): CapsData {
  const entry = data.entries[key];
  if (!entry) return data;
  const drop = entry.drop.filter((q) => !quirks.includes(q));
  const entries = { ...data.entries };
  if (drop.length === 0) delete entries[key];
  else entries[key] = { ...entry, drop };
  return { version: 1, entries };
}

/** Lessons are kept a day: providers change, and a lesson that is no longer true costs a request. */
export const CAPS_TTL_MS = 24 * 3600 * 1000;
