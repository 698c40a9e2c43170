// What the watchdog can do about a failure. Each action resolves with an error message, or null when
// it was carried out; nothing here is destructive on its own (foreign processes are never signalled,
// caches are moved aside, Codex sessions are never ended) and nothing restarts the proxy for a fault of
// one request. Restarts go through the supervisor, which lets live streams drain first.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { isServedBackend } from "../lib/backend-types.js";
import type { AppPaths } from "../lib/paths.js";
import { cleanupStaleProxies } from "../launcher/cleanup.js";
import type { EndpointsStore } from "../launcher/endpoints-store.js";
import type { ProxySpec, SupervisedProxy } from "../launcher/proxy-supervisor.js";
import { silenceBounds } from "../proxy/silence.js";
import type { ActionId } from "./rules.js";
import type { Signal } from "./signals.js";
import { endpointReasoning } from "../lib/reasoning.js";

export interface ActionDeps {
  paths: AppPaths;
  supervisor: SupervisedProxy;
  endpoints: EndpointsStore;
  /** Points Codex's profile at the proxy as it runs now (after a provider switch or a port move). */
  refreshProfile: () => Promise<unknown>;
  write: (line: string) => void;
  alert: (title: string, body: string) => void;
}

/** The idle timeout is doubled per action, up to this bound (seconds). */
/** The watchdog raises the idle bound up to 300 s: Codex's own stream idle timeout (330 s in the launcher's
 * profile) must stay above it, or Codex would cut the stream before the proxy could say why. */
const MAX_IDLE_TIMEOUT_S = 300;

export class ActionExecutor {
  constructor(private readonly deps: ActionDeps) {}

  /** Runs an action; resolves with an error message, or null when it was carried out. */
  async execute(action: ActionId, signal: Signal): Promise<string | null> {
    const { supervisor, paths } = this.deps;
    try {
      switch (action) {
        case "supervise":
          return null; // the supervisor acts on its own; the watchdog records it
        case "restart_proxy":
          return await this.#restart(null, `${signal.category}: the watchdog asked for a restart`);
        case "kill_stale_and_restart":
        case "kill_stale_processes":
        case "cleanup_stale_pids":
          for (const line of await cleanupStaleProxies(paths, supervisor.identity)) this.deps.write(`cleanup: ${line}`);
          return action === "kill_stale_and_restart" ? this.#restart(null, "port conflict") : null;
        case "increase_timeout": {
          const spec = supervisor.spec;
          if (!spec) return "no proxy settings to change";
          // Doubles the bound in force for the model in use (the endpoint's override, else the defaults table).
          const current = silenceBounds(spec.model, { idleS: spec.idleTimeoutS }).idleS;
          const idle = Math.min(MAX_IDLE_TIMEOUT_S, Math.max(current, current * 2));
          if (idle <= current) return `the stream idle timeout is already at its ${MAX_IDLE_TIMEOUT_S} s bound`;
          // Changed in the running proxy: no restart, no stream cut.
          await supervisor.setIdleTimeout(idle);
          this.deps.write(`stream idle timeout raised to ${idle} s in the running proxy (no restart)`);
          return null;
        }
        case "switch_provider":
          return await this.#switchProvider();
        case "clear_schema_cache":
          return this.#clearSchemaCache();
        case "regenerate_config":
          await this.deps.refreshProfile();
          this.deps.write(`Codex's profile points at port ${supervisor.port} again`);
          return null;
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

  async #restart(spec: ProxySpec | null, reason: string): Promise<string | null> {
    const s = this.deps.supervisor;
    try {
      const started = Date.now();
      const port = await s.restart(spec ?? s.spec, reason);
      this.deps.write(`proxy restarted on port ${port} in ${Date.now() - started} ms (pid ${s.pid}; live streams drained first)`);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  async #switchProvider(): Promise<string | null> {
    const s = this.deps.supervisor;
    if (s.spec?.pool) {
      // A pool already moves to its next route on its own; replacing it with one endpoint would undo that.
      this.deps.write(`no provider switch: the proxy routes the AI BGP pool '${s.spec.pool.pool}', which fails over by itself`);
      return null;
    }
    const current = s.spec?.endpointName;
    const candidates = this.deps.endpoints.doc.endpoints.filter((e) => isServedBackend(e.backend_type) && (e.default_model || e.models.length));
    const at = candidates.findIndex((e) => e.name === current);
    const next = candidates.length > 1 ? candidates[(at + 1) % candidates.length] : null;
    if (!next || next.name === current) return "there is no other usable endpoint to switch to";
    const model = next.default_model || next.models[0];
    const apiKey = await this.deps.endpoints.keyFor(next.name);
    this.deps.write(`switching provider: ${current} → ${next.name} (model ${model})`);
    const error = await this.#restart({ endpointName: next.name, backend: next.backend_type, targetUrl: next.base_url, apiKey,
      models: next.models.length ? next.models : [model], model, forceModel: model, reasoning: endpointReasoning(next) }, `switching provider to ${next.name}`);
    if (error) return error;
    await this.deps.refreshProfile();
    this.deps.alert("Switched provider", `${current} kept failing; requests now go to ${next.name} (${model}).`);
    return null;
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
}
