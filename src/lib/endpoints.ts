// The endpoints.json model of the original app, with validation and edits. Pure.
// Sections and fields this version does not know (ai_monitoring, bgp pools, prompt_enhancer, ...) are
// carried through untouched when saving.
import { MAX_SILENCE_S, validBound, type SilenceOverrides } from "../proxy/silence.js";
import { BACKEND_TYPES, type BackendType } from "./backend-types.js";

export interface Endpoint {
  name: string;
  backend_type: BackendType;
  base_url: string;
  /** Empty in the file once the key lives in the keyring (or the 0600 fallback file). */
  api_key: string;
  default_model: string;
  models: string[];
  provider_preset: string;
  /** Seconds this provider may take before the first byte of an answer (overrides the per-model default). */
  first_byte_timeout_s?: number;
  /** Seconds of silence inside an answer before it fails (overrides the per-model default). */
  idle_timeout_s?: number;
  /** Anything else the original or a newer version wrote for this endpoint. */
  [extra: string]: unknown;
}

export interface EndpointsDoc {
  default: string | null;
  endpoints: Endpoint[];
  /** Other top-level sections (ai_monitoring, ...), kept as they were. */
  [section: string]: unknown;
}

export class EndpointsFormatError extends Error {
  override name = "EndpointsFormatError";
}

export const EMPTY_DOC: EndpointsDoc = { default: null, endpoints: [] };

function str(value: unknown, field: string, index: number): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new EndpointsFormatError(`endpoints[${index}].${field} must be a string`);
  return value;
}

/** `poolNames`: BGP pools the default may name instead of an endpoint (bgp-pools.json). */
export function parseEndpoints(text: string, poolNames: readonly string[] = []): EndpointsDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EndpointsFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new EndpointsFormatError("the top level must be a JSON object");
  const doc = raw as Record<string, unknown>;
  const list = doc.endpoints ?? [];
  if (!Array.isArray(list)) throw new EndpointsFormatError("\"endpoints\" must be a list");
  const seen = new Set<string>();
  const endpoints = list.map((item, index): Endpoint => {
    if (!item || typeof item !== "object" || Array.isArray(item)) throw new EndpointsFormatError(`endpoints[${index}] must be an object`);
    const e = item as Record<string, unknown>;
    const name = str(e.name, "name", index).trim();
    if (!name) throw new EndpointsFormatError(`endpoints[${index}] has no name`);
    if (seen.has(name)) throw new EndpointsFormatError(`two endpoints are named '${name}'`);
    seen.add(name);
    const backend = str(e.backend_type, "backend_type", index) || "openai-compat";
    if (!(BACKEND_TYPES as readonly string[]).includes(backend)) throw new EndpointsFormatError(`endpoint '${name}' has unknown backend_type '${backend}'`);
    const models = e.models ?? [];
    if (!Array.isArray(models) || models.some((m) => typeof m !== "string")) throw new EndpointsFormatError(`endpoint '${name}': models must be a list of strings`);
    for (const key of SILENCE_KEYS)
      if (e[key] !== undefined && validBound(e[key]) === undefined)
        throw new EndpointsFormatError(`endpoint '${name}': ${key} must be a whole number of seconds from 1 to ${MAX_SILENCE_S}`);
    return {
      ...e,
      name,
      backend_type: backend as BackendType,
      base_url: str(e.base_url, "base_url", index),
      api_key: str(e.api_key, "api_key", index),
      default_model: str(e.default_model, "default_model", index),
      models: [...(models as string[])],
      provider_preset: str(e.provider_preset, "provider_preset", index) || "Custom",
    };
  });
  const def = doc.default;
  if (def !== undefined && def !== null && typeof def !== "string") throw new EndpointsFormatError("\"default\" must be an endpoint name or null");
  const known = endpoints.some((e) => e.name === def) || (typeof def === "string" && poolNames.includes(def));
  return { ...doc, default: known ? (def as string) : endpoints[0]?.name ?? null, endpoints };
}

/** The per-endpoint overrides of the silence bounds (src/proxy/silence.ts has the defaults table). */
const SILENCE_KEYS = ["first_byte_timeout_s", "idle_timeout_s"] as const;

export function endpointSilence(e: Endpoint): SilenceOverrides {
  return { firstByteS: validBound(e.first_byte_timeout_s), idleS: validBound(e.idle_timeout_s) };
}

export function serializeEndpoints(doc: EndpointsDoc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Problems that stop an endpoint from being saved, in the words the edit dialog shows. */
export function validateEndpoint(e: Endpoint, others: readonly Endpoint[]): string[] {
  const problems: string[] = [];
  if (!e.name.trim()) problems.push("Give the endpoint a name.");
  else if (others.some((o) => o.name === e.name.trim())) problems.push(`An endpoint named '${e.name.trim()}' already exists.`);
  if (!/^https?:\/\/[^\s/]+/i.test(e.base_url.trim())) problems.push("The base URL must start with http:// or https://.");
  if (e.models.length === 0) problems.push("Add at least one model (or fetch them from the provider).");
  else if (e.default_model && !e.models.includes(e.default_model)) problems.push("The default model must be one of the models.");
  return problems;
}

/** Inserts or replaces (by original name) an endpoint; the first endpoint becomes the default. */
export function upsertEndpoint(doc: EndpointsDoc, endpoint: Endpoint, originalName?: string): EndpointsDoc {
  const clean: Endpoint = { ...endpoint, name: endpoint.name.trim(), base_url: endpoint.base_url.trim().replace(/\/+$/, "") };
  if (!clean.default_model && clean.models.length > 0) clean.default_model = clean.models[0];
  const target = originalName ?? clean.name;
  const index = doc.endpoints.findIndex((e) => e.name === target);
  const endpoints = [...doc.endpoints];
  if (index >= 0) endpoints[index] = clean;
  else endpoints.push(clean);
  let def = doc.default;
  if (def === null) def = endpoints[0].name;
  else if (def === target) def = clean.name; // a renamed default stays the default
  return { ...doc, endpoints, default: def };
}

export function removeEndpoint(doc: EndpointsDoc, name: string): EndpointsDoc {
  const endpoints = doc.endpoints.filter((e) => e.name !== name);
  const def = doc.default === name ? endpoints[0]?.name ?? null : doc.default;
  return { ...doc, endpoints, default: def };
}

/** `poolNames`: the default may also be one of these BGP pools. */
export function setDefaultEndpoint(doc: EndpointsDoc, name: string, poolNames: readonly string[] = []): EndpointsDoc {
  if (!doc.endpoints.some((e) => e.name === name) && !poolNames.includes(name)) throw new EndpointsFormatError(`no endpoint or pool named '${name}'`);
  return { ...doc, default: name };
}

/** "Name (copy)", "Name (copy 2)", ... — the first free one. */
export function duplicateName(doc: EndpointsDoc, name: string): string {
  const taken = new Set(doc.endpoints.map((e) => e.name));
  let candidate = `${name} (copy)`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} (copy ${n})`;
  return candidate;
}

export function duplicateEndpoint(doc: EndpointsDoc, name: string): { doc: EndpointsDoc; copy: Endpoint } {
  const source = doc.endpoints.find((e) => e.name === name);
  if (!source) throw new EndpointsFormatError(`no endpoint named '${name}'`);
  const copy: Endpoint = { ...JSON.parse(JSON.stringify(source)), name: duplicateName(doc, name) };
  return { doc: { ...doc, endpoints: [...doc.endpoints, copy] }, copy };
}

/** The model to preselect for an endpoint. */
export function preferredModel(e: Endpoint): string {
  return e.default_model || e.models[0] || "";
}
