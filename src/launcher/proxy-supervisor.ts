// Supervision of the proxy: a desired state ("a healthy proxy for this endpoint on port P") and a loop
// that converges to it whenever it does not hold — the child exited, confirmed health probes failed, it
// hung, it grew past the memory cap. Always on while the launcher owns a proxy, whatever the AI
// Monitoring switch says (that switch governs diagnosis, provider switching and alerts). Restarts follow
// supervision-policy.ts; restarts decided while streams are live let them drain first (SIGTERM: the proxy
// refuses new requests and gives live streams up to 5 s) unless the process is dead or hung.
import { PROXY_MALLOC_ENV } from "../lib/malloc-env.js";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { writeFileAtomic } from "../lib/files.js";
import { requestJson } from "../lib/http-client.js";
import { readLines } from "../lib/line-reader.js";
import type { AppPaths } from "../lib/paths.js";
import { sameProcess, type ProcessIdentity } from "../lib/process-identity.js";
import { portHolder, readIdentity, terminateIfSame } from "../lib/processes.js";
import { splitUrlSecrets } from "../lib/url-secrets.js";
import { usesGoogleLogin, type BackendType } from "../lib/backend-types.js";
import { serializeHandedPool, type HandedPool } from "../lib/pool-handover.js";
import type { ReasoningSetting } from "../lib/reasoning.js";
import { updateProxyConfig } from "./proxy-config.js";
import type { RegisteredProxy } from "./proxy-registry.js";
import { DEFAULT_BACKOFF, RestartBackoff, RestartBudgetAlarm, type BackoffSettings } from "./supervision-policy.js";
import { LoginHandover } from "./login-handover.js";
import { googleClientOrNull } from "./google-client.js";
import { CLIENT_ID_ENV, CLIENT_SECRET_ENV } from "../lib/google-oauth.js";

Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

/** "down": a proxy is wanted but none is healthy; the next attempt is scheduled. */
export type ProxyState = "stopped" | "starting" | "running" | "stopping" | "restarting" | "down";

export interface ProxySpec {
  endpointName: string;
  backend: BackendType;
  /** May carry credentials (user:pw@, ?api-key=): they go to the proxy in its environment only. */
  targetUrl: string;
  /** The provider key; for a Google-login backend, the stored login (credentials JSON) or "" for the Gemini CLI's. */
  apiKey: string;
  models: string[];
  model: string;
  /** Sent to the provider whatever model Codex asks for (after a provider switch). */
  forceModel?: string;
  /** Silence bounds of this endpoint (endpoints.json), or raised by the watchdog; unset: the per-model defaults. */
  firstByteTimeoutS?: number;
  idleTimeoutS?: number;
  /** An AI BGP pool (then `endpointName` is the pool's name): its routes with their keys, handed over in the environment. */
  pool?: HandedPool;
  /** The endpoint's reasoning setting (lib/reasoning.ts); absent: Codex's own effort passes through. */
  reasoning?: ReasoningSetting | null;
}

export interface ProxyHealth {
  ok: boolean;
  uptime_s: number;
  memory_mb: number | null;
  requests_total: number;
  active_streams: number;
  port: number;
  version: string;
  pid: number;
  client_token_required?: boolean;
  kept?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: number | null;
  /** True when the exit followed our own stop() or restart(). */
  requested: boolean;
}

export type SupervisorEvent =
  | { kind: "exited"; pid: number; exit: ExitInfo }
  | { kind: "unhealthy"; how: "refused" | "hung"; detail: string }
  | { kind: "memory"; rssMb: number; capMb: number }
  | { kind: "restart_scheduled"; delayMs: number; reason: string }
  | { kind: "restarted"; port: number; pid: number; downMs: number; reason: string }
  | { kind: "restart_failed"; error: string }
  | { kind: "budget_spent"; used: number; windowMin: number }
  | { kind: "port_moved"; from: number; to: number; holder: string }
  | { kind: "adopted"; pid: number; port: number };

/** What the watchdog needs of a supervised proxy (a fake can stand in for it in unit specs). */
export interface SupervisedProxy {
  readonly state: ProxyState;
  readonly port: number;
  readonly pid: number;
  readonly spec: ProxySpec | null;
  readonly running: boolean;
  /** A proxy is wanted (false once the user stopped it). */
  readonly supervising: boolean;
  /** The running proxy's identity, when known. */
  readonly identity: ProcessIdentity | null;
  health(timeoutMs?: number): Promise<ProxyHealth | null>;
  onChange(listener: () => void): () => void;
  onEvent(listener: (event: SupervisorEvent) => void): () => void;
  restart(spec?: ProxySpec | null, reason?: string): Promise<number>;
  setIdleTimeout(seconds: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

export interface SupervisorOptions {
  /** Temporary proxies (the edit dialog's Test): any free port, no restarts, proxy-config.json untouched. */
  temporary?: boolean;
  /** Required from Codex by the proxy; handed over in the environment. */
  clientToken?: string | null;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  memoryCapMb?: number;
  backoff?: BackoffSettings;
  /** Seconds without a probe after which the proxy counts as orphaned (see proxy/ownership.ts). */
  ownerLeaseS?: number;
  orphanIdleExitS?: number;
  drainTimeoutS?: number;
}

export const OWNER_HEADER = "X-Codex-Launcher-Owner";

function defaultProxyArgv(): string[] {
  // proxy.js is bundled next to main.js, in build/app or in the installed pkgdatadir.
  const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
  return [GLib.find_program_in_path("gjs") ?? "/usr/bin/gjs", "-m", `${here}/proxy.js`];
}

const selfPid = Number(new Gio.Credentials().get_unix_pid());

export class ProxySupervisor implements SupervisedProxy {
  state: ProxyState = "stopped";
  port = 0;
  pid = 0;
  spec: ProxySpec | null = null;
  startedAtMs = 0;
  lastExit: ExitInfo | null = null;
  /** The running proxy's identity (child or adopted). */
  identity: ProcessIdentity | null = null;
  readonly options: Required<Omit<SupervisorOptions, "clientToken">> & { clientToken: string | null };
  #child: Gio.Subprocess | null = null;
  /** A proxy a previous launcher started, now ours to watch (no child handle: probed by identity). */
  #adopted = false;
  /** Settles after the child's exit was fully processed. */
  #exited: Promise<ExitInfo> | null = null;
  #starting: Promise<number> | null = null;
  #disposed = false;
  #stopRequested = false;
  /** What should be running; null after stop(). */
  #desired: { spec: ProxySpec; port: number } | null = null;
  #convergeTimer: ReturnType<typeof setTimeout> | null = null;
  #converging = false;
  #downSinceMs = 0;
  #downReason = "";
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #probing = false;
  #probeStartedAt = 0;
  #misses = 0;
  readonly #backoff: RestartBackoff;
  readonly #budget = new RestartBudgetAlarm();
  #listeners = new Set<() => void>();
  #events = new Set<(event: SupervisorEvent) => void>();
  readonly #login: LoginHandover;

  constructor(private readonly paths: AppPaths, private readonly log: (line: string) => void,
    private readonly proxyArgv: string[] = defaultProxyArgv(), options: SupervisorOptions = {}) {
    this.options = {
      temporary: options.temporary ?? false, clientToken: options.clientToken ?? null, probeIntervalMs: options.probeIntervalMs ?? 5000,
      probeTimeoutMs: options.probeTimeoutMs ?? 3000, memoryCapMb: options.memoryCapMb ?? 1024, backoff: options.backoff ?? DEFAULT_BACKOFF,
      ownerLeaseS: options.ownerLeaseS ?? 60, orphanIdleExitS: options.orphanIdleExitS ?? 300, drainTimeoutS: options.drainTimeoutS ?? 5,
    };
    this.#backoff = new RestartBackoff(this.options.backoff);
    this.#login = new LoginHandover(paths, log, this.options.temporary);
  }

  /** Told when the proxy renewed a stored Google login's access token, so the store keeps the new one. */
  set onLoginRenewed(listener: ((endpointName: string, text: string) => Promise<void>) | null) {
    this.#login.onRenewed = listener;
  }

  /**
   * A new sign-in for `endpointName`: a running proxy for it gets the new login at once (its file is
   * rewritten; the proxy reads it per request), or is restarted when it was using the Gemini CLI's file.
   */
  async replaceLogin(endpointName: string, text: string): Promise<void> {
    const spec = this.spec;
    if (!spec || spec.endpointName !== endpointName || !usesGoogleLogin(spec.backend)) return;
    spec.apiKey = text;
    if (this.running && this.#login.replace(text)) this.log(`the running proxy uses the new Google login for ${endpointName}`);
    else if (this.running) await this.restart(spec, "a new Google sign-in");
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onEvent(listener: (event: SupervisorEvent) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }

  /** Probe cadence, timeout and memory cap (the AI Monitor settings; supervision itself is always on). */
  configure(change: { probeIntervalMs?: number; probeTimeoutMs?: number; memoryCapMb?: number }): void {
    Object.assign(this.options, Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)));
    if (this.#probeTimer) this.#startProbing();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A proxy process is there (a child, or an adopted one). */
  get running(): boolean {
    return this.#child !== null || this.#adopted;
  }

  get adopted(): boolean {
    return this.#adopted;
  }

  /** A proxy is wanted (started and not stopped by the user). */
  get supervising(): boolean {
    return this.#desired !== null;
  }

  /** Starts the proxy; resolves with its port once it listens and answers /health. */
  /**
   * `portFallback`: when the preferred port is taken by another program, use a free one instead of
   * failing (the caller then points Codex at the new port).
   */
  async start(spec: ProxySpec, preferredPort = 0, portFallback = true): Promise<number> {
    if (this.#disposed) throw new Error("the launcher is shutting down");
    if (this.running || this.#starting) throw new Error("the proxy is already running; stop it first");
    this.#cancelConverge();
    this.#starting = this.#launch(spec, preferredPort, portFallback);
    try {
      const port = await this.#starting;
      if (!this.options.temporary) this.#desired = { spec, port };
      this.#startProbing();
      return port;
    } finally {
      this.#starting = null;
    }
  }

  /**
   * Takes over a proxy a previous launcher started (found by identity in the registry) when it answers
   * /health and knows our client token; resolves false when it is not usable (it is then left alone).
   */
  async adopt(record: RegisteredProxy, spec: ProxySpec | null): Promise<boolean> {
    if (this.running || this.#starting) return false;
    this.port = record.port;
    const health = await this.health(2000);
    if (!health || health.pid !== record.identity.pid || (this.options.clientToken !== null && !health.client_token_required)) {
      this.port = 0;
      return false;
    }
    this.#adopted = true;
    this.identity = record.identity;
    this.pid = record.identity.pid;
    this.spec = spec;
    this.startedAtMs = Date.now() - health.uptime_s * 1000;
    this.#desired = spec ? { spec, port: record.port } : null;
    this.#record();
    this.#setState("running");
    this.#emit({ kind: "adopted", pid: this.pid, port: this.port });
    // It is owned again: it should not stay "kept" nor exit as an orphan.
    await this.#admin("/admin/keep", { keep: false }).catch(() => undefined);
    this.#startProbing();
    return true;
  }

  async #launch(spec: ProxySpec, preferredPort: number, portFallback: boolean): Promise<number> {
    this.spec = spec;
    this.#setState("starting");
    const modelsFile = `${this.paths.cacheDir}/proxy-models${this.options.temporary ? `-test-${GLib.uuid_string_random().slice(0, 8)}` : ""}.json`;
    writeFileAtomic(modelsFile, `${JSON.stringify(spec.models)}\n`, 0o600);
    try {
      let port: number;
      try {
        port = await this.#spawn(spec, preferredPort, modelsFile);
      } catch (e) {
        if (preferredPort === 0 || !/address already in use/.test((e as Error).message)) throw e;
        const holder = portHolder(preferredPort);
        const holderText = holder ? `pid ${holder}` : "another program";
        if (!portFallback) throw new Error(`port ${preferredPort} is taken by ${holderText}`);
        // Not ours to touch: the proxy moves; whoever points Codex at it hears of the move.
        this.log(`port ${preferredPort} is taken by ${holderText}; picking a free one`);
        port = await this.#spawn(spec, 0, modelsFile);
        this.#emit({ kind: "port_moved", from: preferredPort, to: port, holder: holderText });
      }
      await this.#waitHealthy(5000);
      this.port = port;
      this.startedAtMs = Date.now();
      // Healthy from here: a crash after the stable time is restarted at once (supervision-policy.ts).
      this.#backoff.healthy(this.startedAtMs);
      if (!this.options.temporary) this.#record();
      this.#setState("running");
      return port;
    } catch (e) {
      if (this.#child) await this.#kill(1000);
      this.#setState(this.#desired ? "down" : "stopped");
      throw e;
    }
  }

  async #spawn(spec: ProxySpec, port: number, modelsFile: string): Promise<number> {
    const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE });
    // Secrets travel in the environment, never on the command line where `ps` shows them to every user.
    const target = splitUrlSecrets(spec.targetUrl);
    let backendArgs: string[];
    if (spec.pool) {
      // A pool's routes, keys included, travel in the environment like a single key (never argv).
      launcher.unsetenv("CODEX_PROXY_API_KEY");
      launcher.unsetenv("CODEX_PROXY_TARGET_URL");
      launcher.unsetenv("CODEX_PROXY_CREDENTIALS_FILE");
      launcher.setenv("CODEX_PROXY_ROUTES", serializeHandedPool(spec.pool), true);
      backendArgs = [];
    } else {
      launcher.unsetenv("CODEX_PROXY_ROUTES");
      // A Google login travels as a private file the proxy renews in place (login-handover.ts).
      if (usesGoogleLogin(spec.backend)) {
        launcher.unsetenv("CODEX_PROXY_API_KEY");
        launcher.setenv("CODEX_PROXY_CREDENTIALS_FILE", this.#login.hand(spec), true);
        // The OAuth client renews the login; found here (environment or the installed Gemini CLI) and
        // handed over, so the proxy never looks for it itself. Without one the proxy still serves until
        // the access token expires, and then says why it cannot renew it.
        const client = googleClientOrNull();
        if (client) {
          launcher.setenv(CLIENT_ID_ENV, client.id, true);
          launcher.setenv(CLIENT_SECRET_ENV, client.secret, true);
        }
      } else launcher.setenv("CODEX_PROXY_API_KEY", spec.apiKey, true);
      launcher.setenv("CODEX_PROXY_TARGET_URL", spec.targetUrl, true);
      backendArgs = ["--backend", spec.backend, "--target-url", target.publicUrl, "--usage-label", spec.endpointName];
    }
    for (const [name, value] of Object.entries(PROXY_MALLOC_ENV)) launcher.setenv(name, value, true);
    if (this.options.clientToken) launcher.setenv("CODEX_LAUNCHER_CLIENT_TOKEN", this.options.clientToken, true);
    else launcher.unsetenv("CODEX_LAUNCHER_CLIENT_TOKEN");
    const args = ["--port", String(port), ...backendArgs, "--models-file", modelsFile,
      "--log-dir", this.paths.cacheDir, "--registry-dir", this.paths.registryDir, "--owner-lease", String(this.options.ownerLeaseS),
      "--orphan-idle-exit", String(this.options.orphanIdleExitS), "--drain-timeout", String(this.options.drainTimeoutS),
      ...(spec.forceModel ? ["--force-model", spec.forceModel] : []), ...(spec.reasoning ? ["--reasoning", spec.reasoning] : []),
      ...(spec.idleTimeoutS ? ["--idle-timeout", String(spec.idleTimeoutS)] : []),
      ...(spec.firstByteTimeoutS ? ["--first-byte-timeout", String(spec.firstByteTimeoutS)] : [])];
    // Its own session (setsid execs in place: same pid): a terminal's Ctrl-C or hang-up aimed at the
    // launcher does not reach the proxy, which the launcher stops itself, after a drain.
    const setsid = GLib.find_program_in_path("setsid");
    const child = launcher.spawnv([...(setsid ? [setsid] : []), ...this.proxyArgv, ...args]);
    this.#child = child;
    this.#adopted = false;
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
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the proxy did not start within 10 s")), 10000);
    });
    try {
      this.port = await Promise.race([listening, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
    }
    this.identity = readIdentity(this.pid);
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
        const pid = this.pid;
        const wasRunning = this.state === "running";
        this.#child = null;
        this.identity = null;
        this.#login.release(this.spec);
        this.lastExit = exit;
        if (!exit.requested && wasRunning) this.#lost({ kind: "exited", pid, exit }, `the proxy (pid ${pid}) exited: ${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}`);
        else if (exit.requested && !this.#desired) this.#setState("stopped");
      }
      return exit;
    });
  }

  /** The running proxy is gone or unusable: tell the listeners, and converge if it is wanted. */
  #lost(event: SupervisorEvent, reason: string): void {
    this.#emit(event);
    if (!this.#desired || this.#disposed) {
      this.#setState("stopped");
      return;
    }
    this.#scheduleConverge(reason);
  }

  #scheduleConverge(reason: string): void {
    if (!this.#desired || this.#disposed || this.#convergeTimer || this.#converging) return;
    const now = Date.now();
    if (this.#downSinceMs === 0) {
      this.#downSinceMs = now;
      this.#downReason = reason;
    }
    const delayMs = this.#backoff.failed(now);
    if (this.#budget.spend(now)) this.#emit({ kind: "budget_spent", used: this.#budget.used(now), windowMin: this.#budget.windowMs / 60000 });
    this.#setState("down");
    this.log(`${reason}; ${delayMs === 0 ? "restarting it now" : `restarting it in ${(delayMs / 1000).toFixed(1)} s`}`);
    this.#emit({ kind: "restart_scheduled", delayMs, reason });
    this.#convergeTimer = setTimeout(() => {
      this.#convergeTimer = null;
      void this.#converge();
    }, delayMs);
  }

  #cancelConverge(): void {
    if (this.#convergeTimer) clearTimeout(this.#convergeTimer);
    this.#convergeTimer = null;
  }

  /** One attempt to make the desired state hold again. */
  async #converge(): Promise<void> {
    const desired = this.#desired;
    if (!desired || this.#disposed || this.#starting) return;
    this.#converging = true;
    try {
      // A hung or unhealthy proxy that is still there goes first: it is not answering, so no drain.
      if (this.running) await this.#kill(0);
      this.#starting = this.#launch(desired.spec, desired.port, true);
      const port = await this.#starting;
      this.#desired = { spec: desired.spec, port };
      const downMs = Date.now() - this.#downSinceMs;
      this.log(`proxy back on port ${port} (pid ${this.pid}) ${downMs} ms after: ${this.#downReason}`);
      this.#emit({ kind: "restarted", port, pid: this.pid, downMs, reason: this.#downReason });
      this.#downSinceMs = 0;
      this.#misses = 0;
      this.#startProbing();
    } catch (e) {
      this.#emit({ kind: "restart_failed", error: (e as Error).message });
      this.#converging = false;
      this.#starting = null;
      this.#scheduleConverge(`the restart failed: ${(e as Error).message}`);
      return;
    } finally {
      this.#starting = null;
      this.#converging = false;
    }
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.health(1000)) return;
      if (!this.#child) throw new Error("the proxy exited during start-up");
      if (Date.now() > deadline) throw new Error("the proxy did not answer /health");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  #ownerHeaders(): Record<string, string> {
    return { [OWNER_HEADER]: String(selfPid), ...(this.options.clientToken ? { Authorization: `Bearer ${this.options.clientToken}` } : {}) };
  }

  /** /health, or null when the proxy does not answer within `timeoutMs`. */
  async health(timeoutMs = 2000): Promise<ProxyHealth | null> {
    if (!this.port) return null;
    try {
      const reply = await requestJson("GET", `${this.url}/health`, { timeoutMs, headers: this.#ownerHeaders() });
      return reply.status === 200 && (reply.body as ProxyHealth)?.ok ? (reply.body as ProxyHealth) : null;
    } catch {
      return null;
    }
  }

  /** The median time to first byte of the proxy's recent real requests (GET /monitoring), or null. */
  async trafficLatency(timeoutMs = 1500): Promise<{ ttfbMs: number; samples: number } | null> {
    if (!this.port || !this.running) return null;
    try {
      const reply = await requestJson("GET", `${this.url}/monitoring`, { timeoutMs, headers: this.#ownerHeaders() });
      const ttfb = (reply.body as { ttfb_ms?: { p50: number | null; samples: number } } | null)?.ttfb_ms;
      return reply.status === 200 && ttfb && ttfb.samples > 0 && typeof ttfb.p50 === "number" ? { ttfbMs: ttfb.p50, samples: ttfb.samples } : null;
    } catch {
      return null;
    }
  }

  async #admin(path: string, body: unknown): Promise<void> {
    const reply = await requestJson("POST", `${this.url}${path}`, { body, timeoutMs: 3000, headers: this.#ownerHeaders() });
    if (reply.status !== 200) throw new Error(`${path}: HTTP ${reply.status}`);
  }

  /** Raises the upstream silence bound in the running proxy, without a restart (no stream is cut). */
  async setIdleTimeout(seconds: number): Promise<void> {
    await this.#admin("/admin/idle-timeout", { seconds });
    if (this.spec) this.spec = { ...this.spec, idleTimeoutS: seconds };
    if (this.#desired) this.#desired = { ...this.#desired, spec: { ...this.#desired.spec, idleTimeoutS: seconds } };
  }

  #startProbing(): void {
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    if (this.options.temporary || !this.running) return;
    // Adopted proxies are not our children: their death is seen by identity, checked every second.
    const every = this.#adopted ? Math.min(1000, this.options.probeIntervalMs) : this.options.probeIntervalMs;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      void this.probe().finally(() => {
        if (this.running && !this.#probeTimer && !this.#converging) this.#startProbing();
      });
    }, every);
  }

  /** One health/memory probe (the timer calls it; specs may too). A miss is confirmed at once. */
  async probe(): Promise<void> {
    // A probe still "running" long after its own timeout lost its callback (gjs can drop callbacks that
    // arrive during a GC sweep): forget it rather than never probing again.
    if (this.#probing && Date.now() - this.#probeStartedAt < this.options.probeTimeoutMs + 5000) return;
    if (this.state !== "running" || this.#converging) return;
    if (this.#adopted && this.identity && !sameProcess(this.identity, readIdentity(this.identity.pid))) {
      const pid = this.pid;
      this.#adopted = false;
      this.identity = null;
      this.#lost({ kind: "exited", pid, exit: { code: null, signal: null, requested: false } }, `the adopted proxy (pid ${pid}) is gone`);
      return;
    }
    this.#probing = true;
    this.#probeStartedAt = Date.now();
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const started = Date.now();
        const health = await this.health(this.options.probeTimeoutMs);
        if (this.state !== "running") return;
        if (health) {
          this.#misses = 0;
          this.#backoff.healthy(Date.now());
          const rss = health.memory_mb ?? 0;
          if (rss > this.options.memoryCapMb) {
            this.#emit({ kind: "memory", rssMb: rss, capMb: this.options.memoryCapMb });
            await this.restart(this.spec, `the proxy uses ${rss} MB, over the ${this.options.memoryCapMb} MB cap`).catch(() => undefined);
          }
          return;
        }
        const hung = Date.now() - started >= this.options.probeTimeoutMs - 50;
        this.#misses++;
        if (attempt === 0) {
          this.log(`/health ${hung ? `gave no answer within ${this.options.probeTimeoutMs / 1000} s` : "was refused"}; checking again now`);
          continue;
        }
        const how = hung ? "hung" : "refused";
        const detail = hung ? `/health gave no answer within ${this.options.probeTimeoutMs / 1000} s, twice` : `/health refused on port ${this.port}, twice`;
        this.#emit({ kind: "unhealthy", how, detail });
        if (!this.#desired) return;
        // Hung or refusing: not serving anyone, so it is stopped hard and brought back.
        this.#scheduleConverge(`the proxy is ${how === "hung" ? "hung" : "not answering"} (${detail})`);
      }
    } finally {
      this.#probing = false;
    }
  }

  /**
   * Stops the running proxy and starts `spec` (default: the same one) on the same port. Live streams
   * drain first (the proxy's SIGTERM handling). Counted against the restart budget.
   */
  async restart(spec: ProxySpec | null = this.spec, reason = "restart requested"): Promise<number> {
    if (!spec) throw new Error("there is no proxy to restart: it was never started");
    if (this.#disposed) throw new Error("the launcher is shutting down");
    const port = this.#desired?.port || this.port;
    this.#cancelConverge();
    if (this.#budget.spend(Date.now())) this.#emit({ kind: "budget_spent", used: this.#budget.used(Date.now()), windowMin: this.#budget.windowMs / 60000 });
    const started = Date.now();
    this.#converging = true;
    this.#setState("restarting");
    try {
      await this.#kill(this.options.drainTimeoutS * 1000 + 3000);
      this.#starting = this.#launch(spec, port, true);
      const newPort = await this.#starting;
      this.#desired = this.options.temporary ? null : { spec, port: newPort };
      this.#emit({ kind: "restarted", port: newPort, pid: this.pid, downMs: Date.now() - started, reason });
      return newPort;
    } catch (e) {
      if (this.#desired) {
        this.#desired = { spec, port };
        this.#converging = false;
        this.#scheduleConverge(`the restart failed: ${(e as Error).message}`);
      }
      throw e;
    } finally {
      this.#starting = null;
      this.#converging = false;
      this.#startProbing();
    }
  }

  /** Stops the proxy for good: a restart still under way (the watchdog's) cannot start a new one. */
  async dispose(graceMs = 3000): Promise<void> {
    this.#disposed = true;
    await this.stop(graceMs);
  }

  /** Stops the proxy (SIGTERM: live streams get the drain window; SIGKILL after `graceMs`). */
  async stop(graceMs = this.options.drainTimeoutS * 1000 + 3000): Promise<void> {
    this.#desired = null;
    this.#cancelConverge();
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    if (this.#starting) await this.#starting.catch(() => undefined);
    if (!this.running) {
      this.#setState("stopped");
      return;
    }
    await this.#kill(graceMs);
    this.#setState("stopped");
  }

  /**
   * Leaves the proxy running when the launcher goes (the user's "keep running"): the proxy is told it
   * is kept (so it does not exit as an orphan), supervision ends, the process stays.
   */
  async release(): Promise<void> {
    if (!this.running) return;
    await this.#admin("/admin/keep", { keep: true });
    updateProxyConfig(this.paths, { kept: true });
    this.#desired = null;
    this.#cancelConverge();
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#child = null; // no longer ours to wait for; the registry keeps its identity
    this.#adopted = false;
    this.#setState("stopped");
  }

  /** Ends the current process: SIGTERM and up to `graceMs` (0: at once, SIGKILL), then SIGKILL. */
  async #kill(graceMs: number): Promise<void> {
    const child = this.#child;
    if (child) {
      this.#stopRequested = true;
      if (graceMs > 0) child.send_signal(15);
      else child.force_exit();
      const timer = setTimeout(() => child.force_exit(), Math.max(graceMs, 1));
      // #watchExit's own handling must be complete before a restart may start a new child.
      await this.#exited;
      clearTimeout(timer);
      return;
    }
    if (this.#adopted && this.identity) {
      await terminateIfSame(this.identity, graceMs);
      this.#adopted = false;
      this.identity = null;
    }
  }

  #record(): void {
    updateProxyConfig(this.paths, {
      port: this.port, pid: this.pid, identity: this.identity ?? undefined, backend: this.spec?.backend,
      target_url: this.spec ? (this.spec.pool ? `bgp:${this.spec.pool.pool}` : splitUrlSecrets(this.spec.targetUrl).publicUrl) : undefined,
      endpoint: this.spec?.endpointName, pool: this.spec?.pool ? true : undefined, model: this.spec?.model,
      started_at: new Date(this.startedAtMs).toISOString(), kept: false,
    });
  }

  #emit(event: SupervisorEvent): void {
    for (const listener of this.#events) listener(event);
  }

  #setState(state: ProxyState): void {
    this.state = state;
    for (const listener of this.#listeners) listener();
  }
}
