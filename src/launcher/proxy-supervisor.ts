// Owns the proxy child process: start on a sticky port, see its exit the moment it happens, stop it
// gracefully, report its /health. The watchdog builds on the same object.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import { readLines } from "../lib/line-reader.js";
import type { AppPaths } from "../lib/paths.js";
import { parseRegistry, withoutPid, withProcess } from "../lib/process-registry.js";
import { usesGoogleLogin, type BackendType } from "../lib/backend-types.js";
import { GoogleCredentialsError, parseCredentials } from "../lib/google-oauth.js";
import { requestJson } from "./http-client.js";

Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

export type ProxyState = "stopped" | "starting" | "running" | "stopping" | "exited";

export interface ProxySpec {
  endpointName: string;
  backend: BackendType;
  targetUrl: string;
  /** The provider key; for a Google-login backend, the stored login (credentials JSON) or "" for the Gemini CLI's. */
  apiKey: string;
  models: string[];
  model: string;
  /** Sent to the provider whatever model Codex asks for (after a provider switch). */
  forceModel?: string;
  idleTimeoutS?: number;
}

export interface ProxyHealth {
  ok: boolean;
  uptime_s: number;
  memory_mb: number | null;
  requests_total: number;
  active_streams: number;
  port: number;
  version: string;
}

export interface ExitInfo {
  code: number | null;
  signal: number | null;
  /** True when the exit followed our own stop(). */
  requested: boolean;
}

/** Marker in the proxy's command line, used to recognise our own processes in /proc. */
export const PROXY_MARKER = "proxy.js";

function defaultProxyArgv(): string[] {
  // proxy.js is bundled next to main.js, in build/app or in the installed pkgdatadir.
  const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
  return [GLib.find_program_in_path("gjs") ?? "/usr/bin/gjs", "-m", `${here}/proxy.js`];
}

export class ProxySupervisor {
  state: ProxyState = "stopped";
  port = 0;
  pid = 0;
  spec: ProxySpec | null = null;
  startedAtMs = 0;
  lastExit: ExitInfo | null = null;
  #child: Gio.Subprocess | null = null;
  /** Settles after the child's exit was fully processed (state, registry, listeners). */
  #exited: Promise<ExitInfo> | null = null;
  /** A start in progress: stop() waits for it, so no child can be left behind by a stop during start-up. */
  #starting: Promise<number> | null = null;
  #disposed = false;
  #stopRequested = false;
  #listeners = new Set<() => void>();
  #exitListeners = new Set<(exit: ExitInfo) => void>();
  /** The login file handed to the running proxy (a copy of the stored login), and its watch. */
  #loginFile: string | null = null;
  #loginMonitor: Gio.FileMonitor | null = null;
  /** Told when the proxy renewed a stored login's access token, so the store keeps the new one. */
  onLoginRenewed: ((endpointName: string, text: string) => Promise<void>) | null = null;

  /**
   * `temporary` supervisors (the edit dialog's Test button) pick any free port and leave
   * proxy-config.json and pids.json alone.
   */
  constructor(private readonly paths: AppPaths, private readonly log: (line: string) => void,
    private readonly proxyArgv: string[] = defaultProxyArgv(), private readonly temporary = false) {}

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called the moment the child exits, whatever the reason. */
  onExit(listener: (exit: ExitInfo) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The port used last time, so Codex's config.toml stays valid across restarts. */
  stickyPort(): number {
    try {
      const port = (JSON.parse(readTextFile(this.paths.proxyConfig) ?? "{}") as { port?: unknown }).port;
      return typeof port === "number" && port > 1024 && port < 65536 ? port : 0;
    } catch {
      return 0;
    }
  }

  /** Starts the proxy; resolves with its port once it listens and answers /health. */
  /**
   * `portFallback`: when the preferred port is taken, use a free one instead of failing. The watchdog
   * turns it off so that a taken port is handled (stale proxy killed, or Codex's config rewritten).
   */
  async start(spec: ProxySpec, preferredPort = this.temporary ? 0 : this.stickyPort(), portFallback = true): Promise<number> {
    if (this.#disposed) throw new Error("the launcher is shutting down");
    if (this.#child || this.#starting) throw new Error("the proxy is already running; stop it first");
    this.#starting = this.#start(spec, preferredPort, portFallback);
    try {
      return await this.#starting;
    } finally {
      this.#starting = null;
    }
  }

  async #start(spec: ProxySpec, preferredPort: number, portFallback: boolean): Promise<number> {
    this.spec = spec;
    this.#setState("starting");
    const modelsFile = `${this.paths.cacheDir}/proxy-models${this.temporary ? `-test-${GLib.uuid_string_random().slice(0, 8)}` : ""}.json`;
    writeFileAtomic(modelsFile, `${JSON.stringify(spec.models)}\n`, 0o644);
    try {
      let port: number;
      try {
        port = await this.#spawn(spec, preferredPort, modelsFile);
      } catch (e) {
        if (!portFallback || preferredPort === 0 || !/address already in use/.test((e as Error).message)) throw e;
        this.log(`port ${preferredPort} is taken; picking a free one`);
        port = await this.#spawn(spec, 0, modelsFile);
      }
      await this.#waitHealthy(5000);
      this.port = port;
      this.startedAtMs = Date.now();
      if (!this.temporary) this.#record();
      this.#setState("running");
      return port;
    } catch (e) {
      if (this.#child) await this.#stopChild(3000);
      this.#setState("stopped");
      throw e;
    }
  }

  async #spawn(spec: ProxySpec, port: number, modelsFile: string): Promise<number> {
    const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE });
    // The key travels in the environment, never on the command line where `ps` shows it. A Google login
    // travels as a private file the proxy renews in place (see #handLogin).
    if (usesGoogleLogin(spec.backend)) {
      launcher.unsetenv("CODEX_PROXY_API_KEY");
      launcher.setenv("CODEX_PROXY_CREDENTIALS_FILE", this.#handLogin(spec), true);
    } else launcher.setenv("CODEX_PROXY_API_KEY", spec.apiKey, true);
    const argv = [...this.proxyArgv, "--port", String(port), "--backend", spec.backend, "--target-url", spec.targetUrl,
      "--models-file", modelsFile, "--log-dir", this.paths.cacheDir,
      ...(spec.forceModel ? ["--force-model", spec.forceModel] : []), ...(spec.idleTimeoutS ? ["--idle-timeout", String(spec.idleTimeoutS)] : [])];
    const child = launcher.spawnv(argv);
    this.#child = child;
    this.#stopRequested = false;
    this.pid = Number(child.get_identifier());
    const listening = new Promise<number>((resolve, reject) => {
      void readLines(child.get_stdout_pipe()!, (line) => {
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      });
      const errors: string[] = [];
      void readLines(child.get_stderr_pipe()!, (line) => {
        errors.push(line);
        this.log(`[proxy] ${line.replace(/^\S+Z \[proxy\] /, "")}`);
      });
      this.#exited = this.#watchExit(child);
      void this.#exited.then((exit) => reject(new Error(
        errors.find((l) => /error:/.test(l))?.replace(/^codex-launcher-proxy: error: /, "") ?? `the proxy exited (${exit.code ?? `signal ${exit.signal}`})`)));
    });
    const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error("the proxy did not start within 10 s")), 10000));
    this.port = await Promise.race([listening, timeout]);
    return this.port;
  }

  #watchExit(child: Gio.Subprocess): Promise<ExitInfo> {
    return child.wait_async(null).then(() => {
      const exit: ExitInfo = {
        code: child.get_if_exited() ? child.get_exit_status() : null,
        signal: child.get_if_signaled() ? child.get_term_sig() : null,
        requested: this.#stopRequested,
      };
      if (this.#child === child) {
        const wasRunning = this.state === "running";
        this.#child = null;
        this.#releaseLogin();
        this.lastExit = exit;
        this.#forget(Number(this.pid));
        if (wasRunning || exit.requested) this.#setState(exit.requested ? "stopped" : "exited");
        // Start-up failures are reported by start() itself; listeners hear about exits of a running proxy.
        if (wasRunning) for (const listener of this.#exitListeners) listener(exit);
      }
      return exit;
    });
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.health(1000)) return;
      if (!this.#child) throw new Error("the proxy exited during start-up");
      if (Date.now() > deadline) throw new Error("the proxy did not answer /health");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** /health, or null when the proxy does not answer within `timeoutMs`. */
  async health(timeoutMs = 2000): Promise<ProxyHealth | null> {
    if (!this.port) return null;
    try {
      const reply = await requestJson("GET", `${this.url}/health`, { timeoutMs });
      return reply.status === 200 && (reply.body as ProxyHealth)?.ok ? (reply.body as ProxyHealth) : null;
    } catch {
      return null;
    }
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Stops the running proxy and starts `spec` (default: the same one) on the same port. */
  async restart(spec: ProxySpec | null = this.spec, graceMs = 3000, port = this.port || this.stickyPort()): Promise<number> {
    if (!spec) throw new Error("there is no proxy to restart: it was never started");
    await this.stop(graceMs);
    // Same port or fail: Codex's config.toml names this port.
    return this.start(spec, port, port === 0);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  /** Stops the proxy for good: a restart still under way (the watchdog's) cannot start a new one. */
  async dispose(graceMs = 3000): Promise<void> {
    this.#disposed = true;
    await this.stop(graceMs);
  }

  async stop(graceMs = 3000): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    await this.#stopChild(graceMs);
  }

  async #stopChild(graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#stopRequested = true;
    this.#setState("stopping");
    child.send_signal(15);
    const timer = setTimeout(() => child.force_exit(), graceMs);
    // #watchExit's own handling must be complete before a restart may start a new child.
    await this.#exited;
    clearTimeout(timer);
  }

  /**
   * The login file for a Google backend. A login stored by the launcher (keyring or key file) is copied
   * to a 0600 file in a 0700 directory that lives as long as the proxy; the proxy writes renewed tokens
   * there (atomically) and a file monitor carries them back to the store. Without a stored login the
   * proxy uses the Gemini CLI's own ~/.gemini/oauth_creds.json, which it renews in place like the CLI.
   */
  #handLogin(spec: ProxySpec): string {
    this.#releaseLogin();
    if (!spec.apiKey.trim()) return this.paths.geminiCliCredentials;
    GLib.mkdir_with_parents(this.paths.oauthDir, 0o700);
    Gio.File.new_for_path(this.paths.oauthDir).set_attribute_uint32("unix::mode", 0o700, Gio.FileQueryInfoFlags.NONE, null);
    const path = `${this.paths.oauthDir}/login-${GLib.uuid_string_random().slice(0, 12)}.json`;
    writeFileAtomic(path, spec.apiKey, 0o600);
    this.#loginFile = path;
    // The directory is watched: an atomic rename replaces the file itself.
    const monitor = Gio.File.new_for_path(this.paths.oauthDir).monitor_directory(Gio.FileMonitorFlags.WATCH_MOVES, null);
    monitor.connect("changed", (_m, file: Gio.File, other: Gio.File | null) => {
      if (file.get_path() === path || other?.get_path() === path) this.#syncLogin(path, spec);
    });
    this.#loginMonitor = monitor;
    return path;
  }

  /** Takes a renewed login from the proxy's file into the spec (restarts reuse it) and the store. */
  #syncLogin(path: string, spec: ProxySpec): void {
    let text: string | null;
    try {
      text = readTextFile(path);
    } catch {
      return;
    }
    if (!text || text === spec.apiKey) return;
    try {
      // Only a renewal of the same login, never something else that appeared in the file.
      if (parseCredentials(text).refresh_token !== parseCredentials(spec.apiKey).refresh_token) return;
    } catch (e) {
      if (e instanceof GoogleCredentialsError) return;
      throw e;
    }
    spec.apiKey = text;
    if (this.temporary || !this.onLoginRenewed) return;
    this.onLoginRenewed(spec.endpointName, text).catch((e) => this.log(`could not store the renewed Google login: ${(e as Error).message}`));
  }

  #releaseLogin(): void {
    const path = this.#loginFile;
    this.#loginMonitor?.cancel();
    this.#loginMonitor = null;
    this.#loginFile = null;
    if (!path) return;
    if (this.spec) this.#syncLogin(path, this.spec);
    try {
      Gio.File.new_for_path(path).delete(null);
    } catch {
      // Already gone.
    }
  }

  /**
   * A new sign-in for `endpointName`: a running proxy for it gets the new login at once (its file is
   * rewritten; the proxy reads it per request), or is restarted when it was using the Gemini CLI's file.
   */
  async replaceLogin(endpointName: string, text: string): Promise<void> {
    const spec = this.spec;
    if (!spec || spec.endpointName !== endpointName || !usesGoogleLogin(spec.backend)) return;
    spec.apiKey = text;
    if (this.#loginFile && this.running) {
      writeFileAtomic(this.#loginFile, text, 0o600);
      this.log(`the running proxy uses the new Google login for ${endpointName}`);
    } else if (this.running) {
      await this.restart(spec);
    }
  }

  #record(): void {
    writeFileAtomic(this.paths.proxyConfig, `${JSON.stringify({
      port: this.port, pid: this.pid, backend: this.spec?.backend, target_url: this.spec?.targetUrl,
      endpoint: this.spec?.endpointName, model: this.spec?.model, started_at: new Date(this.startedAtMs).toISOString(),
    }, null, 2)}\n`, 0o644);
    const registry = withProcess(parseRegistry(readTextFile(this.paths.pidsFile)), {
      pid: this.pid, role: "proxy", marker: PROXY_MARKER, started_at: new Date().toISOString(), port: this.port });
    writeFileAtomic(this.paths.pidsFile, `${JSON.stringify(registry, null, 2)}\n`, 0o644);
  }

  #forget(pid: number): void {
    try {
      const registry = parseRegistry(readTextFile(this.paths.pidsFile));
      if (registry.processes.some((p) => p.pid === pid))
        writeFileAtomic(this.paths.pidsFile, `${JSON.stringify(withoutPid(registry, pid), null, 2)}\n`, 0o644);
    } catch (e) {
      this.log(`cannot update ${this.paths.pidsFile}: ${(e as Error).message}`);
    }
  }

  #setState(state: ProxyState): void {
    this.state = state;
    for (const listener of this.#listeners) listener();
  }
}
