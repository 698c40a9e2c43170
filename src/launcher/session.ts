// The launcher's one use case, shared by the window, `--headless` and the watchdog's actions:
// endpoint → proxy spec → a healthy proxy (reused, adopted or started) → Codex's profile pointing at it.
import type { Endpoint } from "../lib/endpoints.js";
import { isServedBackend, usesGoogleLogin } from "../lib/backend-types.js";
import { endpointReasoning } from "../lib/reasoning.js";
import type { AppContext } from "./app-context.js";
import { cleanupStaleProxies } from "./cleanup.js";
import { codexCommand, findCodex, repairLegacyConfig, writeLauncherProfile, type ProfileWrite } from "./codex-session.js";
import { readProxyConfig } from "./proxy-config.js";
import { liveRegisteredProxies } from "./proxy-registry.js";
import type { ProxySpec } from "./proxy-supervisor.js";
import { sameProcess } from "../lib/process-identity.js";

/** Two specs that make the proxy behave the same (models aside: they only fill /v1/models). */
function sameService(a: ProxySpec, b: ProxySpec): boolean {
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

  async specFor(endpoint: Endpoint, model: string): Promise<ProxySpec> {
    return { endpointName: endpoint.name, backend: endpoint.backend_type, targetUrl: endpoint.base_url, apiKey: await this.ctx.endpoints.keyFor(endpoint.name),
      models: endpoint.models.length ? endpoint.models : [model], model, reasoning: endpointReasoning(endpoint) };
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
    if (!isServedBackend(endpoint.backend_type))
      throw new Error(`the ${endpoint.backend_type} backend is not served by this version; choose another endpoint`);
    const spec = await this.specFor(endpoint, model);
    // The running proxy is reused only while it serves exactly this endpoint as it is saved now (an edit
    // of its URL, key or reasoning setting needs a restart).
    if (s.running && s.spec && sameService(s.spec, spec) && (await s.health(1500))) return s.port;
    if (s.running) {
      this.ctx.log.write(`switching the proxy to ${endpoint.name} (${endpoint.backend_type}), model ${model}`);
      return s.restart(spec, `switched to ${endpoint.name} / ${model}`);
    }
    this.ctx.log.write(`starting the proxy for ${endpoint.name} (${endpoint.backend_type}), model ${model}`);
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
    return writeLauncherProfile(this.ctx.paths, { port, model, endpointName, models, codexPath: this.codexPath, clientToken: this.ctx.clientToken },
      (line) => this.ctx.log.write(line));
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
