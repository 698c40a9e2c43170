// Everything the windows share: file locations, stores, the proxy supervisor and the log.
import Gio from "gi://Gio";
import type { AppPaths } from "../lib/paths.js";
import { openSecretStore, type SecretStore } from "../lib/secrets.js";
import { EndpointsStore } from "./endpoints-store.js";
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
  endpoints.load();
  const clientToken = loadOrCreateClientToken(paths);
  const supervisor = new ProxySupervisor(paths, write, options.proxyArgv, { ...options.supervisor, clientToken });
  // A Google access token the proxy renewed goes back to where the login is kept.
  supervisor.onLoginRenewed = async (name, text) => {
    if (await endpoints.updateLogin(name, text)) write(`renewed Google access token for '${name}' stored in the ${secrets.kind === "keyring" ? "keyring" : "key file"}`);
  };
  return { paths, secrets, endpoints, supervisor, log, latency: new LatencyBook(), clientToken, proxyArgv: options.proxyArgv, openUri: options.openUri ?? openInBrowser };
}
