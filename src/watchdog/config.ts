// AI Monitoring settings: the `ai_monitoring` section of endpoints.json (the design's place), read with
// defaults and bounds; the original's monitoring-config.json is read when the section is absent. Pure.

export interface MonitoringConfig {
  enabled: boolean;
  provider_url: string;
  model: string;
  tier1_enabled: boolean;
  tier2_enabled: boolean;
  tier3_enabled: boolean;
  auto_restart_proxy: boolean;
  auto_switch_provider: boolean;
  health_check_interval_s: number;
  /** A probe that takes longer counts as a hang. */
  health_timeout_s: number;
  max_memory_mb: number;
  codex_max_memory_mb: number;
  notification_level: "all" | "important_only" | "none";
  monthly_budget_usd: number;
  /** How long after an action its effect is checked before it counts as a success. */
  verify_window_s: number;
}

export const DEFAULT_MONITORING: MonitoringConfig = {
  enabled: false,
  provider_url: "",
  model: "",
  tier1_enabled: true,
  tier2_enabled: true,
  tier3_enabled: true,
  auto_restart_proxy: true,
  auto_switch_provider: false,
  health_check_interval_s: 5,
  health_timeout_s: 3,
  max_memory_mb: 1024,
  codex_max_memory_mb: 4096,
  notification_level: "important_only",
  monthly_budget_usd: 2,
  verify_window_s: 20,
};

function clamp(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === "boolean" ? v : fallback;
}

function str(v: unknown, fallback: string): string {
  return typeof v === "string" ? v : fallback;
}

/** `section` is endpoints.json's ai_monitoring, `legacy` the original's monitoring-config.json. */
export function readMonitoringConfig(section: unknown, legacy: unknown = null): MonitoringConfig {
  const src = (section && typeof section === "object" ? section : legacy && typeof legacy === "object" ? legacy : {}) as Record<string, unknown>;
  const d = DEFAULT_MONITORING;
  const level = src.notification_level;
  return {
    enabled: bool(src.enabled, d.enabled),
    provider_url: str(src.provider_url, d.provider_url),
    model: str(src.model, d.model),
    tier1_enabled: bool(src.tier1_enabled, d.tier1_enabled),
    tier2_enabled: bool(src.tier2_enabled, d.tier2_enabled),
    tier3_enabled: bool(src.tier3_enabled, d.tier3_enabled),
    auto_restart_proxy: bool(src.auto_restart_proxy, d.auto_restart_proxy),
    auto_switch_provider: bool(src.auto_switch_provider, d.auto_switch_provider),
    health_check_interval_s: clamp(src.health_check_interval_s, 2, 30, d.health_check_interval_s),
    health_timeout_s: clamp(src.health_timeout_s, 0.5, 15, d.health_timeout_s),
    max_memory_mb: clamp(src.max_memory_mb, 1, 65536, d.max_memory_mb),
    codex_max_memory_mb: clamp(src.codex_max_memory_mb, 64, 262144, d.codex_max_memory_mb),
    notification_level: level === "all" || level === "none" || level === "important_only" ? level : d.notification_level,
    monthly_budget_usd: clamp(src.monthly_budget_usd, 0, 1000, d.monthly_budget_usd),
    verify_window_s: clamp(src.verify_window_s, 1, 600, d.verify_window_s),
  };
}

/** The section as written back to endpoints.json (never the API key: that lives in the keyring). */
export function monitoringSection(config: MonitoringConfig): Record<string, unknown> {
  return { ...config };
}
