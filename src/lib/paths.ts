// Every file location the app uses, in one place. Pure: the environment is passed in.
// Compatible with the original app: ~/.codex/endpoints.json and ~/.cache/codex-proxy/.

export interface Environment {
  home: string;
  /** $XDG_CACHE_HOME, when set */
  xdgCacheHome?: string | null;
  /** $CODEX_HOME, when set (Codex's own override of ~/.codex) */
  codexHome?: string | null;
}

export interface AppPaths {
  codexHome: string;
  endpointsFile: string;
  /** AI BGP pools (the original's ~/.codex/bgp-pools.json). */
  poolsFile: string;
  /** Prices per model and monthly budgets (the Usage window edits it). */
  usageSettingsFile: string;
  codexConfigToml: string;
  /** The launcher's own Codex profile (codex --profile codex-launcher); config.toml stays the user's. */
  codexProfile: string;
  /** The model catalog written for models Codex does not know. */
  codexCatalog: string;
  cacheDir: string;
  proxyLog: string;
  ccDebugLog: string;
  monitoringLog: string;
  incidentStore: string;
  providerCaps: string;
  proxyConfig: string;
  pidsFile: string;
  /** One <pid>.json per running proxy, written by the proxy itself before it serves. */
  registryDir: string;
  /** Held (flock) by the one launcher that owns the proxy; owner.json says who that is. */
  ownerLock: string;
  ownerFile: string;
  /** What each request cost, per provider (written by the proxy, B.18). */
  usageStats: string;
  /** One JSON line per request (written by the proxy, rotated). */
  requestsLog: string;
  /** Each pool route's health (written by the proxy, B.17). */
  routeStats: string;
  /** Which budget alerts were already given this month. */
  budgetAlerts: string;
  /** The Gemini CLI's own Google login, used by the Gemini backends when no sign-in was stored here. */
  geminiCliCredentials: string;
  /** Private (0700) directory for the login file handed to a running proxy. */
  oauthDir: string;
}

export function resolvePaths(env: Environment): AppPaths {
  const codexHome = env.codexHome || `${env.home}/.codex`;
  const cacheDir = `${env.xdgCacheHome || `${env.home}/.cache`}/codex-proxy`;
  return {
    codexHome,
    endpointsFile: `${codexHome}/endpoints.json`,
    poolsFile: `${codexHome}/bgp-pools.json`,
    usageSettingsFile: `${codexHome}/codex-launcher-usage.json`,
    codexConfigToml: `${codexHome}/config.toml`,
    codexProfile: `${codexHome}/codex-launcher.config.toml`,
    codexCatalog: `${codexHome}/codex-launcher-models.json`,
    cacheDir,
    proxyLog: `${cacheDir}/proxy.log`,
    ccDebugLog: `${cacheDir}/cc-debug.log`,
    monitoringLog: `${cacheDir}/monitoring.log`,
    incidentStore: `${cacheDir}/incident-store.json`,
    providerCaps: `${cacheDir}/provider-caps.json`,
    proxyConfig: `${cacheDir}/proxy-config.json`,
    pidsFile: `${cacheDir}/pids.json`,
    registryDir: `${cacheDir}/proxies`,
    ownerLock: `${cacheDir}/owner.lock`,
    ownerFile: `${cacheDir}/owner.json`,
    usageStats: `${cacheDir}/usage-stats.json`,
    requestsLog: `${cacheDir}/requests.log`,
    routeStats: `${cacheDir}/bgp-route-stats.json`,
    budgetAlerts: `${cacheDir}/budget-alerts.json`,
    geminiCliCredentials: `${env.home}/.gemini/oauth_creds.json`,
    oauthDir: `${cacheDir}/oauth`,
  };
}
