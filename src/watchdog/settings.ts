// Where AI Monitoring's settings live: endpoints.json's ai_monitoring section (the original's
// monitoring-config.json is read when the section is missing); the AI key in the secret store.
import { readTextFile } from "../lib/files.js";
import { monitoringSection, readMonitoringConfig, type MonitoringConfig } from "../watchdog/config.js";
import type { AppContext } from "../launcher/app-context.js";

const KEY_ACCOUNT = "ai_monitoring";

function legacyConfig(ctx: AppContext): { config: unknown; apiKey: string } {
  try {
    const data = JSON.parse(readTextFile(`${ctx.paths.cacheDir}/monitoring-config.json`) ?? "null") as Record<string, unknown> | null;
    return { config: data, apiKey: typeof data?.api_key === "string" ? data.api_key : "" };
  } catch {
    return { config: null, apiKey: "" };
  }
}

export async function loadMonitoringSettings(ctx: AppContext): Promise<{ config: MonitoringConfig; apiKey: string }> {
  const section = ctx.endpoints.doc.ai_monitoring;
  const legacy = section ? { config: null, apiKey: "" } : legacyConfig(ctx);
  const config = readMonitoringConfig(section, legacy.config);
  const inSection = section && typeof (section as Record<string, unknown>).api_key === "string" ? (section as Record<string, string>).api_key : "";
  const apiKey = (await ctx.secrets.lookup(KEY_ACCOUNT)) ?? (inSection || legacy.apiKey);
  return { config, apiKey };
}

export async function saveMonitoringSettings(ctx: AppContext, config: MonitoringConfig, apiKey: string): Promise<void> {
  if (apiKey) await ctx.secrets.store(KEY_ACCOUNT, apiKey, "Codex Launcher AI Monitoring key");
  else await ctx.secrets.clear(KEY_ACCOUNT);
  ctx.endpoints.save({ ...ctx.endpoints.doc, ai_monitoring: monitoringSection(config) });
}
