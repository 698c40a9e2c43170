// The AI Monitor window's "Export Incident Report": settings (never the key), AI usage, the incidents and
// the recent monitoring log, as one Markdown file.
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import type { MonitoringConfig } from "./config.js";
import { incidentLines, type IncidentStoreData } from "./incidents.js";

export function writeIncidentReport(paths: AppPaths, path: string, config: MonitoringConfig, store: IncidentStoreData, now = new Date()): void {
  let log: string;
  try {
    log = (readTextFile(paths.monitoringLog) ?? "(no monitoring log yet)").split("\n").slice(-200).join("\n");
  } catch (e) {
    log = `(the monitoring log could not be read: ${(e as Error).message})`;
  }
  const text = [`# Codex Launcher — AI Monitoring incident report`, `Generated ${now.toISOString()}`, "",
    "## Settings", `enabled=${config.enabled} model=${config.model || "(none)"} provider_url=${config.provider_url || "(none)"} interval=${config.health_check_interval_s}s auto_restart=${config.auto_restart_proxy} auto_switch=${config.auto_switch_provider}`, "",
    "## Stats", `AI calls ${store.stats.ai_calls}, tokens ${store.stats.tokens_used}, cost $${store.stats.cost_usd.toFixed(4)}`, "",
    "## Incidents", ...incidentLines(store), "", "## Recent monitoring log", "```", log, "```", ""].join("\n");
  writeFileAtomic(path, text, 0o600);
}
