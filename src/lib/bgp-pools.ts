// ~/.codex/bgp-pools.json, the original's format: `{"pools":[{"name","strategy","routes":[{"name",
// "endpoint_name","target_url","api_key","model","priority",…}]}]}`. A route names an existing endpoint
// (its backend, URL and key are the endpoint's) or carries its own URL (and `backend_type`, ours; the
// original had only OpenAI-compatible routes). Keys move to the keyring like endpoint keys. Fields and
// sections this version does not know are kept. Pure.
import { BACKEND_TYPES, isServedBackend, usesGoogleLogin, type BackendType } from "./backend-types.js";
import type { Endpoint } from "./endpoints.js";
import { POOL_STRATEGIES, type PoolStrategy } from "./pool-handover.js";

export interface PoolRoute {
  name: string;
  /** An endpoint of endpoints.json this route goes through; "" for a route given by hand. */
  endpoint_name: string;
  /** By hand: the provider's base URL. */
  target_url: string;
  /** Empty once the key lives in the keyring (or the 0600 key file). */
  api_key: string;
  /** The model this route sends; "" means the endpoint's default model. */
  model: string;
  /** Lower is tried first (the order of the list). */
  priority: number;
  /** By hand: the provider's API flavour (default openai-compat). */
  backend_type?: BackendType;
  [extra: string]: unknown;
}

export interface BgpPool {
  name: string;
  strategy: PoolStrategy;
  routes: PoolRoute[];
  [extra: string]: unknown;
}

export interface PoolsDoc {
  pools: BgpPool[];
  [section: string]: unknown;
}

export const EMPTY_POOLS: PoolsDoc = { pools: [] };

/** How a pool is shown where endpoints are chosen (the original's mark). */
export const POOL_MARK = "🔀";

export function poolLabel(name: string): string {
  return `${POOL_MARK} ${name}`;
}

/** "🔀 name" or "name" → "name" (a pool may be named either way on the command line). */
export function stripPoolMark(text: string): string {
  return text.startsWith(POOL_MARK) ? text.slice(POOL_MARK.length).trim() : text.trim();
}

export class PoolsFormatError extends Error {
  override name = "PoolsFormatError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function str(value: unknown, where: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new PoolsFormatError(`${where} must be a string`);
  return value;
}

export function parsePools(text: string): PoolsDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PoolsFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new PoolsFormatError("the top level must be a JSON object");
  const list = raw.pools ?? [];
  if (!Array.isArray(list)) throw new PoolsFormatError("\"pools\" must be a list");
  const names = new Set<string>();
  const pools = list.map((item, index): BgpPool => {
    if (!isObject(item)) throw new PoolsFormatError(`pools[${index}] must be an object`);
    const name = str(item.name, `pools[${index}].name`).trim();
    if (!name) throw new PoolsFormatError(`pools[${index}] has no name`);
    if (names.has(name)) throw new PoolsFormatError(`two pools are named '${name}'`);
    names.add(name);
    const strategy = item.strategy ?? "failover";
    if (!(POOL_STRATEGIES as readonly unknown[]).includes(strategy)) throw new PoolsFormatError(`pool '${name}': strategy must be failover or race`);
    const routes = item.routes ?? [];
    if (!Array.isArray(routes)) throw new PoolsFormatError(`pool '${name}': routes must be a list`);
    return {
      ...item, name, strategy: strategy as PoolStrategy,
      routes: routes.map((r, i): PoolRoute => {
        const where = `pool '${name}' route ${i + 1}`;
        if (!isObject(r)) throw new PoolsFormatError(`${where} must be an object`);
        const backend = r.backend_type === undefined ? undefined : str(r.backend_type, `${where}.backend_type`);
        if (backend !== undefined && !(BACKEND_TYPES as readonly string[]).includes(backend)) throw new PoolsFormatError(`${where} has unknown backend_type '${backend}'`);
        const priority = r.priority === undefined || r.priority === null ? i : r.priority;
        if (typeof priority !== "number" || !Number.isFinite(priority)) throw new PoolsFormatError(`${where}: priority must be a number`);
        return { ...r, name: str(r.name, `${where}.name`).trim() || `route-${i + 1}`, endpoint_name: str(r.endpoint_name, `${where}.endpoint_name`),
          target_url: str(r.target_url, `${where}.target_url`), api_key: str(r.api_key, `${where}.api_key`), model: str(r.model, `${where}.model`),
          priority, ...(backend !== undefined ? { backend_type: backend as BackendType } : {}) };
      }),
    };
  });
  return { ...raw, pools };
}

export function serializePools(doc: PoolsDoc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Routes in the order they are tried when nothing else differs: by priority, then as listed. */
export function sortedRoutes(pool: BgpPool): PoolRoute[] {
  return pool.routes.map((r, i) => ({ r, i })).sort((a, b) => a.r.priority - b.r.priority || a.i - b.i).map((x) => x.r);
}

/** What a route resolves to: its endpoint's backend, URL and default model, or its own. */
export interface ResolvedRoute {
  name: string;
  backend: BackendType;
  targetUrl: string;
  model: string;
  priority: number;
  /** The endpoint whose key it uses, or null when the key is the route's own. */
  endpoint: string | null;
}

export function resolveRoute(route: PoolRoute, endpoints: readonly Endpoint[]): ResolvedRoute | string {
  if (route.endpoint_name) {
    const e = endpoints.find((x) => x.name === route.endpoint_name);
    if (!e) return `route '${route.name}' names the endpoint '${route.endpoint_name}', which does not exist`;
    const model = route.model || e.default_model || e.models[0] || "";
    if (!model) return `route '${route.name}': choose a model (the endpoint '${e.name}' has none)`;
    return { name: route.name, backend: e.backend_type, targetUrl: e.base_url, model, priority: route.priority, endpoint: e.name };
  }
  return { name: route.name, backend: route.backend_type ?? "openai-compat", targetUrl: route.target_url.trim(), model: route.model.trim(), priority: route.priority, endpoint: null };
}

/** Problems that stop a pool from being saved (or used), in the words the editor shows. */
export function validatePool(pool: BgpPool, otherPools: readonly BgpPool[], endpoints: readonly Endpoint[]): string[] {
  const problems: string[] = [];
  const name = pool.name.trim();
  if (!name) problems.push("Give the pool a name.");
  else if (otherPools.some((p) => p.name === name)) problems.push(`A pool named '${name}' already exists.`);
  else if (endpoints.some((e) => e.name === name)) problems.push(`An endpoint is named '${name}' too; give the pool another name.`);
  if (pool.routes.length === 0) problems.push("Add at least one route.");
  const seen = new Set<string>();
  for (const route of pool.routes) {
    if (!route.name.trim()) problems.push("Every route needs a name.");
    else if (seen.has(route.name.trim())) problems.push(`Two routes are named '${route.name.trim()}'.`);
    seen.add(route.name.trim());
    const resolved = resolveRoute(route, endpoints);
    if (typeof resolved === "string") {
      problems.push(`${resolved[0].toUpperCase()}${resolved.slice(1)}.`);
      continue;
    }
    if (!route.endpoint_name && !/^https?:\/\/[^\s/]+/i.test(resolved.targetUrl)) problems.push(`Route '${route.name}': the URL must start with http:// or https://.`);
    if (!resolved.model) problems.push(`Route '${route.name}': choose a model.`);
    if (!isServedBackend(resolved.backend)) problems.push(`Route '${route.name}': the ${resolved.backend} backend is not served by this version.`);
    else if (usesGoogleLogin(resolved.backend)) problems.push(`Route '${route.name}': endpoints with a Google login cannot be pool routes yet.`);
  }
  return problems;
}

/** Inserts or replaces (by original name) a pool. */
export function upsertPool(doc: PoolsDoc, pool: BgpPool, originalName?: string): PoolsDoc {
  const clean: BgpPool = { ...pool, name: pool.name.trim(), routes: pool.routes.map((r) => ({ ...r, name: r.name.trim(), target_url: r.target_url.trim().replace(/\/+$/, "") })) };
  const index = doc.pools.findIndex((p) => p.name === (originalName ?? clean.name));
  const pools = [...doc.pools];
  if (index >= 0) pools[index] = clean;
  else pools.push(clean);
  return { ...doc, pools };
}

export function removePool(doc: PoolsDoc, name: string): PoolsDoc {
  return { ...doc, pools: doc.pools.filter((p) => p.name !== name) };
}

/**
 * Moves the route at `index` of the tried order by `delta` (-1 up, +1 down): the two routes trade
 * places and priorities, so the order shown stays the order tried. Returns the pool with its routes in
 * that order.
 */
export function moveRoute(pool: BgpPool, index: number, delta: number): BgpPool {
  const routes = sortedRoutes(pool).map((r) => ({ ...r }));
  const other = index + delta;
  if (index < 0 || index >= routes.length || other < 0 || other >= routes.length) return { ...pool, routes };
  const a = routes[index];
  const b = routes[other];
  [a.priority, b.priority] = [b.priority, a.priority];
  routes[index] = b;
  routes[other] = a;
  return { ...pool, routes };
}

/** The route's keyring account: its own key (routes that name an endpoint use the endpoint's). */
export function routeKeyAccount(pool: string, route: string): string {
  return `bgp-route:${pool}/${route}`;
}
