// Owns the watchdog's life for the launcher that owns the proxy (GUI or --headless): the watchdog always
// runs there (it reports supervision, which is always on), its tiers act only while AI Monitoring is
// enabled; the probe cadence, timeout and memory cap of the settings apply to the supervisor either way.
import type { AppContext } from "../launcher/app-context.js";
import { secretsInKey } from "../lib/google-oauth.js";
import type { MonitoringConfig } from "./config.js";
import { loadMonitoringSettings, saveMonitoringSettings } from "./settings.js";
import { Watchdog, type Announcer, type Notifier } from "./watchdog.js";

export class MonitoringController {
  watchdog: Watchdog | null = null;
  config: MonitoringConfig | null = null;
  apiKey = "";
  /** Set for one run only (--headless): the tiers act whatever the saved switch says, and it is not saved. */
  forceEnabled = false;
  #listeners = new Set<() => void>();

  constructor(private readonly ctx: AppContext, public announce: Announcer, public notify: Notifier,
    private readonly refreshProfile: () => Promise<unknown> = async () => null) {}

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async load(): Promise<void> {
    const { config, apiKey } = await loadMonitoringSettings(this.ctx);
    this.#apply(config, apiKey);
  }

  async save(config: MonitoringConfig, apiKey: string): Promise<void> {
    await saveMonitoringSettings(this.ctx, config, apiKey);
    this.#apply(config, apiKey);
  }

  /** The settings the watchdog runs with (the saved ones, with this run's override). */
  effective(config: MonitoringConfig): MonitoringConfig {
    return this.forceEnabled ? { ...config, enabled: true } : config;
  }

  #apply(saved: MonitoringConfig, apiKey: string): void {
    this.config = saved;
    this.apiKey = apiKey;
    const config = this.effective(saved);
    this.ctx.supervisor.configure({ probeIntervalMs: config.health_check_interval_s * 1000, probeTimeoutMs: config.health_timeout_s * 1000,
      memoryCapMb: config.max_memory_mb });
    if (!this.watchdog) {
      this.watchdog = new Watchdog({
        paths: this.ctx.paths, supervisor: this.ctx.supervisor, endpoints: this.ctx.endpoints, config, aiApiKey: apiKey,
        announce: (text, undoable) => this.announce(text, undoable),
        notify: (title, body, action) => this.notify(title, body, action),
        log: (line) => this.ctx.log.write(line),
        // A key that cannot be read makes this throw: the Tier 3 report is then not sent at all.
        // A stored Google login is a JSON document: its tokens are the secrets.
        secrets: async () => [this.ctx.clientToken,
          ...(await Promise.all(this.ctx.endpoints.doc.endpoints.map((e) => this.ctx.endpoints.keyFor(e.name)))).flatMap(secretsInKey)],
        refreshProfile: this.refreshProfile,
      });
    } else this.watchdog.configure(config, apiKey);
    if (!this.watchdog.running) this.watchdog.start();
    this.ctx.log.write(`AI Monitoring: ${config.enabled ? "on" : "off (supervision of the proxy stays on)"}`);
    for (const l of this.#listeners) l();
  }

  shutdown(): void {
    this.watchdog?.stop();
  }
}
