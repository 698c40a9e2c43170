// Export / Import of the whole setup as one JSON file: endpoints.json (endpoints, default, the
// ai_monitoring section, the Codex session options, any other section such as pools), the BGP pools
// file when there is one, and — only when the user asks — the keys. Pure: building, validating and
// merging; the files and the key store are launcher/setup-transfer.ts's business.
import { EndpointsFormatError, parseEndpoints, type EndpointsDoc } from "../../lib/endpoints.js";

export const BUNDLE_FORMAT = "codex-launcher-setup";
export const BUNDLE_VERSION = 1;

export interface SetupBundle {
  format: typeof BUNDLE_FORMAT;
  version: number;
  exported_at: string;
  app_version: string;
  /** True when `keys` holds secrets (the file must then be kept private). */
  includes_keys: boolean;
  /** endpoints.json as it is, with every api_key field emptied (keys travel in `keys` only). */
  endpoints: EndpointsDoc;
  /** Secret-store accounts → secrets (`endpoint:<name>`, `ai_monitoring`); absent without keys. */
  keys?: Record<string, string>;
  /** The BGP pools file (`~/.codex/bgp-pools.json`) when there is one, keys removed unless included. */
  bgp_pools?: unknown;
}

export class BundleError extends Error {
  override name = "BundleError";
}

/** Accounts in the key store that belong to the setup. */
export const endpointAccount = (name: string) => `endpoint:${name}`;
export const MONITORING_ACCOUNT = "ai_monitoring";

/** Key fields as the original's files spell them, anywhere in a pools document. */
const KEY_FIELDS = new Set(["api_key", "apiKey", "key"]);

/** A deep copy without key fields (in pools: `api_key` of each route). */
function withoutKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeys);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !KEY_FIELDS.has(k)).map(([k, v]) => [k, withoutKeys(v)]));
  return value;
}

export function buildBundle(doc: EndpointsDoc, options: { keys: Record<string, string> | null; pools: unknown; appVersion: string; now: Date }): SetupBundle {
  const endpoints: EndpointsDoc = {
    ...JSON.parse(JSON.stringify(doc)),
    endpoints: doc.endpoints.map((e) => ({ ...JSON.parse(JSON.stringify(e)), api_key: "" })),
  };
  // A key the monitoring section itself carries (the original's file) is a key too.
  if (endpoints.ai_monitoring && typeof endpoints.ai_monitoring === "object") endpoints.ai_monitoring = withoutKeys(endpoints.ai_monitoring);
  const keys = options.keys ? Object.fromEntries(Object.entries(options.keys).filter(([, v]) => v)) : null;
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exported_at: options.now.toISOString(),
    app_version: options.appVersion,
    includes_keys: keys !== null,
    endpoints,
    ...(keys ? { keys } : {}),
    ...(options.pools !== null && options.pools !== undefined ? { bgp_pools: keys ? options.pools : withoutKeys(options.pools) } : {}),
  };
}

export function serializeBundle(bundle: SetupBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** The bundle in `text`, validated as a whole before anything is imported. */
export function parseBundle(text: string): SetupBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`not a JSON file: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new BundleError("the file does not hold a JSON object");
  const b = raw as Record<string, unknown>;
  if (b.format !== BUNDLE_FORMAT) throw new BundleError(`not a Codex Launcher setup file (format is ${JSON.stringify(b.format ?? null)}, expected "${BUNDLE_FORMAT}")`);
  if (typeof b.version !== "number" || b.version > BUNDLE_VERSION)
    throw new BundleError(`setup file version ${String(b.version)} is newer than this Codex Launcher understands (${BUNDLE_VERSION})`);
  if (!b.endpoints || typeof b.endpoints !== "object") throw new BundleError("the file has no endpoints section");
  let endpoints: EndpointsDoc;
  try {
    endpoints = parseEndpoints(JSON.stringify(b.endpoints));
  } catch (e) {
    if (e instanceof EndpointsFormatError) throw new BundleError(`its endpoints are not valid: ${e.message}`);
    throw e;
  }
  let keys: Record<string, string> | undefined;
  if (b.keys !== undefined) {
    if (!b.keys || typeof b.keys !== "object" || Array.isArray(b.keys) || Object.values(b.keys).some((v) => typeof v !== "string"))
      throw new BundleError("its keys section must map names to text");
    keys = b.keys as Record<string, string>;
    const known = new Set([MONITORING_ACCOUNT, ...endpoints.endpoints.map((e) => endpointAccount(e.name))]);
    const stray = Object.keys(keys).find((k) => !known.has(k));
    if (stray) throw new BundleError(`its keys section names '${stray}', which is not one of its endpoints`);
  }
  if (b.bgp_pools !== undefined && (b.bgp_pools === null || typeof b.bgp_pools !== "object"))
    throw new BundleError("its bgp_pools section must be a JSON object or list");
  return {
    format: BUNDLE_FORMAT,
    version: b.version,
    exported_at: typeof b.exported_at === "string" ? b.exported_at : "",
    app_version: typeof b.app_version === "string" ? b.app_version : "",
    includes_keys: keys !== undefined,
    endpoints,
    ...(keys ? { keys } : {}),
    ...(b.bgp_pools !== undefined ? { bgp_pools: b.bgp_pools } : {}),
  };
}

export interface MergeResult {
  doc: EndpointsDoc;
  added: string[];
  replaced: string[];
  /** Endpoints of the current setup the bundle does not name: left as they are. */
  kept: string[];
  /** Other sections (ai_monitoring, pools, …) the bundle brought. */
  sections: string[];
}

/**
 * Merges an imported endpoints document into the current one: the bundle's endpoints are added, or
 * replace the same-named ones in place; endpoints it does not name are kept; its other sections
 * (monitoring settings, session options, pools) replace the current ones. The current default stays
 * unless there is none. Keys are never in the result (they live in the key store).
 */
export function mergeSetup(current: EndpointsDoc, incoming: EndpointsDoc): MergeResult {
  const endpoints = current.endpoints.map((e) => ({ ...e }));
  const added: string[] = [];
  const replaced: string[] = [];
  for (const e of incoming.endpoints) {
    const clean = { ...e, api_key: "" };
    const index = endpoints.findIndex((c) => c.name === e.name);
    if (index >= 0) {
      endpoints[index] = clean;
      replaced.push(e.name);
    } else {
      endpoints.push(clean);
      added.push(e.name);
    }
  }
  const kept = current.endpoints.map((e) => e.name).filter((n) => !incoming.endpoints.some((e) => e.name === n));
  const { default: incomingDefault, endpoints: _ignored, ...incomingSections } = incoming;
  const def = current.default && endpoints.some((e) => e.name === current.default) ? current.default
    : incomingDefault && endpoints.some((e) => e.name === incomingDefault) ? incomingDefault : endpoints[0]?.name ?? null;
  return { doc: { ...current, ...incomingSections, default: def, endpoints }, added, replaced, kept, sections: Object.keys(incomingSections).sort() };
}

/** One line for the user about what an import would do / did. */
export function describeMerge(result: MergeResult, withKeys: boolean): string {
  const parts: string[] = [];
  if (result.added.length) parts.push(`adds ${result.added.map((n) => `'${n}'`).join(", ")}`);
  if (result.replaced.length) parts.push(`replaces ${result.replaced.map((n) => `'${n}'`).join(", ")}`);
  if (result.kept.length) parts.push(`keeps ${result.kept.map((n) => `'${n}'`).join(", ")} as they are`);
  if (result.sections.length) parts.push(`sets ${result.sections.join(", ")}`);
  parts.push(withKeys ? "with the keys in the file" : "without keys (the file has none; existing keys stay)");
  return parts.join("; ");
}
