// ~/.codex/codex-launcher-usage.json: the user's prices per model and monthly budgets. A file that
// cannot be read is kept aside (the defaults apply meanwhile), never overwritten.
import { readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import { effectivePrices, EMPTY_USAGE_SETTINGS, parseUsageSettings, serializeUsageSettings, type ModelPrice, type UsageSettings } from "../lib/prices.js";

export class UsageSettingsStore {
  settings: UsageSettings = EMPTY_USAGE_SETTINGS;
  loadError: string | null = null;
  #listeners = new Set<() => void>();

  constructor(readonly path: string, private readonly log: (line: string) => void) {}

  load(): UsageSettings {
    this.loadError = null;
    const text = readTextFile(this.path);
    if (text === null || !text.trim()) {
      this.settings = EMPTY_USAGE_SETTINGS;
      return this.settings;
    }
    try {
      this.settings = parseUsageSettings(text);
    } catch (e) {
      const aside = setAside(this.path);
      this.loadError = `${this.path} could not be read (${(e as Error).message}). It was kept as ${aside}; the default prices apply.`;
      this.log(this.loadError);
      this.settings = EMPTY_USAGE_SETTINGS;
    }
    return this.settings;
  }

  /** Defaults overlaid with the user's prices. */
  prices(): Record<string, ModelPrice> {
    return effectivePrices(this.settings);
  }

  save(settings: UsageSettings): void {
    writeFileAtomic(this.path, serializeUsageSettings(settings), 0o600);
    this.settings = settings;
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
