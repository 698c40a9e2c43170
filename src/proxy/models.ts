// The model list served on GET /v1/models. Pure.

/** Accepts ["a","b"], {"models": [...]}, {"data": [{"id": ...}]} or [{"id"|"name": ...}]. */
export function parseModelsFile(text: string, source: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`models file ${source} is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(data) ? data
    : data && typeof data === "object" ? ((data as Record<string, unknown>).models ?? (data as Record<string, unknown>).data) : null;
  if (!Array.isArray(list)) throw new Error(`models file ${source} must hold a list of models`);
  const names = list.map((m) => (typeof m === "string" ? m : m && typeof m === "object" ? (m as Record<string, unknown>).id ?? (m as Record<string, unknown>).name : null));
  return [...new Set(names.filter((n): n is string => typeof n === "string" && n.trim() !== ""))];
}

export function modelsDocument(models: readonly string[], createdAt: number) {
  return { object: "list", data: models.map((id) => ({ id, object: "model", created: createdAt, owned_by: "codex-launcher" })) };
}
