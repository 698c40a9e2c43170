// Everything the windows share: file locations, stores, the proxy supervisor and the log.
import type { AppPaths } from "../lib/paths.js";
import { openSecretStore, type SecretStore } from "../lib/secrets.js";
import { EndpointsStore } from "./endpoints-store.js";
import { ProxySupervisor } from "./proxy-supervisor.js";

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
  /** How to start the proxy program (tests point it at build/app/proxy.js). */
  proxyArgv?: string[];
}

export async function createAppContext(paths: AppPaths, options: { proxyArgv?: string[]; preferFileSecrets?: boolean } = {}): Promise<AppContext> {
  const log = new LogBus();
  const write = (line: string) => log.write(line);
  const secrets = await openSecretStore(`${paths.codexHome}/codex-launcher-keys.json`, { preferFile: options.preferFileSecrets });
  const endpoints = new EndpointsStore(paths.endpointsFile, secrets, write);
  endpoints.load();
  const supervisor = new ProxySupervisor(paths, write, options.proxyArgv);
  return { paths, secrets, endpoints, supervisor, log, proxyArgv: options.proxyArgv };
}
