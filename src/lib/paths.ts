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
  /** The original's BGP pools file (exported and imported with the setup when it exists). */
  bgpPoolsFile: string;
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
  usageFile: string;
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
    bgpPoolsFile: `${codexHome}/bgp-pools.json`,
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
    usageFile: `${cacheDir}/usage.json`,
    geminiCliCredentials: `${env.home}/.gemini/oauth_creds.json`,
    oauthDir: `${cacheDir}/oauth`,
  };
}
