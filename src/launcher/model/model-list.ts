// The endpoint editor's model list tools: Bulk Add (with the original's normalisation), Sync from
// preset, Sort A–Z. Pure.

/**
 * The original's Bulk Add normalisation of one id: lower-cased, `/` → `-`, `+` → `plus` (ids as some
 * gateways spell them). Surrounding quotes and whitespace, as pasted from JSON or a web page, go too.
 */
export function normaliseModelId(raw: string): string {
  return raw.trim().replace(/^["'`]+|["'`]+$/g, "").trim().toLowerCase().replace(/\//g, "-").replace(/\+/g, "plus");
}

/**
 * The ids in a pasted text: separated by commas or new lines (the original's rule), each trimmed and,
 * when `normalise` is on, normalised; empty entries and repeats dropped, order kept.
 */
export function parseBulkModels(text: string, normalise = true): string[] {
  const out: string[] = [];
  for (const part of text.split(/[,\n\r]+/)) {
    const id = normalise ? normaliseModelId(part) : part.trim().replace(/^["'`]+|["'`]+$/g, "").trim();
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** `existing` plus the new ids of `added`, and how many were new. */
export function mergeModels(existing: readonly string[], added: readonly string[]): { models: string[]; added: number } {
  const models = [...existing];
  let count = 0;
  for (const id of added)
    if (!models.includes(id)) {
      models.push(id);
      count++;
    }
  return { models, added: count };
}

/** A–Z, ignoring case, with numbers in their natural order (glm-4.7 before glm-5). */
export function sortModels(models: readonly string[]): string[] {
  return [...models].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base", numeric: true }) || a.localeCompare(b));
}

/**
 * Sync from preset: the preset's models that the list lacks are added (a model the user added stays).
 * Returns the list and what was added, for the status line.
 */
export function syncFromPreset(existing: readonly string[], presetModels: readonly string[]): { models: string[]; added: string[] } {
  const added = presetModels.filter((m) => !existing.includes(m));
  return { models: [...existing, ...added], added };
}
