// Owns the watchdog's life: started when monitoring is enabled, reconfigured or stopped when the
// settings change, shared by the GUI and --headless.
import { secretsInKey } from "../lib/google-oauth.js";
import type { MonitoringConfig } from "../watchdog/config.js";
import { Watchdog, type Announcer, type Notifier } from "../watchdog/watchdog.js";
import type { AppContext } from "./app-context.js";
import { loadMonitoringSettings, saveMonitoringSettings } from "./monitoring-settings.js";

export class MonitoringController {
  watchdog: Watchdog | null = null;
  config: MonitoringConfig | null = null;
  apiKey = "";
  #listeners = new Set<() => void>();

  constructor(private readonly ctx: AppContext, public announce: Announcer, public notify: Notifier) {}

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

  #apply(config: MonitoringConfig, apiKey: string): void {
    this.config = config;
    this.apiKey = apiKey;
    if (config.enabled) {
      if (!this.watchdog) {
        this.watchdog = new Watchdog({
          paths: this.ctx.paths, supervisor: this.ctx.supervisor, endpoints: this.ctx.endpoints, config, aiApiKey: apiKey,
          announce: (text, undoable) => this.announce(text, undoable),
          notify: (title, body, action) => this.notify(title, body, action),
          log: (line) => this.ctx.log.write(line),
          // A stored Google login is a JSON document: its tokens are the secrets.
          secrets: async () => (await Promise.all(this.ctx.endpoints.doc.endpoints.map((e) => this.ctx.endpoints.keyFor(e.name)))).flatMap(secretsInKey),
        });
      } else this.watchdog.configure(config, apiKey);
      if (!this.watchdog.running) {
        this.watchdog.start();
        this.ctx.log.write("AI Monitoring: watchdog started");
      }
    } else if (this.watchdog?.running) {
      this.watchdog.stop();
      this.ctx.log.write("AI Monitoring: watchdog stopped");
    }
    for (const l of this.#listeners) l();
  }

  shutdown(): void {
    this.watchdog?.stop();
  }
}
