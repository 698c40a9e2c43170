// How a BGP pool reaches the proxy: its resolved routes (each with its backend, URL, key, model,
// priority and price) as JSON in the proxy's environment (CODEX_PROXY_ROUTES, never argv: it holds the
// keys), or as `bgp_routes` in a --config file (the original's proxy config). Pure.
import { isServedBackend, usesGoogleLogin, type BackendType } from "./backend-types.js";

export const POOL_STRATEGIES = ["failover", "race"] as const;
export type PoolStrategy = (typeof POOL_STRATEGIES)[number];

export interface HandedRoute {
  name: string;
  backend: BackendType;
  /** May carry credentials (user:pw@, ?key=): the proxy takes them out before showing the URL. */
  target_url: string;
  api_key: string;
  model: string;
  priority: number;
  /** Blended USD per million tokens, for the score (0: free or unknown). */
  price_per_mtok: number;
}

export interface HandedPool {
  pool: string;
  strategy: PoolStrategy;
  routes: HandedRoute[];
}

export class PoolHandoverError extends Error {
  override name = "PoolHandoverError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates a pool document (`{pool, strategy, routes}`, or the original's bare `bgp_routes` list with
 * `poolName`). Routes that use a Google login cannot be handed over this way (their login is a file
 * the proxy renews), nor backends this version does not serve.
 */
export function parseHandedPool(value: unknown, poolName = "pool"): HandedPool {
  const doc = Array.isArray(value) ? { pool: poolName, strategy: "failover", routes: value } : value;
  if (!isObject(doc)) throw new PoolHandoverError("the pool must be a JSON object {pool, strategy, routes}");
  const pool = typeof doc.pool === "string" && doc.pool.trim() ? doc.pool.trim() : poolName;
  const strategy = doc.strategy ?? "failover";
  if (!(POOL_STRATEGIES as readonly unknown[]).includes(strategy)) throw new PoolHandoverError(`pool '${pool}': strategy must be failover or race`);
  if (!Array.isArray(doc.routes) || doc.routes.length === 0) throw new PoolHandoverError(`pool '${pool}' has no routes`);
  const seen = new Set<string>();
  const routes = doc.routes.map((r, index): HandedRoute => {
    if (!isObject(r)) throw new PoolHandoverError(`pool '${pool}': route ${index + 1} must be an object`);
    const name = typeof r.name === "string" && r.name.trim() ? r.name.trim() : `route-${index + 1}`;
    if (seen.has(name)) throw new PoolHandoverError(`pool '${pool}': two routes are named '${name}'`);
    seen.add(name);
    const backend = typeof r.backend === "string" ? r.backend : typeof r.backend_type === "string" ? r.backend_type : "openai-compat";
    if (!isServedBackend(backend)) throw new PoolHandoverError(`pool '${pool}', route '${name}': the ${backend} backend is not served by this version`);
    if (usesGoogleLogin(backend)) throw new PoolHandoverError(`pool '${pool}', route '${name}': routes with a Google login cannot be pooled yet`);
    const url = typeof r.target_url === "string" ? r.target_url.trim() : "";
    if (!/^https?:\/\/[^\s/]+/i.test(url)) throw new PoolHandoverError(`pool '${pool}', route '${name}': target_url must be an http(s) URL`);
    const model = typeof r.model === "string" ? r.model.trim() : "";
    if (!model) throw new PoolHandoverError(`pool '${pool}', route '${name}' has no model`);
    const priority = typeof r.priority === "number" && Number.isFinite(r.priority) ? r.priority : index;
    const price = typeof r.price_per_mtok === "number" && Number.isFinite(r.price_per_mtok) && r.price_per_mtok >= 0 ? r.price_per_mtok : 0;
    return { name, backend, target_url: url, api_key: typeof r.api_key === "string" ? r.api_key : "", model, priority, price_per_mtok: price };
  });
  return { pool, strategy: strategy as PoolStrategy, routes };
}

export function serializeHandedPool(pool: HandedPool): string {
  return JSON.stringify(pool);
}
