// The launcher's one use case, shared by the window, `--headless` and the watchdog's actions:
// endpoint → proxy spec → a healthy proxy (reused, adopted or started) → Codex's profile pointing at it.
import { endpointSilence, type Endpoint } from "../lib/endpoints.js";
import { silenceBounds } from "../proxy/silence.js";
import { isServedBackend } from "../lib/backend-types.js";
import type { AppContext } from "./app-context.js";
import { cleanupStaleProxies } from "./cleanup.js";
import { codexCommand, findCodex, repairLegacyConfig, writeLauncherProfile, type ProfileWrite } from "./codex-session.js";
import { readProxyConfig } from "./proxy-config.js";
import { liveRegisteredProxies } from "./proxy-registry.js";
import type { ProxySpec } from "./proxy-supervisor.js";
import { sameProcess } from "../lib/process-identity.js";

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

  async specFor(endpoint: Endpoint, model: string): Promise<ProxySpec> {
    const silence = endpointSilence(endpoint);
    return { endpointName: endpoint.name, backend: endpoint.backend_type, targetUrl: endpoint.base_url, apiKey: await this.ctx.endpoints.keyFor(endpoint.name),
      models: endpoint.models.length ? endpoint.models : [model], model,
      ...(silence.firstByteS ? { firstByteTimeoutS: silence.firstByteS } : {}), ...(silence.idleS ? { idleTimeoutS: silence.idleS } : {}) };
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
      const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === config.endpoint);
      const spec = endpoint && config.model ? await this.specFor(endpoint, config.model) : null;
      if (await this.ctx.supervisor.adopt(candidate, spec))
        report.push(`adopted the proxy left running on port ${candidate.port} (pid ${candidate.identity.pid}${config.endpoint ? `, ${config.endpoint} / ${config.model}` : ""})`);
    }
    report.push(...await cleanupStaleProxies(this.ctx.paths, this.ctx.supervisor.identity));
    return report;
  }

  /** A healthy proxy for `endpoint` and `model`: the running one when it matches, else a (re)started one. */
  async ensureProxy(endpoint: Endpoint, model: string): Promise<number> {
    const s = this.ctx.supervisor;
    if (s.running && s.spec?.endpointName === endpoint.name && s.spec.model === model && (await s.health(1500))) return s.port;
    if (!isServedBackend(endpoint.backend_type))
      throw new Error(`the ${endpoint.backend_type} backend is not served by this version; choose another endpoint`);
    const spec = await this.specFor(endpoint, model);
    if (s.running) {
      this.ctx.log.write(`switching the proxy to ${endpoint.name} (${endpoint.backend_type}), model ${model}`);
      return s.restart(spec, `switched to ${endpoint.name} / ${model}`);
    }
    this.ctx.log.write(`starting the proxy for ${endpoint.name} (${endpoint.backend_type}), model ${model}`);
    return s.start(spec, this.stickyPort());
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
  async prepareCodex(endpoint: Endpoint, model: string): Promise<{ port: number; profile: ProfileWrite }> {
    const port = await this.ensureProxy(endpoint, model);
    const profile = await this.writeProfile(port, model, endpoint.name, endpoint.models);
    return { port, profile };
  }

  /** After the proxy was pointed elsewhere (provider switch, port move): the profile follows. */
  async refreshProfile(): Promise<ProfileWrite | null> {
    const s = this.ctx.supervisor;
    if (!s.spec || !s.port) return null;
    return this.writeProfile(s.port, s.spec.forceModel ?? s.spec.model, s.spec.endpointName, s.spec.models);
  }
}
