// Everything the windows share: file locations, stores, the proxy supervisor and the log.
import Gio from "gi://Gio";
import type { AppPaths } from "../lib/paths.js";
import { openSecretStore, type SecretStore } from "../lib/secrets.js";
import { EndpointsStore } from "./endpoints-store.js";
import { PoolsStore } from "./pools-store.js";
import { UsageFeed } from "./usage-feed.js";
import { UsageSettingsStore } from "./usage-settings-store.js";
import { LatencyBook } from "./model/latency.js";
import { loadOrCreateClientToken } from "./proxy-config.js";
import { ProxySupervisor, type SupervisorOptions } from "./proxy-supervisor.js";

export class LogBus {
  readonly lines: string[] = [];
  #listeners = new Set<(line: string) => void>();

  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
    for (const listener of this.#listeners) listener(line);
  }

  subscribe(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface AppContext {
  paths: AppPaths;
  secrets: SecretStore;
  endpoints: EndpointsStore;
  /** AI BGP pools (bgp-pools.json). */
  pools: PoolsStore;
  /** Prices per model and monthly budgets. */
  usageSettings: UsageSettingsStore;
  /** usage-stats.json and bgp-route-stats.json as the proxy writes them (a file monitor, no polling). */
  usageFeed: UsageFeed;
  supervisor: ProxySupervisor;
  log: LogBus;
  /** The last latency measured per endpoint (Doctor, Test, real traffic), for the main window's badge. */
  latency: LatencyBook;
  /** What Codex must present to the proxy (kept across restarts, 0600). */
  clientToken: string;
  /** How to start the proxy program (tests point it at build/app/proxy.js). */
  proxyArgv?: string[];
  /** Opens a web address in the user's browser (the Google sign-in); tests play the browser themselves. */
  openUri: (uri: string) => void;
}

/** The desktop's browser; throws when none is set up (the dialog then shows the address to copy). */
export function openInBrowser(uri: string): void {
  Gio.AppInfo.launch_default_for_uri(uri, null);
}

export async function createAppContext(paths: AppPaths, options: { proxyArgv?: string[]; preferFileSecrets?: boolean; supervisor?: SupervisorOptions;
  openUri?: (uri: string) => void } = {}): Promise<AppContext> {
  const log = new LogBus();
  const write = (line: string) => log.write(line);
  const secrets = await openSecretStore(`${paths.codexHome}/codex-launcher-keys.json`, { preferFile: options.preferFileSecrets });
  const endpoints = new EndpointsStore(paths.endpointsFile, secrets, write);
  const pools = new PoolsStore(paths.poolsFile, secrets, endpoints, write);
  // Pools first: endpoints.json's default may name one.
  pools.load();
  endpoints.poolNames = () => pools.names();
  endpoints.load();
  const usageSettings = new UsageSettingsStore(paths.usageSettingsFile, write);
  usageSettings.load();
  const clientToken = loadOrCreateClientToken(paths);
  const supervisor = new ProxySupervisor(paths, write, options.proxyArgv, { ...options.supervisor, clientToken });
  // A Google access token the proxy renewed goes back to where the login is kept.
  supervisor.onLoginRenewed = async (name, text) => {
    if (await endpoints.updateLogin(name, text)) write(`renewed Google access token for '${name}' stored in the ${secrets.kind === "keyring" ? "keyring" : "key file"}`);
  };
  return { paths, secrets, endpoints, pools, usageSettings, usageFeed: new UsageFeed(paths), supervisor, log, latency: new LatencyBook(), clientToken,
    proxyArgv: options.proxyArgv, openUri: options.openUri ?? openInBrowser };
}
