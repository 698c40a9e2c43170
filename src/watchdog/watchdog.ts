// AI Monitoring, the GLib side: hears the supervisor's events, follows the logs, watches the Codex it
// launched and Codex's profile, and carries out what the brain decides (announced, verified, recorded).
// Every decision goes to monitoring.log. Supervision itself (bringing a dead or hung proxy back) is the
// supervisor's, always on; what it reports here is written down and, when the budget is spent, alerted
// even while the tiers are switched off.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { profilePort } from "../lib/codex-config.js";
import { usesGoogleLogin } from "../lib/backend-types.js";
import { readTextFile } from "../lib/files.js";
import { LogFile } from "../lib/log-file.js";
import type { AppPaths } from "../lib/paths.js";
import type { EndpointsStore } from "../launcher/endpoints-store.js";
import type { SupervisedProxy, SupervisorEvent } from "../launcher/proxy-supervisor.js";
import { ActionExecutor } from "./actions.js";
import { MonitorBrain, type Decision } from "./brain.js";
import type { MonitoringConfig } from "./config.js";
import { askDiagnosticAgent } from "./diagnose-agent.js";
import { DESTRUCTIVE_ACTIONS, type IncidentReport } from "./diagnosis.js";
import { IncidentFile } from "./incident-file.js";
import { noteOccurrence, recordAiUsage, recordOutcome } from "./incidents.js";
import { codexSessionPids } from "../launcher/codex-session.js";
import { readRssMb } from "../lib/proc.js";
import { ParserCounters } from "./parser-counters.js";
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
  supervisor: SupervisedProxy;
  endpoints: EndpointsStore;
  config: MonitoringConfig;
  aiApiKey: string;
  announce: Announcer;
  notify: Notifier;
  /** Extra lines for the launcher's own log pane. */
  log?: (line: string) => void;
  /** Literal secrets that must never leave in an AI prompt (provider keys, the client token). */
  secrets?: () => Promise<string[]>;
  /** Points Codex's profile at the proxy as it runs now. */
  refreshProfile: () => Promise<unknown>;
  /** The clock of the decisions (specs drive it). */
  now?: () => number;
}

/** Actions recorded, not announced: they only describe what the supervisor or the proxy does anyway. */
const SILENT: ReadonlySet<ActionId> = new Set(["supervise", "wait_retry_after", "retry_with_backoff", "retry_now"]);

export class Watchdog {
  readonly brain: MonitorBrain;
  readonly incidents: IncidentFile;
  readonly log: LogFile;
  readonly events: MonitorEvent[] = [];
  /** Command Code parser signals seen, for the Tier 3 report's parser state. */
  readonly parser = new ParserCounters();
  #listeners = new Set<(e: MonitorEvent) => void>();
  #tailers: LogTailer[] = [];
  #timer = 0;
  #unsubscribe: (() => void)[] = [];
  #running = false;
  #recent: string[] = [];
  #codexSessions = new Map<string, number[]>();
  /** The pattern of the last time the supervisor lost the proxy: its next "restarted" is that fix's outcome. */
  #lastLoss: string | null = null;
  #lastSignalAt = new Map<string, number>();
  /** Codex's profile is re-read only after it changed (a file monitor says so), not on every probe. */
  #profileChanged = true;
  #profileMonitor: Gio.FileMonitor | null = null;

  readonly #actions: ActionExecutor;

  constructor(private readonly deps: WatchdogDeps) {
    this.log = new LogFile(deps.paths.monitoringLog, "monitor", 5 * 1024 * 1024);
    this.#actions = new ActionExecutor({
      paths: deps.paths, supervisor: deps.supervisor, endpoints: deps.endpoints, refreshProfile: deps.refreshProfile,
      write: (line) => this.#write(line),
      alert: (title, body) => this.#alert(title, body, null),
    });
    this.brain = new MonitorBrain(deps.config);
    this.incidents = new IncidentFile(deps.paths.incidentStore, (m) => this.#alert("Incident store reset", m, null));
  }

  get running(): boolean {
    return this.#running;
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
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
    this.#unsubscribe.push(s.onEvent((event) => this.#onSupervisorEvent(event)));
    this.#unsubscribe.push(s.onChange(() => {
      // Only the user stops the proxy (restarts never pass through "stopped"): leave it alone until they start it.
      if (s.state === "stopped" && !this.brain.manualStop) {
        this.brain.manualStop = true;
        this.#write("the proxy was stopped by the user: no restarts or alerts about it until it is started again");
      } else if (s.state === "running" && this.brain.manualStop) {
        this.brain.manualStop = false;
        this.#write("the proxy is running again: monitoring it");
      }
    }));
    try {
      this.#profileMonitor = Gio.File.new_for_path(this.deps.paths.codexProfile).monitor_file(Gio.FileMonitorFlags.WATCH_MOVES, null);
      this.#profileMonitor.connect("changed", () => (this.#profileChanged = true));
    } catch (e) {
      this.#write(`cannot watch ${this.deps.paths.codexProfile}: ${(e as Error).message}; checking it on each probe`);
      this.#profileMonitor = null;
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
    this.#profileMonitor?.cancel();
    this.#profileMonitor = null;
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
    const signal = classifyLine(line, source, this.#now());
    if (!signal) return;
    // Counted before signal() consults the settings: a report made right after monitoring is switched
    // on still knows the recent past.
    this.parser.feed(signal);
    this.#recent.push(line.slice(0, 300));
    if (this.#recent.length > 30) this.#recent.shift();
    this.signal(signal);
  }

  /**
   * What the supervisor reports: written down always; a spent restart budget is alerted even with the
   * tiers off (a dead proxy must never go unnoticed); with monitoring on, the events are also signals.
   */
  #onSupervisorEvent(event: SupervisorEvent): void {
    const now = this.#now();
    switch (event.kind) {
      case "exited":
        this.#lastLoss = "proxy_crash";
        this.#write(`supervisor: the proxy (pid ${event.pid}) exited (${event.exit.code !== null ? `code ${event.exit.code}` : `signal ${event.exit.signal}`})`);
        this.signal(probeSignal("childExited", `the proxy (pid ${event.pid}) exited: ${event.exit.code !== null ? `code ${event.exit.code}` : `signal ${event.exit.signal}`}`, now));
        return;
      case "unhealthy":
        this.#lastLoss = event.how === "hung" ? "proxy_hang" : "proxy_dead";
        this.#write(`supervisor: ${event.detail}`);
        this.signal(probeSignal(event.how === "hung" ? "healthHung" : "healthFailed", event.detail, now));
        return;
      case "memory":
        this.#lastLoss = "proxy_memory";
        this.#write(`supervisor: proxy RSS ${event.rssMb} MB is over the ${event.capMb} MB cap; restarting it after live streams finish`);
        this.signal(probeSignal("proxyMemory", `proxy RSS ${event.rssMb} MB is over the ${event.capMb} MB cap`, now));
        return;
      case "restart_scheduled":
        this.#write(`supervisor: ${event.reason}; next attempt in ${(event.delayMs / 1000).toFixed(1)} s`);
        return;
      case "restarted":
        this.#write(`supervisor: proxy healthy again on port ${event.port} (pid ${event.pid}), ${event.downMs} ms after: ${event.reason}`);
        this.#recordSupervision(true, `back in ${event.downMs} ms`);
        return;
      case "restart_failed":
        this.#write(`supervisor: restart failed: ${event.error}`);
        this.#recordSupervision(false, event.error);
        return;
      case "budget_spent": {
        const detail = `${event.used} restarts in ${event.windowMin} minutes; the supervisor keeps trying with backoff`;
        this.#write(`supervisor: restart budget spent (${detail})`);
        const signal = probeSignal("restartBudgetSpent", detail, now);
        if (this.deps.config.enabled && this.deps.config.tier1_enabled) this.signal(signal);
        else this.#alert("The proxy keeps failing", `It was restarted more than 5 times in 10 minutes (${detail}). Check proxy.log.`, null);
        return;
      }
      case "port_moved":
        this.#write(`supervisor: port ${event.from} is taken by ${event.holder}; the proxy moved to ${event.to}`);
        this.signal(probeSignal("portConflict", `port ${event.from} is taken by ${event.holder}`, now));
        return;
      case "adopted":
        this.#write(`supervisor: adopted the running proxy (pid ${event.pid}, port ${event.port})`);
    }
  }

  /** The supervisor's verified outcome of bringing the proxy back, kept like any fix's (Tier 2). */
  #recordSupervision(success: boolean, text: string): void {
    const pattern = this.#lastLoss;
    if (!pattern || !this.#running || !this.deps.config.enabled) return;
    if (success) this.#lastLoss = null;
    this.incidents.save(recordOutcome(this.incidents.data, pattern, "supervise", "supervisor", success, new Date(this.#now()).toISOString(), true));
    this.#emit({ tier: 1, faultId: "A5", category: pattern, pattern, outcome: success ? "verified" : "not fixed", text });
  }

  /** The periodic probe: the Codex sessions we launched, and Codex's profile (the timer calls it; specs may too). */
  async probe(): Promise<void> {
    const s = this.deps.supervisor;
    if (this.#codexSessions.size > 0) this.#probeCodex();
    if (s.state === "running" && (this.#profileChanged || !this.#profileMonitor)) {
      this.#profileChanged = false;
      this.#probeProfilePort();
    }
  }

  #probeCodex(): void {
    for (const [session, known] of this.#codexSessions) {
      const pids = codexSessionPids(session);
      if (known.length > 0 && pids.length === 0) {
        this.#codexSessions.delete(session);
        this.signal(probeSignal("codexGone", `Codex (pid ${known.join(", ")}) is gone`, this.#now()));
        continue;
      }
      this.#codexSessions.set(session, pids);
      for (const pid of pids) {
        const mb = readRssMb(pid) ?? 0;
        if (mb > this.deps.config.codex_max_memory_mb) this.signal(probeSignal("codexMemory", `Codex (pid ${pid}) uses ${mb} MB`, this.#now()));
      }
    }
  }

  #probeProfilePort(): void {
    const s = this.deps.supervisor;
    let text: string | null = null;
    try {
      text = readTextFile(this.deps.paths.codexProfile);
    } catch {
      return;
    }
    const port = text ? profilePort(text) : null;
    if (port && port !== s.port) this.signal(probeSignal("portMismatch", `Codex's profile points at port ${port}, the proxy runs on ${s.port}`, this.#now()));
  }

  /** Feeds one signal through the tiers. */
  signal(signal: Signal): void {
    if (!this.#running || !this.deps.config.enabled) return;
    const now = this.#now();
    const month = new Date(now).toISOString().slice(0, 7);
    const decision = this.brain.decide(signal, this.incidents.data, now, month);
    if (decision.kind !== "counted" && decision.kind !== "suppressed")
      this.incidents.save(noteOccurrence(this.incidents.data, decision.pattern, [signal.faultId], new Date(now).toISOString()));
    this.#lastSignalAt.set(signal.category, now);
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
      parser: this.parser.snapshot(Date.now()),
      provider: { backendType: supervisor.spec?.backend ?? "", model: supervisor.spec?.model ?? "" },
      history: Object.entries(this.incidents.data.incidents).filter(([p]) => p === d.pattern)
        .map(([p, i]) => `${i.last_seen} ${p}: fix=${i.fix} ok=${i.success_count} failed=${i.fail_count} seen=${i.occurrences}`),
    };
    let secrets: string[];
    try {
      secrets = (await this.deps.secrets?.()) ?? [];
    } catch (e) {
      // Without the literal keys the report cannot be proven free of them: it does not go out.
      this.#write(`Tier 3: not asking the AI: the keys to redact could not be read (${(e as Error).message})`);
      this.#alert("AI diagnosis skipped", `The API keys could not be read to remove them from the report, so nothing was sent. The failure (${d.signal.category}) needs your attention.`, d as unknown as Decision);
      return;
    }
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
    await this.#handle(this.brain.afterAi(d.signal, d.pattern, v.action, v.reason, this.#now()));
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
    if (d.action === "supervise") {
      // The supervisor already brings the proxy back (see its events above); nothing to run here.
      this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "supervised", text: d.message });
      return;
    }
    if (SILENT.has(d.action)) {
      await this.#finish(d, await this.#actions.execute(d.action, d.signal));
      return;
    }
    // Every other automatic action is announced first; Cancel within 3 s stops it.
    const text = `${d.message} Automatic fix: ${d.action.replace(/_/g, " ")}.`;
    const proceed = await this.deps.announce(text, false);
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
      this.incidents.save(recordOutcome(this.incidents.data, d.pattern, d.action, d.tier === 3 ? "tier3_ai" : d.tier === 2 ? "tier2_store" : "tier1_rule", false,
        new Date(this.#now()).toISOString(), true));
      this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: "failed", text: `${d.action}: ${error}` });
      // A failed fix is itself a signal (A2 when the port was the problem).
      this.signal(probeSignal("actionFailed", `${d.action} failed: ${error}`, this.#now()));
      return;
    }
    this.#emit({ tier: d.tier, faultId: s.faultId, category: s.category, pattern: d.pattern, outcome: d.action, text: d.message });
    this.#verifyLater(d);
  }

  /** Success is counted only once the effect is seen: health back and the signal not repeating. */
  #verifyLater(d: Extract<Decision, { kind: "act" }>): void {
    const actedAt = this.#now();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, this.deps.config.verify_window_s * 1000, () => {
      void (async () => {
        const health = this.deps.supervisor.state === "running" ? await this.deps.supervisor.health(2000) : null;
        const recurred = (this.#lastSignalAt.get(d.signal.category) ?? 0) > actedAt + 500;
        const success = !!health && !recurred;
        this.incidents.save(recordOutcome(this.incidents.data, d.pattern, d.action, d.tier === 3 ? "tier3_ai" : d.tier === 2 ? "tier2_store" : "tier1_rule",
          success, new Date(this.#now()).toISOString(), true));
        const why = success ? "proxy healthy and the signal stopped" : !health ? "proxy not healthy" : `${d.signal.category} came back`;
        this.#write(`verified ${d.action} for ${d.pattern}: ${success ? "SUCCESS" : "FAILED"} (${why})`);
        this.#emit({ tier: d.tier, faultId: d.signal.faultId, category: d.signal.category, pattern: d.pattern, outcome: success ? "verified" : "not fixed", text: why });
      })();
      return GLib.SOURCE_REMOVE;
    });
  }

}
