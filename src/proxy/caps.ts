// The provider-caps.json format. Pure.

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
