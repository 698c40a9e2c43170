// Codex's model catalog (`model_catalog_json`): entries that give a model name Codex does not know the
// metadata of a known coding model, so Codex offers it apply_patch and sensible defaults. Pure.

export interface CatalogEntry {
  slug: string;
  display_name?: string;
  description?: string;
  [key: string]: unknown;
}

export interface Catalog {
  models: CatalogEntry[];
}

/** The bundled entry new entries are copied from: a full coding model that is not "responses lite". */
export const TEMPLATE_SLUG = "gpt-5.5";

export function pickTemplate(bundled: Catalog): CatalogEntry {
  const usable = bundled.models.filter((m) => m.use_responses_lite !== true);
  const template = usable.find((m) => m.slug === TEMPLATE_SLUG)
    ?? usable.find((m) => m.apply_patch_tool_type === "freeform")
    ?? usable[0];
  if (!template) throw new Error("the bundled Codex model catalog has no usable entry to copy");
  return template;
}

/**
 * A catalog with one entry per model served through the proxy. Names Codex already knows keep their
 * bundled entry; unknown names get a copy of the template under their own slug.
 */
export function buildModelCatalog(bundled: Catalog, models: readonly string[], providerName: string): Catalog {
  const template = pickTemplate(bundled);
  const known = new Map(bundled.models.map((m) => [m.slug, m]));
  const entries = [...new Set(models)].filter((m) => m.trim() !== "").map((slug, index): CatalogEntry => {
    const existing = known.get(slug);
    if (existing) return existing;
    return {
      ...structuredCloneJson(template),
      slug,
      display_name: slug,
      description: `${slug} via ${providerName} (Codex Launcher)`,
      visibility: "list",
      priority: index + 1,
      upgrade: null,
      availability_nux: null,
      use_responses_lite: false,
      // OpenAI-only speed tiers mean nothing to other providers.
      additional_speed_tiers: [],
      service_tiers: [],
    };
  });
  return { models: entries };
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
