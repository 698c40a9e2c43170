// The launcher's one use case, shared by the window, `--headless` and the watchdog's actions:
// endpoint → proxy spec → a healthy proxy (reused, adopted or started) → Codex's profile pointing at it.
import { resolveRoute, sortedRoutes, stripPoolMark, validatePool, type BgpPool } from "../lib/bgp-pools.js";
import { endpointSilence, preferredModel, type Endpoint } from "../lib/endpoints.js";
import { silenceBounds } from "../proxy/silence.js";
import { isServedBackend, usesGoogleLogin } from "../lib/backend-types.js";
import type { HandedPool } from "../lib/pool-handover.js";
import { blendedPrice, priceOf } from "../lib/prices.js";
import { endpointReasoning } from "../lib/reasoning.js";
import type { AppContext } from "./app-context.js";
import { cleanupStaleProxies } from "./cleanup.js";
import { codexCommand, findCodex, repairLegacyConfig, writeLauncherProfile, type ProfileWrite } from "./codex-session.js";
import { readProxyConfig } from "./proxy-config.js";
import { liveRegisteredProxies } from "./proxy-registry.js";
import type { ProxySpec } from "./proxy-supervisor.js";
import { sameProcess } from "../lib/process-identity.js";

/** What Codex is pointed at: one endpoint, or an AI BGP pool of routes. */
export type LaunchTarget = { kind: "endpoint"; endpoint: Endpoint } | { kind: "pool"; pool: BgpPool };

export function targetName(target: LaunchTarget): string {
  return target.kind === "endpoint" ? target.endpoint.name : target.pool.name;
}

/** The models to offer for a target: an endpoint's, or each route's (in the order tried). */
export function targetModels(target: LaunchTarget, endpoints: readonly Endpoint[]): string[] {
  if (target.kind === "endpoint") return target.endpoint.models;
  const models = sortedRoutes(target.pool).map((r) => resolveRoute(r, endpoints)).map((r) => (typeof r === "string" ? "" : r.model)).filter(Boolean);
  return [...new Set(models)];
}

/** The model to preselect: the endpoint's default; for a pool, its first route's (the name Codex sees). */
export function preferredTargetModel(target: LaunchTarget, endpoints: readonly Endpoint[]): string {
  return target.kind === "endpoint" ? preferredModel(target.endpoint) : targetModels(target, endpoints)[0] ?? "";
}

/** Two specs that make the proxy behave the same (models aside: they only fill /v1/models). */
function sameService(a: ProxySpec, b: ProxySpec): boolean {
  // A pool is the same pool only with the same routes, keys and prices.
  if (a.pool || b.pool) return a.endpointName === b.endpointName && a.model === b.model && JSON.stringify(a.pool ?? null) === JSON.stringify(b.pool ?? null);
  return a.endpointName === b.endpointName && a.model === b.model && a.backend === b.backend && a.targetUrl === b.targetUrl &&
    // A Google login's access token is renewed in place: a different text is not a different login.
    (usesGoogleLogin(a.backend) || a.apiKey === b.apiKey) && (a.reasoning ?? null) === (b.reasoning ?? null);
}

export class LauncherSession {
  #codexPath: string | null | undefined;
  #unsubscribe: () => void;

  constructor(private readonly ctx: AppContext) {
    // A proxy that had to move to another port (a foreign program took its port) takes Codex with it.
    this.#unsubscribe = ctx.supervisor.onEvent((event) => {
      if (event.kind !== "port_moved" || !ctx.supervisor.spec) return;
      const spec = ctx.supervisor.spec;
      void this.writeProfile(event.to, spec.forceModel ?? spec.model, spec.endpointName, spec.models)
        .then(() => ctx.log.write(`the proxy moved from port ${event.from} (taken by ${event.holder}) to ${event.to}; Codex's profile follows it`))
        .catch((e) => ctx.log.write(`cannot update Codex's profile after the port moved: ${(e as Error).message}`));
    });
  }

  dispose(): void {
    this.#unsubscribe();
  }

  get codexPath(): string | null {
    if (this.#codexPath === undefined) this.#codexPath = findCodex();
    return this.#codexPath;
  }

  /** What the user runs in other terminals to use the proxy. */
  get codexCommand(): string {
    return codexCommand(this.ctx.paths);
  }

  /** An endpoint by its name, else a pool (named plainly or as "🔀 name"); null when neither exists. */
  findTarget(name: string): LaunchTarget | null {
    const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === name);
    if (endpoint) return { kind: "endpoint", endpoint };
    const pool = this.ctx.pools.find(stripPoolMark(name));
    return pool ? { kind: "pool", pool } : null;
  }

  /** endpoints.json's default (an endpoint or a pool), else the first endpoint. */
  defaultTarget(): LaunchTarget | null {
    const { doc } = this.ctx.endpoints;
    return (doc.default ? this.findTarget(doc.default) : null) ?? (doc.endpoints[0] ? { kind: "endpoint", endpoint: doc.endpoints[0] } : null);
  }

  async specFor(t: LaunchTarget, model: string): Promise<ProxySpec> {
    if (t.kind === "pool") return this.#poolSpec(t.pool, model);
    const endpoint = t.endpoint;
    const silence = endpointSilence(endpoint);
    return { endpointName: endpoint.name, backend: endpoint.backend_type, targetUrl: endpoint.base_url, apiKey: await this.ctx.endpoints.keyFor(endpoint.name),
      models: endpoint.models.length ? endpoint.models : [model], model, reasoning: endpointReasoning(endpoint),
      ...(silence.firstByteS ? { firstByteTimeoutS: silence.firstByteS } : {}), ...(silence.idleS ? { idleTimeoutS: silence.idleS } : {}) };
  }

  /** A pool's routes resolved (through their endpoints), with their keys and prices, for the proxy. */
  async #poolSpec(pool: BgpPool, model: string): Promise<ProxySpec> {
    const endpoints = this.ctx.endpoints.doc.endpoints;
    const problems = validatePool(pool, [], endpoints);
    if (problems.length > 0) throw new Error(`the AI BGP pool '${pool.name}' cannot be used: ${problems.join(" ")}`);
    const prices = this.ctx.usageSettings.prices();
    const handed: HandedPool = { pool: pool.name, strategy: pool.strategy, routes: [] };
    for (const route of sortedRoutes(pool)) {
      const r = resolveRoute(route, endpoints);
      if (typeof r === "string") throw new Error(r);
      handed.routes.push({ name: r.name, backend: r.backend, target_url: r.targetUrl, api_key: await this.ctx.pools.keyFor(pool.name, route), model: r.model,
        priority: r.priority, price_per_mtok: blendedPrice(priceOf(prices, r.model)) });
    }
    const models = [...new Set(handed.routes.map((r) => r.model))];
    return { endpointName: pool.name, backend: handed.routes[0].backend, targetUrl: "", apiKey: "", models, model: model || models[0], pool: handed };
  }

  #poolTarget(name: string): LaunchTarget | null {
    const pool = this.ctx.pools.find(name);
    return pool ? { kind: "pool", pool } : null;
  }

  #endpointTarget(name: string): LaunchTarget | null {
    const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === name);
    return endpoint ? { kind: "endpoint", endpoint } : null;
  }

  /** The port the proxy used last time, so a Codex started earlier finds it again. */
  stickyPort(): number {
    const port = readProxyConfig(this.ctx.paths).port;
    return typeof port === "number" && port > 1024 && port < 65536 ? port : 0;
  }

  /**
   * Start-up, once this launcher owns the proxy: repairs what an older version did to config.toml,
   * adopts the proxy a previous launcher left running (by identity, when it answers with our token)
   * and stops stale ones that serve nobody. Returns lines for the log.
   */
  async startUp(): Promise<string[]> {
    const report: string[] = [];
    const repaired = repairLegacyConfig(this.ctx.paths);
    if (repaired) report.push(repaired);
    const config = readProxyConfig(this.ctx.paths);
    const candidate = config.identity ? liveRegisteredProxies(this.ctx.paths).find((r) => sameProcess(config.identity!, r.identity)) : undefined;
    if (candidate && !this.ctx.supervisor.running) {
      const target = config.endpoint ? (config.pool ? this.#poolTarget(config.endpoint) : this.#endpointTarget(config.endpoint)) : null;
      const spec = target && config.model ? await this.specFor(target, config.model).catch(() => null) : null;
      if (await this.ctx.supervisor.adopt(candidate, spec))
        report.push(`adopted the proxy left running on port ${candidate.port} (pid ${candidate.identity.pid}${config.endpoint ? `, ${config.endpoint} / ${config.model}` : ""})`);
    }
    report.push(...await cleanupStaleProxies(this.ctx.paths, this.ctx.supervisor.identity));
    return report;
  }

  /** A healthy proxy for the target and `model`: the running one when it matches, else a (re)started one. */
  async ensureProxy(t: LaunchTarget, model: string): Promise<number> {
    const s = this.ctx.supervisor;
    const name = targetName(t);
    if (t.kind === "endpoint" && !isServedBackend(t.endpoint.backend_type))
      throw new Error(`the ${t.endpoint.backend_type} backend is not served by this version; choose another endpoint`);
    const spec = await this.specFor(t, model);
    // The running proxy is reused only while it serves exactly this target as it is saved now (an edit
    // of its URL, key, reasoning setting or routes needs a restart).
    if (s.running && s.spec && sameService(s.spec, spec) && (await s.health(1500))) return s.port;
    const what = t.kind === "pool" ? `the AI BGP pool ${name} (${spec.pool!.routes.length} routes, ${spec.pool!.strategy})` : `${name} (${t.endpoint.backend_type})`;
    if (s.running) {
      this.ctx.log.write(`switching the proxy to ${what}, model ${spec.model}`);
      return s.restart(spec, `switched to ${name} / ${spec.model}`);
    }
    this.ctx.log.write(`starting the proxy for ${what}, model ${spec.model}`);
    return s.start(spec, this.stickyPort());
  }

  /**
   * Restart Proxy: the running proxy, stopped after its live streams drained and started again with the
   * same settings on the same port. Only a proxy this launcher owns (the window checks it is not attached).
   */
  async restartProxy(): Promise<number> {
    const s = this.ctx.supervisor;
    if (!s.running || !s.spec) throw new Error("the proxy is not running; start it first");
    this.ctx.log.write(`restarting the proxy (${s.spec.endpointName} / ${s.spec.model}) on request`);
    const port = await s.restart(s.spec, "restarted by the user");
    this.ctx.log.write(`proxy restarted on port ${port} (pid ${s.pid})`);
    return port;
  }

  /**
   * Kill & Cleanup: stops this launcher's proxy at once (streams are cut), then every other proxy this app
   * registered and the original app's (each by identity: pid, start time, program, arguments), and
   * nothing else — never Codex, never a process that merely looks like a proxy. Returns lines for the log.
   */
  async killAndCleanup(): Promise<string[]> {
    const report: string[] = [];
    const s = this.ctx.supervisor;
    if (s.running) {
      const pid = s.pid;
      await s.stop(1000);
      report.push(`stopped the proxy (pid ${pid})`);
    } else await s.stop();
    report.push(...await cleanupStaleProxies(this.ctx.paths, null, { evenBusy: true }));
    if (report.length === 0) report.push("nothing to clean up: no proxy of Codex Launcher was running");
    return report;
  }

  /** Codex's profile for the proxy on `port`. */
  writeProfile(port: number, model: string, endpointName: string, models: string[]): Promise<ProfileWrite> {
    // Codex's own idle timeout must stay above the proxy's bounds for this endpoint and model, so that the
    // proxy's "provider sent nothing for N s" is what Codex shows.
    const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === endpointName);
    const bounds = silenceBounds(model, endpoint ? endpointSilence(endpoint) : {});
    return writeLauncherProfile(this.ctx.paths, { port, model, endpointName, models, codexPath: this.codexPath, clientToken: this.ctx.clientToken,
      longestSilenceS: Math.max(bounds.firstByteS, bounds.idleS) }, (line) => this.ctx.log.write(line));
  }

  /** Everything Codex needs before it starts: the proxy, and the profile pointing at it. */
  async prepareCodex(target: LaunchTarget, model: string): Promise<{ port: number; profile: ProfileWrite }> {
    const port = await this.ensureProxy(target, model);
    const profile = await this.writeProfile(port, model, targetName(target), targetModels(target, this.ctx.endpoints.doc.endpoints));
    return { port, profile };
  }

  /**
   * A pool was edited: a proxy running it follows (restarted with the new routes, live streams drained
   * first); a pool that was deleted leaves the proxy alone (the user chooses what runs next).
   */
  async poolChanged(name: string): Promise<void> {
    const s = this.ctx.supervisor;
    if (!s.running || !s.spec?.pool || s.spec.endpointName !== name) return;
    const pool = this.ctx.pools.find(name);
    if (!pool) return;
    await this.ensureProxy({ kind: "pool", pool }, s.spec.model);
  }

  /** After the proxy was pointed elsewhere (provider switch, port move): the profile follows. */
  async refreshProfile(): Promise<ProfileWrite | null> {
    const s = this.ctx.supervisor;
    if (!s.spec || !s.port) return null;
    return this.writeProfile(s.port, s.spec.forceModel ?? s.spec.model, s.spec.endpointName, s.spec.models);
  }
}
