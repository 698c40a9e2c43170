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

/**
 * A diagnostic model's key left in plain text in the ai_monitoring section (the original app kept it
 * there) moves to the secret store, as endpoint keys do at start (EndpointsStore.settleKeys): without
 * this, --headless and the window both left it in endpoints.json for good, since only the AI Monitor
 * window's Save ever wrote the section back. A different key already in the store is the one used; the
 * file's is then left alone (nothing is destroyed) and the user is told. Returns a line for the log.
 */
async function settleMonitoringKey(ctx: AppContext): Promise<string | null> {
  const section = ctx.endpoints.doc.ai_monitoring as Record<string, unknown> | undefined;
  if (!section || typeof section !== "object" || typeof section.api_key !== "string" || section.api_key === "") return null;
  const plain = section.api_key;
  try {
    const stored = await ctx.secrets.lookup(KEY_ACCOUNT);
    if (stored && stored !== plain)
      return `the AI Monitoring key in ${ctx.endpoints.path} differs from the one kept in ${ctx.secrets.where}, which is used; the file's is left there: remove it`;
    if (!stored) await ctx.secrets.store(KEY_ACCOUNT, plain, "Codex Launcher AI Monitoring key");
    const { api_key: _moved, ...rest } = section;
    ctx.endpoints.save({ ...ctx.endpoints.doc, ai_monitoring: rest });
    return `moved the AI Monitoring key from ${ctx.endpoints.path} to ${ctx.secrets.where}`;
  } catch (e) {
    return `the AI Monitoring key could not be moved to ${ctx.secrets.where} and stays in ${ctx.endpoints.path} for now (${(e as Error).message})`;
  }
}

export async function loadMonitoringSettings(ctx: AppContext): Promise<{ config: MonitoringConfig; apiKey: string }> {
  const settled = await settleMonitoringKey(ctx);
  if (settled) ctx.log.write(settled);
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
