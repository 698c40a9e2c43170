// AI Monitoring, the GLib side: watches the proxy child, probes /health, follows the logs, and carries
// out what the brain decides (announced, verified, recorded). Every decision goes to monitoring.log.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { usesGoogleLogin } from "../lib/backend-types.js";
import { readTextFile } from "../lib/files.js";
import { LogFile } from "../lib/log-file.js";
import type { AppPaths } from "../lib/paths.js";
import { parseCodexConfig } from "../lib/codex-config.js";
import type { EndpointsStore } from "../launcher/endpoints-store.js";
import type { ProxySupervisor } from "../launcher/proxy-supervisor.js";
import { ActionExecutor } from "./actions.js";
import { MonitorBrain, type Decision } from "./brain.js";
import type { MonitoringConfig } from "./config.js";
import { askDiagnosticAgent } from "./diagnose-agent.js";
import { DESTRUCTIVE_ACTIONS, type IncidentReport } from "./diagnosis.js";
import { IncidentFile } from "./incident-file.js";
import { noteOccurrence, recordAiUsage, recordOutcome } from "./incidents.js";
import { codexSessionPids, rssMb } from "./processes.js";
import type { ActionId } from "./rules.js";
import { classifyLine, probeSignal, type Signal } from "./signals.js";
import { LogTailer } from "./tail.js";

export interface MonitorEvent {
  at: string;
  tier: 0 | 1 | 2 | 3;
  faultId: string;
  category: string;
  pattern: string;
  /** What happened: the action taken, "alert", "suppressed", "verified", "failed", ... */
  outcome: string;
  text: string;
}

/** Asks the user (GUI: a 3-second notice with Cancel) before an automatic action; true = go ahead. */
export type Announcer = (text: string, undoable: boolean) => Promise<boolean>;
/** A button on an alert: an application action (the GUI registers it) with its string target. */
export interface AlertAction {
  label: string;
  /** e.g. "app.google-sign-in" */
  action: string;
  target: string;
}
export type Notifier = (title: string, body: string, action?: AlertAction) => void;

export interface WatchdogDeps {
  paths: AppPaths;
  supervisor: ProxySupervisor;
  endpoints: EndpointsStore;
  config: MonitoringConfig;
  aiApiKey: string;
  announce: Announcer;
  notify: Notifier;
  /** Extra lines for the launcher's own log pane. */
  log?: (line: string) => void;
  /** Literal secrets that must never leave in an AI prompt (provider keys). */
  secrets?: () => Promise<string[]>;
}

/** Restarts that bring back what the user already had may run at once; Cancel then undoes them. */
const RESTORATIVE: ReadonlySet<ActionId> = new Set(["restart_proxy"]);

export class Watchdog {
  readonly brain: MonitorBrain;
  readonly incidents: IncidentFile;
  readonly log: LogFile;
  readonly events: MonitorEvent[] = [];
  #listeners = new Set<(e: MonitorEvent) => void>();
  #tailers: LogTailer[] = [];
  #timer = 0;
  #unsubscribe: (() => void)[] = [];
  #probing = false;
  #probeStartedAt = 0;
  #hangs = 0;
  #restarting = false;
  #running = false;
  #recent: string[] = [];
  #codexSessions = new Map<string, number[]>();
  #lastSignalAt = new Map<string, number>();
  /** config.toml is re-read only after it changed (a file monitor says so), not on every probe. */
  #configChanged = true;
  #configMonitor: Gio.FileMonitor | null = null;

  readonly #actions: ActionExecutor;

  constructor(private readonly deps: WatchdogDeps) {
    this.log = new LogFile(deps.paths.monitoringLog, "monitor", 5 * 1024 * 1024);
    this.#actions = new ActionExecutor({
      paths: deps.paths, supervisor: deps.supervisor, endpoints: deps.endpoints,
      write: (line) => this.#write(line),
      alert: (title, body) => this.#alert(title, body, null),
      restarting: (on) => {
        this.#restarting = on;
        if (!on) this.#hangs = 0;
      },
    });
    this.brain = new MonitorBrain(deps.config);
    this.incidents = new IncidentFile(deps.paths.incidentStore, (m) => this.#alert("Incident store reset", m, null));
  }

  get running(): boolean {
    return this.#running;
  }

  onEvent(listener: (e: MonitorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Applies new settings (the AI Monitor window's Save) without a restart of the watchdog. */
  configure(config: MonitoringConfig, aiApiKey: string): void {
    this.deps.config = config;
    this.deps.aiApiKey = aiApiKey;
    this.brain.config = config;
    if (this.#running) this.#schedule();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.incidents.load();
    this.#write(`watchdog started (interval ${this.deps.config.health_check_interval_s} s, probe timeout ${this.deps.config.health_timeout_s} s)`);
    for (const [path, source] of [[this.deps.paths.proxyLog, "proxy.log"], [this.deps.paths.ccDebugLog, "cc-debug.log"]] as const) {
      const tailer = new LogTailer(path, (line) => this.#onLogLine(line, source));
      tailer.start();
      this.#tailers.push(tailer);
    }
    const s = this.deps.supervisor;
    this.#unsubscribe.push(s.onExit((exit) => {
      if (exit.requested) return;
      this.signal(probeSignal("childExited", `the proxy (pid ${s.pid}) exited: ${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}`, Date.now()));
    }));
    this.#unsubscribe.push(s.onChange(() => {
      // A stop the watchdog did not ask for is the user's: leave the proxy alone until they start it.
      if (s.state === "stopped" && !this.#restarting && !this.brain.manualStop) {
        this.brain.manualStop = true;
        this.#write("the proxy was stopped by the user: no restarts or alerts about it until it is started again");
      } else if (s.state === "running" && this.brain.manualStop) {
        this.brain.manualStop = false;
        this.#write("the proxy is running again: monitoring it");
      }
    }));
    try {
      this.#configMonitor = Gio.File.new_for_path(this.deps.paths.codexConfigToml).monitor_file(Gio.FileMonitorFlags.WATCH_MOVES, null);
      this.#configMonitor.connect("changed", () => (this.#configChanged = true));
    } catch (e) {
      this.#write(`cannot watch ${this.deps.paths.codexConfigToml}: ${(e as Error).message}; checking it on each probe`);
      this.#configMonitor = null;
    }
    this.#schedule();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#tailers) t.stop();
    this.#tailers = [];
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    if (this.#timer) GLib.source_remove(this.#timer);
    this.#timer = 0;
    this.#configMonitor?.cancel();
    this.#configMonitor = null;
    this.#write("watchdog stopped");
  }

  /** Registers a Codex session launched by us, so its exit and memory are watched (D1/D2). */
  trackCodexSession(sessionId: string): void {
    this.#codexSessions.set(sessionId, []);
  }

  #schedule(): void {
    if (this.#timer) GLib.source_remove(this.#timer);
    // Whole-second timer: the system may batch its wake-ups with others (cheaper while idle).
    this.#timer = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, this.deps.config.health_check_interval_s, () => {
      void this.probe();
      return GLib.SOURCE_CONTINUE;
    });
  }

  #write(line: string): void {
    this.log.write(line);
    this.deps.log?.(`[AI Monitor] ${line}`);
  }

  #emit(event: Omit<MonitorEvent, "at">): void {
    const e = { at: new Date().toISOString(), ...event };
    this.events.push(e);
    if (this.events.length > 500) this.events.shift();
    for (const l of this.#listeners) l(e);
  }

  #onLogLine(line: string, source: "proxy.log" | "cc-debug.log"): void {
    const signal = classifyLine(line, source, Date.now());
    if (!signal) return;
    this.#recent.push(line.slice(0, 300));
    if (this.#recent.length > 30) this.#recent.shift();
    this.signal(signal);
  }

  /** One health/memory/state probe (the timer calls it; tests may too). */
  async probe(): Promise<void> {
    const s = this.deps.supervisor;
    // A probe still "running" long after its own timeout lost its callback (gjs can drop callbacks
    // that arrive during a GC sweep): forget it rather than never probing again.
    if (this.#probing && Date.now() - this.#probeStartedAt < this.deps.config.health_timeout_s * 1000 + 5000) return;
    if (s.state !== "running") return;
    this.#probing = true;
    this.#probeStartedAt = Date.now();
    try {
      const timeoutMs = this.deps.config.health_timeout_s * 1000;
      const started = Date.now();
      const health = await s.health(timeoutMs);
      if (s.state !== "running") return;
      if (!health) {
        const hung = Date.now() - started >= timeoutMs - 50;
        if (hung) {
          this.#hangs++;
          // Two probes in a row without an answer: detected within two intervals plus the timeout.
          if (this.#hangs >= 2) this.signal(probeSignal("healthHung", `/health gave no answer within ${this.deps.config.health_timeout_s} s, twice`, Date.now()));
          else {
            // Confirm at once rather than a full interval later: a hang is then known within one
            // interval plus two timeouts (the bound is two intervals plus one timeout).
            this.#write(`/health gave no answer within ${this.deps.config.health_timeout_s} s (once; checking again now)`);
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
              void this.probe();
              return GLib.SOURCE_REMOVE;
            });
          }
        } else {
          this.signal(probeSignal("healthFailed", `/health refused on port ${s.port}`, Date.now()));
        }
        return;
      }
      this.#hangs = 0;
      // The proxy reports its own RSS in /health: no extra /proc read per probe (idle CPU matters).
      const rss = health.memory_mb ?? rssMb(s.pid) ?? 0;
      if (rss > this.deps.config.max_memory_mb)
        this.signal(probeSignal("proxyMemory", `proxy RSS ${rss} MB is over the ${this.deps.config.max_memory_mb} MB cap`, Date.now()));
      if (this.#codexSessions.size > 0) this.#probeCodex();
      if (this.#configChanged || !this.#configMonitor) {
        this.#configChanged = false;
        this.#probeConfigPort();
      }
    } finally {
      this.#probing = false;
    }
  }

  #probeCodex(): void {
    for (const [session, known] of this.#codexSessions) {
      const pids = codexSessionPids(session);
      if (known.length > 0 && pids.length === 0) {
        this.#codexSessions.delete(session);
        this.signal(probeSignal("codexGone", `Codex (pid ${known.join(", ")}) is gone`, Date.now()));
        continue;
      }
      this.#codexSessions.set(session, pids);
      for (const pid of pids) {
        const mb = rssMb(pid) ?? 0;
        if (mb > this.deps.config.codex_max_memory_mb) this.signal(probeSignal("codexMemory", `Codex (pid ${pid}) uses ${mb} MB`, Date.now()));
      }
    }
  }

  #probeConfigPort(): void {
    const s = this.deps.supervisor;
    try {
      const text = readTextFile(this.deps.paths.codexConfigToml);
      if (!text) return;
      const toml = parseCodexConfig(text) as { model_provider?: string; model_providers?: Record<string, { base_url?: string }> };
      if (toml.model_provider !== "codex-launcher") return;
      const url = toml.model_providers?.["codex-launcher"]?.base_url ?? "";
      const port = Number(/:(\d+)\//.exec(url)?.[1] ?? 0);
      if (port && port !== s.port) this.signal(probeSignal("portMismatch", `config.toml points at port ${port}, the proxy runs on ${s.port}`, Date.now()));
    } catch {
      // An unreadable config.toml is the launcher's to report when it next writes it.
    }
  }

  /** Feeds one signal through the tiers. */
  signal(signal: Signal): void {
    if (!this.#running || !this.deps.config.enabled) return;
    const month = new Date().toISOString().slice(0, 7);
    const decision = this.brain.decide(signal, this.incidents.data, Date.now(), month);
    if (decision.kind !== "counted" && decision.kind !== "suppressed")
      this.incidents.save(noteOccurrence(this.incidents.data, decision.pattern, [signal.faultId], new Date().toISOString()));
    this.#lastSignalAt.set(signal.category, Date.now());
    void this.#handle(decision);
  }

  async #handle(d: Decision): Promise<void> {
    const s = d.signal;
    switch (d.kind) {
      case "counted":
        this.#write(`signal ${s.faultId} ${s.category} from ${s.source}: ${d.note}`);
        return;
      case "suppressed":
        this.#write(`signal ${s.faultId} ${s.category}: no action (${d.reason})`);
        this.#emit({ tier: 0, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "suppressed", text: d.reason });
        return;
      case "alert":
        this.#write(`Tier ${d.trigger.startsWith("novel:") ? "3/alert" : "1"}: trigger=${d.trigger} → alert (${d.reason})`);
        this.#alert(d.message, d.reason, d);
        return;
      case "ask_ai":
        await this.#askAi(d);
        return;
      case "act":
        await this.#act(d);
    }
  }

  #alert(title: string, body: string, d: Decision | null): void {
    if (d && d.kind !== "counted")
      this.#emit({ tier: d.kind === "act" ? d.tier : 1, faultId: d.signal.faultId, category: d.signal.category, pattern: d.pattern, outcome: "alert", text: `${title} ${body}` });
    // E4: the alert opens the sign-in for the endpoint whose login failed.
    const endpoint = this.#loginEndpoint();
    const action: AlertAction | undefined = d?.signal.category === "oauth_expired" && endpoint
      ? { label: "Sign in again", action: "app.google-sign-in", target: endpoint } : undefined;
    if (this.deps.config.notification_level !== "none") this.deps.notify(title, body, action);
    this.#write(`alert: ${title} — ${body}${action ? ` [${action.label}: ${action.action}('${action.target}')]` : ""}`);
  }

  /** What an E4 alert says: which endpoint, and Google's reason (the part of the proxy's line before the advice). */
  /** The endpoint with the Google login: the running proxy's, else the default one (then any). */
  #loginEndpoint(): string | undefined {
    const spec = this.deps.supervisor.spec;
    if (spec && usesGoogleLogin(spec.backend)) return spec.endpointName;
    const { doc } = this.deps.endpoints;
    const google = doc.endpoints.filter((e) => usesGoogleLogin(e.backend_type));
    return (google.find((e) => e.name === doc.default) ?? google[0])?.name;
  }

  #loginAlertBody(s: Signal): string {
    const endpoint = this.#loginEndpoint();
    const reason = /(Google login expired or revoked \([^)]*\)|Not signed in to Google[^.]*)/.exec(s.detail)?.[1] ?? "The Google login failed";
    return `${endpoint ? `Endpoint '${endpoint}': ` : ""}${reason}. Codex cannot use Gemini until you sign in again; nothing was restarted.`;
  }

  async #askAi(d: Extract<Decision, { kind: "ask_ai" }>): Promise<void> {
    const { config, supervisor } = this.deps;
    this.#write(`Tier 3: trigger=${d.trigger} → asking ${config.model} at ${config.provider_url}`);
    const health = await supervisor.health(1500);
    const report: IncidentReport = {
      time: new Date().toISOString(),
      session: supervisor.spec?.endpointName ?? "",
      trigger: d.trigger,
      proxy: { alive: !!health, port: supervisor.port, uptimeS: health?.uptime_s ?? null, memoryMb: health?.memory_mb ?? null },
      upstream: { url: supervisor.spec?.targetUrl ?? "", model: supervisor.spec?.model ?? "", lastHttpCode: d.signal.httpStatus ?? null, lastError: d.signal.detail },
      recentErrors: this.#recent.slice(-15),
      parser: { parsedToolCallsZero: 0, stuckRecoveries: 0, sanitizerFlags: 0 },
      provider: { backendType: supervisor.spec?.backend ?? "", model: supervisor.spec?.model ?? "" },
      history: Object.entries(this.incidents.data.incidents).filter(([p]) => p === d.pattern)
        .map(([p, i]) => `${i.last_seen} ${p}: fix=${i.fix} ok=${i.success_count} failed=${i.fail_count} seen=${i.occurrences}`),
    };
    const secrets = (await this.deps.secrets?.().catch(() => [])) ?? [];
    const result = await askDiagnosticAgent(config.provider_url, config.model, this.deps.aiApiKey, report, secrets);
    const month = new Date().toISOString().slice(0, 7);
    this.incidents.save(recordAiUsage(this.incidents.data, result.promptTokens + result.completionTokens, result.costUsd, month));
    this.#write(`Tier 3: usage ${result.promptTokens}+${result.completionTokens} tokens, $${result.costUsd.toFixed(6)}`);
    if (!result.verdict) {
      this.#write(`Tier 3 AI FAILED: ${result.error}`);
      this.#alert("AI diagnosis failed", `${result.error}. The failure (${d.signal.category}) needs your attention.`, d as unknown as Decision);
      return;
    }
    const v = result.verdict;
    this.#write(`Tier 3 AI: action=${v.action} confidence=${v.confidence} reason=${v.reason}`);
    if (DESTRUCTIVE_ACTIONS.has(v.action)) {
      this.#alert("The AI suggests a destructive action", `${v.action}: ${v.reason}. It is never run automatically; do it yourself if you agree.`, d as unknown as Decision);
      return;
    }
    await this.#handle(this.brain.afterAi(d.signal, d.pattern, v.action, v.reason, Date.now()));
  }

  async #act(d: Extract<Decision, { kind: "act" }>): Promise<void> {
    const s = d.signal;
    this.#write(`Tier ${d.tier}: trigger=${d.trigger} action=${d.action} (${d.reason}; signal ${s.faultId} ${s.category}: ${s.detail.slice(0, 200)})`);
    if (d.action === "ignore") {
      this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "ignore", text: d.message || d.reason });
      return;
    }
    if (d.action === "alert_user") {
      this.#alert(d.message, s.category === "oauth_expired" ? this.#loginAlertBody(s) : d.reason, d);
      return;
    }
    const text = `${d.message} Automatic fix: ${d.action.replace(/_/g, " ")}.`;
    const undoable = RESTORATIVE.has(d.action);
    let proceed = true;
    if (undoable) {
      const done = this.#actions.execute(d.action, d.signal);
      // The fix already runs (a crashed proxy must come back fast); Cancel within 3 s undoes it.
      void this.deps.announce(text, true).then(async (go) => {
        if (!go) {
          this.#write(`the user cancelled ${d.action}; stopping the restarted proxy`);
          await done;
          await this.deps.supervisor.stop();
        }
      });
      await this.#finish(d, await done);
      return;
    }
    proceed = await this.deps.announce(text, false);
    if (!proceed) {
      this.#write(`the user cancelled ${d.action}`);
      this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "cancelled", text: d.action });
      return;
    }
    await this.#finish(d, await this.#actions.execute(d.action, d.signal));
  }

  async #finish(d: Extract<Decision, { kind: "act" }>, error: string | null): Promise<void> {
    const s = d.signal;
    if (error) {
      this.#write(`action ${d.action} FAILED: ${error}`);
      this.incidents.save(recordOutcome(this.incidents.data, d.pattern, d.action, d.tier === 3 ? "tier3_ai" : "tier1_rule", false, new Date().toISOString(), true));
      this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "failed", text: `${d.action}: ${error}` });
      // A failed fix is itself a signal (A2 when the port was the problem).
      this.signal(/address already in use/i.test(error) ? { ...probeSignal("actionFailed", error, Date.now()), faultId: "A2", category: "port_conflict" }
        : probeSignal("actionFailed", `${d.action} failed: ${error}`, Date.now()));
      return;
    }
    this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: d.action, text: d.message });
    this.#verifyLater(d);
  }

  /** Success is counted only once the effect is seen: health back and the signal not repeating. */
  #verifyLater(d: Extract<Decision, { kind: "act" }>): void {
    const actedAt = Date.now();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, this.deps.config.verify_window_s * 1000, () => {
      void (async () => {
        const health = this.deps.supervisor.state === "running" ? await this.deps.supervisor.health(2000) : null;
        const recurred = (this.#lastSignalAt.get(d.signal.category) ?? 0) > actedAt + 500;
        const success = !!health && !recurred;
        this.incidents.save(recordOutcome(this.incidents.data, d.pattern, d.action, d.tier === 3 ? "tier3_ai" : d.tier === 2 ? "tier2_store" : "tier1_rule",
          success, new Date().toISOString(), true));
        const why = success ? "proxy healthy and the signal stopped" : !health ? "proxy not healthy" : `${d.signal.category} came back`;
        this.#write(`verified ${d.action} for ${d.pattern}: ${success ? "SUCCESS" : "FAILED"} (${why})`);
        this.#emit({ tier: d.tier, faultId: d.signal.faultId, category: d.signal.category, pattern: d.pattern, outcome: success ? "verified" : "not fixed", text: why });
      })();
      return GLib.SOURCE_REMOVE;
    });
  }

}
