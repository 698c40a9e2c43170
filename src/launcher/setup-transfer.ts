// Export / Import of the whole setup (model/setup-bundle.ts decides what is in it and how it merges):
// the files and the key store. An import is validated as a whole before anything changes; what it
// replaces is kept aside — endpoints.json and bgp-pools.json as dated copies, a replaced key under a
// dated name in the same key store.
import GLib from "gi://GLib";
import { parsePools, type PoolRoute } from "../lib/bgp-pools.js";
import { copyAside, readTextFile, writeFileAtomic } from "../lib/files.js";
import { APP_VERSION } from "../lib/version.js";
import type { AppContext } from "./app-context.js";
import { buildBundle, describeMerge, endpointAccount, mergeSetup, MONITORING_ACCOUNT, parseBundle, serializeBundle, type MergeResult,
  type SetupBundle } from "./model/setup-bundle.js";

export interface ExportResult {
  path: string;
  endpoints: number;
  keys: number;
  pools: boolean;
}

/**
 * bgp-pools.json as it is (null when there is none; fields this version does not know are kept), with
 * the keys of hand-given routes written into their routes when keys are exported (they live in the key
 * store, not in the file).
 */
async function exportedPools(ctx: AppContext, includeKeys: boolean): Promise<unknown> {
  const text = readTextFile(ctx.paths.poolsFile);
  if (text === null || !text.trim()) return null;
  let raw: { pools?: { name?: unknown; routes?: Record<string, unknown>[] }[] };
  try {
    parsePools(text);
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${ctx.paths.poolsFile} cannot be read (${(e as Error).message}); fix it or move it away before exporting`);
  }
  if (!includeKeys) return raw;
  for (const pool of raw.pools ?? [])
    for (const route of pool.routes ?? [])
      if (!route.endpoint_name) route.api_key = await ctx.pools.keyFor(String(pool.name), route as unknown as PoolRoute);
  return raw;
}

/** Writes the setup to `path` (mode 0600: it may hold keys, and always holds the endpoints' URLs). */
export async function exportSetup(ctx: AppContext, path: string, includeKeys: boolean): Promise<ExportResult> {
  const doc = ctx.endpoints.doc;
  let keys: Record<string, string> | null = null;
  if (includeKeys) {
    keys = {};
    for (const e of doc.endpoints) keys[endpointAccount(e.name)] = await ctx.endpoints.keyFor(e.name);
    const monitoring = await ctx.secrets.lookup(MONITORING_ACCOUNT);
    if (monitoring) keys[MONITORING_ACCOUNT] = monitoring;
  }
  const pools = await exportedPools(ctx, includeKeys);
  const bundle = buildBundle(doc, { keys, pools, appVersion: APP_VERSION, now: new Date() });
  writeFileAtomic(path, serializeBundle(bundle), 0o600);
  const result = { path, endpoints: doc.endpoints.length, keys: Object.keys(bundle.keys ?? {}).length, pools: bundle.bgp_pools !== undefined };
  ctx.log.write(`setup exported to ${path}: ${result.endpoints} endpoint(s)${result.pools ? ", the BGP pools" : ""}, ` +
    `${includeKeys ? `${result.keys} key(s) in clear text (keep the file private)` : "no keys"}`);
  return result;
}

export interface ImportPlan {
  path: string;
  bundle: SetupBundle;
  merge: MergeResult;
  /** What the import will do, in one sentence for the confirmation. */
  summary: string;
}

/** Reads and validates a setup file and works out the merge; nothing changes yet. */
export function planImport(ctx: AppContext, path: string): ImportPlan {
  const text = readTextFile(path);
  if (text === null) throw new Error(`${path} does not exist`);
  let bundle: SetupBundle;
  try {
    bundle = parseBundle(text);
  } catch (e) {
    throw new Error(`${GLib.path_get_basename(path)} cannot be imported: ${(e as Error).message}`);
  }
  const merge = mergeSetup(ctx.endpoints.doc, bundle.endpoints);
  const pools = bundle.bgp_pools !== undefined ? "; replaces the BGP pools" : "";
  return { path, bundle, merge, summary: `${describeMerge(merge, bundle.includes_keys)}${pools}` };
}

export interface ImportResult {
  merge: MergeResult;
  /** Copies of the files the import replaced. */
  keptAside: string[];
  keysImported: number;
  /** Replaced keys, kept in the key store under these names. */
  keysKeptAside: string[];
}

const stamp = () => GLib.DateTime.new_now_local().format("%Y%m%d-%H%M%S") ?? String(Date.now());

/** Carries out a planned import. */
export async function importSetup(ctx: AppContext, plan: ImportPlan): Promise<ImportResult> {
  const tag = stamp();
  const keptAside: string[] = [];
  const endpointsCopy = copyAside(ctx.paths.endpointsFile, "before-import");
  if (endpointsCopy) keptAside.push(endpointsCopy);
  const keysKeptAside: string[] = [];
  let keysImported = 0;
  // Keys first: an endpoint never appears without the key it was exported with.
  for (const [account, secret] of Object.entries(plan.bundle.keys ?? {})) {
    const current = await ctx.secrets.lookup(account);
    if (current && current !== secret) {
      const aside = `${account} (before import ${tag})`;
      await ctx.secrets.store(aside, current, `Codex Launcher key replaced by an import (${account})`);
      keysKeptAside.push(aside);
    }
    await ctx.secrets.store(account, secret, account === MONITORING_ACCOUNT ? "Codex Launcher AI Monitoring key" : `Codex Launcher API key for ${account.slice(9)}`);
    keysImported++;
  }
  if (plan.bundle.bgp_pools !== undefined) {
    const poolsCopy = copyAside(ctx.paths.poolsFile, "before-import");
    if (poolsCopy) keptAside.push(poolsCopy);
    writeFileAtomic(ctx.paths.poolsFile, `${JSON.stringify(plan.bundle.bgp_pools, null, 2)}\n`, 0o600);
    // Read like any pools file (one that cannot be used is kept aside), and keys that came inside it
    // move into the key store at once.
    ctx.pools.load();
    await ctx.pools.migratePlaintextKeys();
  }
  // Merged against the file as it is now (it may have changed since the plan was made).
  const merge = mergeSetup(ctx.endpoints.doc, plan.bundle.endpoints);
  ctx.endpoints.save(merge.doc);
  ctx.log.write(`setup imported from ${plan.path}: ${describeMerge(merge, plan.bundle.includes_keys)}` +
    (keptAside.length ? `; previous files kept as ${keptAside.join(", ")}` : "") +
    (keysKeptAside.length ? `; replaced keys kept in the key store as ${keysKeptAside.map((k) => `'${k}'`).join(", ")}` : ""));
  return { merge, keptAside, keysImported, keysKeptAside };
}
