// What the watchdog can do about a failure. Each action resolves with an error message, or null when
// it was carried out; nothing here is destructive on its own (foreign processes are never signalled,
// caches are moved aside, Codex sessions are never ended).
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { isServedBackend } from "../lib/backend-types.js";
import type { AppPaths } from "../lib/paths.js";
import { cleanupStaleProcesses } from "../launcher/cleanup.js";
import { findCodex, writeCodexConfig } from "../launcher/codex-session.js";
import type { EndpointsStore } from "../launcher/endpoints-store.js";
import { PROXY_MARKER, type ProxySupervisor } from "../launcher/proxy-supervisor.js";
import { cmdline, pidAlive, portHolder, signalPid } from "./processes.js";
import type { ActionId } from "./rules.js";
import type { Signal } from "./signals.js";

export interface ActionDeps {
  paths: AppPaths;
  supervisor: ProxySupervisor;
  endpoints: EndpointsStore;
  write: (line: string) => void;
  alert: (title: string, body: string) => void;
  /** Brackets restarts the watchdog does itself (so they are not taken for a user's stop). */
  restarting: (on: boolean) => void;
}

export class ActionExecutor {
  constructor(private readonly deps: ActionDeps) {}

  /** Runs an action; resolves with an error message, or null when it was carried out. */
  async execute(action: ActionId, signal: Signal): Promise<string | null> {
    const { supervisor, paths } = this.deps;
    try {
      switch (action) {
        case "restart_proxy":
          return await this.#restart(null, signal.category === "proxy_hang" ? 300 : 3000);
        case "kill_stale_and_restart":
        case "kill_stale_processes":
          return await this.#killStaleAndRestart(action === "kill_stale_and_restart");
        case "increase_timeout": {
          const spec = supervisor.spec;
          if (!spec) return "no proxy settings to change";
          const idle = Math.min(1200, (spec.idleTimeoutS ?? 300) * 2);
          this.deps.write(`raising the stream idle timeout to ${idle} s`);
          return await this.#restart({ ...spec, idleTimeoutS: idle });
        }
        case "switch_provider":
          return await this.#switchProvider();
        case "clear_schema_cache":
          return this.#clearSchemaCache();
        case "cleanup_stale_pids":
          for (const line of await cleanupStaleProcesses(paths, supervisor.pid ? [supervisor.pid] : [])) this.deps.write(`cleanup: ${line}`);
          return null;
        case "regenerate_config":
          return await this.#regenerateConfig();
        case "wait_retry_after":
          this.deps.write(`the proxy waits ${Math.round((signal.retryAfterMs ?? 0) / 1000)} s as the provider asked (Retry-After); no intervention`);
          return null;
        case "retry_with_backoff":
        case "retry_now":
          this.deps.write("the proxy retries with backoff before the first byte; no intervention");
          return null;
        case "cleanup_codex_stale":
          return "ending Codex sessions is never done automatically";
        default:
          return `unknown action ${action}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }

  async #restart(spec: Parameters<ProxySupervisor["restart"]>[0] = null, graceMs = 3000, port?: number): Promise<string | null> {
    const s = this.deps.supervisor;
    this.deps.restarting(true);
    try {
      const started = Date.now();
      const newPort = await s.restart(spec ?? s.spec, graceMs, port);
      this.deps.write(`proxy restarted on port ${newPort} in ${Date.now() - started} ms (pid ${s.pid})`);
      return null;
    } catch (e) {
      return (e as Error).message;
    } finally {
      this.deps.restarting(false);
    }
  }

  /** Frees the proxy's port when a stale proxy of ours holds it; a foreign holder is never touched. */
  async #killStaleAndRestart(restart: boolean): Promise<string | null> {
    const s = this.deps.supervisor;
    const port = s.port || s.stickyPort();
    const holder = port ? portHolder(port) : null;
    if (holder && holder !== s.pid) {
      const cmd = cmdline(holder);
      if (cmd.includes(PROXY_MARKER) || cmd.includes("codex-launcher-proxy")) {
        this.deps.write(`port ${port} is held by a stale proxy (pid ${holder}); stopping it`);
        signalPid(holder, "TERM");
        for (let i = 0; i < 20 && pidAlive(holder); i++) await new Promise((r) => setTimeout(r, 100));
        if (pidAlive(holder)) signalPid(holder, "KILL");
      } else if (restart) {
        // Not ours: leave it alone, move the proxy to a free port and point Codex there.
        this.deps.write(`port ${port} is held by another program (pid ${holder}: ${cmd.slice(0, 120)}); it is left alone`);
        const error = await this.#restart(null, 3000, 0);
        if (error) return error;
        const configError = await this.#regenerateConfig();
        this.deps.alert("The proxy moved to another port", `Port ${port} is used by ${cmd.split(" ")[0] || `pid ${holder}`}. The proxy now listens on ${s.port} and config.toml was updated; restart Codex to use it.`);
        return configError;
      }
    }
    for (const line of await cleanupStaleProcesses(this.deps.paths, s.pid ? [s.pid] : [])) this.deps.write(`cleanup: ${line}`);
    return restart ? this.#restart() : null;
  }

  async #switchProvider(): Promise<string | null> {
    const s = this.deps.supervisor;
    const current = s.spec?.endpointName;
    const candidates = this.deps.endpoints.doc.endpoints.filter((e) => isServedBackend(e.backend_type) && (e.default_model || e.models.length));
    const at = candidates.findIndex((e) => e.name === current);
    const next = candidates.length > 1 ? candidates[(at + 1) % candidates.length] : null;
    if (!next || next.name === current) return "there is no other usable endpoint to switch to";
    const model = next.default_model || next.models[0];
    const apiKey = await this.deps.endpoints.keyFor(next.name);
    this.deps.write(`switching provider: ${current} → ${next.name} (model ${model})`);
    const error = await this.#restart({ endpointName: next.name, backend: next.backend_type, targetUrl: next.base_url, apiKey,
      models: next.models.length ? next.models : [model], model, forceModel: model });
    if (error) return error;
    this.deps.alert("Switched provider", `${current} kept failing; requests now go to ${next.name} (${model}).`);
    return this.#regenerateConfig();
  }

  #clearSchemaCache(): string | null {
    const path = this.deps.paths.providerCaps;
    if (!GLib.file_test(path, GLib.FileTest.EXISTS)) {
      this.deps.write("provider-caps.json is already gone (the proxy set a corrupt one aside)");
      return null;
    }
    // Moved aside, not deleted: the learned entries stay recoverable.
    const aside = `${path}.cleared-${GLib.DateTime.new_now_local().format("%Y%m%d-%H%M%S")}`;
    Gio.File.new_for_path(path).move(Gio.File.new_for_path(aside), Gio.FileCopyFlags.OVERWRITE, null, null);
    this.deps.write(`provider-caps.json moved aside to ${aside}; the proxy relearns from scratch`);
    return null;
  }

  async #regenerateConfig(): Promise<string | null> {
    const s = this.deps.supervisor;
    if (!s.spec || !s.port) return "the proxy is not running";
    const written = await writeCodexConfig(this.deps.paths, { port: s.port, model: s.spec.forceModel ?? s.spec.model, endpointName: s.spec.endpointName,
      models: s.spec.models, codexPath: findCodex() }, (l) => this.deps.write(l));
    this.deps.write(`config.toml rewritten for port ${s.port}${written.backup ? ` (backup ${written.backup})` : ""}`);
    return null;
  }
}
