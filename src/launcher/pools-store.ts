// bgp-pools.json on disk plus the keys of routes given by hand in the secret store (a route that names
// an endpoint uses that endpoint's key). A file that cannot be read is kept aside, never overwritten.
import { EMPTY_POOLS, parsePools, routeKeyAccount, serializePools, type BgpPool, type PoolRoute, type PoolsDoc } from "../lib/bgp-pools.js";
import { readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import type { SecretStore } from "../lib/secrets.js";
import type { EndpointsStore } from "./endpoints-store.js";

export class PoolsStore {
  doc: PoolsDoc = EMPTY_POOLS;
  /** Set when the file could not be used; shown to the user. */
  loadError: string | null = null;

  constructor(readonly path: string, readonly secrets: SecretStore, private readonly endpoints: EndpointsStore, private readonly log: (line: string) => void) {}

  load(): PoolsDoc {
    this.loadError = null;
    const text = readTextFile(this.path);
    if (text === null || text.trim() === "") {
      this.doc = EMPTY_POOLS;
      return this.doc;
    }
    try {
      this.doc = parsePools(text);
    } catch (e) {
      const aside = setAside(this.path);
      this.loadError = `${this.path} could not be read (${(e as Error).message}). It was kept as ${aside}; starting with no pools.`;
      this.log(this.loadError);
      this.doc = EMPTY_POOLS;
    }
    return this.doc;
  }

  names(): string[] {
    return this.doc.pools.map((p) => p.name);
  }

  find(name: string): BgpPool | null {
    return this.doc.pools.find((p) => p.name === name) ?? null;
  }

  /** The key a route sends: its endpoint's, or its own (secret store first, else one the file still holds). */
  async keyFor(pool: string, route: PoolRoute): Promise<string> {
    if (route.endpoint_name) return this.endpoints.keyFor(route.endpoint_name);
    return (await this.secrets.lookup(routeKeyAccount(pool, route.name))) ?? route.api_key ?? "";
  }

  /**
   * Saves a pool (replacing `originalName`) with the keys of its hand-given routes (route name → key;
   * "" for none). Keys of the routes it had before are cleared first, so renamed or removed routes leave
   * nothing behind in the keyring.
   */
  async savePool(doc: PoolsDoc, pool: BgpPool, originalName: string | null, keys: ReadonlyMap<string, string>): Promise<void> {
    const before = originalName ? this.find(originalName) : null;
    if (before) for (const r of before.routes) if (!r.endpoint_name) await this.secrets.clear(routeKeyAccount(before.name, r.name));
    for (const r of pool.routes) {
      const key = r.endpoint_name ? "" : keys.get(r.name) ?? "";
      if (key) await this.secrets.store(routeKeyAccount(pool.name, r.name), key, `Codex Launcher key for AI BGP route ${pool.name}/${r.name}`);
    }
    this.save(doc);
  }

  async deletePool(doc: PoolsDoc, name: string): Promise<void> {
    const pool = this.find(name);
    if (pool) for (const r of pool.routes) if (!r.endpoint_name) await this.secrets.clear(routeKeyAccount(name, r.name));
    this.save(doc);
  }

  save(doc: PoolsDoc): void {
    writeFileAtomic(this.path, serializePools(doc), 0o600);
    this.doc = doc;
  }

  /** An endpoint was renamed: routes through it follow (they name it). */
  renameEndpoint(oldName: string, newName: string): number {
    let changed = 0;
    const pools = this.doc.pools.map((p) => ({ ...p, routes: p.routes.map((r) => {
      if (r.endpoint_name !== oldName) return r;
      changed++;
      return { ...r, endpoint_name: newName };
    }) }));
    if (changed > 0) this.save({ ...this.doc, pools });
    return changed;
  }

  /** Moves keys the original app kept in bgp-pools.json in plain text into the secret store. */
  async migratePlaintextKeys(): Promise<number> {
    let moved = 0;
    for (const pool of this.doc.pools)
      for (const r of pool.routes)
        if (r.api_key && !r.endpoint_name) {
          await this.secrets.store(routeKeyAccount(pool.name, r.name), r.api_key, `Codex Launcher key for AI BGP route ${pool.name}/${r.name}`);
          moved++;
        }
    if (moved === 0) return 0;
    this.save({ ...this.doc, pools: this.doc.pools.map((p) => ({ ...p, routes: p.routes.map((r) => ({ ...r, api_key: "" })) })) });
    this.log(`moved ${moved} AI BGP route key(s) from bgp-pools.json into the ${this.secrets.kind === "keyring" ? "desktop keyring" : "private key file"}`);
    return moved;
  }
}
