// The watchdog's decisions: signal → Tier 1 rule → Tier 2 known fix → Tier 3 AI → alert, with every
// safety guard applied. Pure: the clock and the incident data are passed in; the GLib layer executes.
import type { MonitoringConfig } from "./config.js";
import { AiRateLimit, budgetVerdict, EscalatingCooldown, RestartBudget } from "./guards.js";
import { costThisMonth, failingFix, incidentPattern, knownFix, type IncidentStoreData } from "./incidents.js";
import { RuleEngine, type ActionId, type Rule } from "./rules.js";
import type { Signal } from "./signals.js";

export type Decision =
  | { kind: "counted"; signal: Signal; note: string }
  | { kind: "suppressed"; signal: Signal; pattern: string; reason: string }
  | { kind: "act"; tier: 1 | 2 | 3; signal: Signal; pattern: string; trigger: string; action: ActionId; message: string; reason: string }
  | { kind: "ask_ai"; signal: Signal; pattern: string; trigger: string }
  | { kind: "alert"; signal: Signal; pattern: string; trigger: string; message: string; reason: string };

/** Actions that end the running proxy process (the restart budget applies; live streams drain first). */
const RESTARTS: ReadonlySet<ActionId> = new Set(["restart_proxy", "kill_stale_and_restart", "switch_provider"]);
/** Categories about the proxy process itself: none of them matter once the user stopped the proxy. */
const PROXY_CATEGORIES = new Set(["proxy_crash", "proxy_dead", "proxy_hang", "proxy_memory", "port_conflict", "port_mismatch"]);
/** Actions that need the user's permission settings. */
const NEEDS_AUTO_RESTART: ReadonlySet<ActionId> = new Set(["restart_proxy", "kill_stale_and_restart"]);

export class MonitorBrain {
  readonly rules: RuleEngine;
  readonly cooldown = new EscalatingCooldown();
  readonly restarts = new RestartBudget();
  readonly ai = new AiRateLimit();
  /** Set while the user has stopped the proxy: no restarts, no alerts about it. */
  manualStop = false;

  constructor(public config: MonitoringConfig, rules?: RuleEngine) {
    this.rules = rules ?? new RuleEngine();
  }

  decide(signal: Signal, store: IncidentStoreData, nowMs: number, month: string): Decision {
    const pattern = incidentPattern([signal.category], signal.httpStatus);
    if (this.manualStop && PROXY_CATEGORIES.has(signal.category))
      return { kind: "suppressed", signal, pattern, reason: "the user stopped the proxy" };

    if (this.config.tier1_enabled && this.rules.covers(signal.category)) {
      const fired = this.rules.feed(signal);
      if (!fired) return { kind: "counted", signal, note: `${signal.category} counted; no rule threshold reached yet` };
      const rule = fired.rule;
      // The supervisor already acts on these (always on); the watchdog records it, nothing more.
      if (rule.action === "supervise") return { kind: "act", tier: 1, signal, pattern, trigger: rule.trigger, action: "supervise", message: rule.message, reason: "supervision" };
      // A repeat rule is its own pattern (design: "server_error+repeat_3x"), with its own cooldown.
      const rulePattern = rule.count > 1 ? incidentPattern([signal.category, `repeat_${rule.count}x`], signal.httpStatus) : pattern;
      const why = `Tier 1 rule ${rule.trigger} (${fired.count} in ${rule.windowMs / 1000} s)`;
      if (this.config.tier2_enabled && rule.action !== "alert_user" && rule.action !== "ignore") {
        // Tier 2 learns from Tier 1's verified outcomes too (no AI needed): a fix that keeps working is
        // reused as the known fix; one that keeps failing is not repeated.
        const known = knownFix(store, rulePattern);
        if (known)
          return this.#guarded(2, signal, rulePattern, `known:${rulePattern}`, known.fix, rule, `Tier 2 known fix (success rate ${Math.round(known.rate * 100)}%)`, nowMs);
        const failing = failingFix(store, rulePattern, rule.action);
        if (failing) {
          this.cooldown.acted(rulePattern, nowMs);
          return { kind: "alert", signal, pattern: rulePattern, trigger: rule.trigger, message: rule.message,
            reason: `${why}; ${rule.action} is not repeated: it failed ${failing.failed} of ${failing.samples} times for ${rulePattern}` };
        }
      }
      return this.#guarded(1, signal, rulePattern, rule.trigger, rule.action, rule, why, nowMs);
    }
    if (this.config.tier2_enabled) {
      const known = knownFix(store, pattern);
      if (known)
        return this.#guarded(2, signal, pattern, `known:${pattern}`, known.fix, null, `Tier 2 known fix (success rate ${Math.round(known.rate * 100)}%)`, nowMs);
    }
    const cool = this.cooldown.check(pattern, nowMs);
    if (cool.kind === "wait") return { kind: "suppressed", signal, pattern, reason: `cooldown: ${Math.ceil(cool.remainingMs / 1000)} s left for ${pattern}` };
    if (this.config.tier3_enabled && this.config.provider_url && this.config.model) {
      const rate = this.ai.verdict(nowMs);
      const budget = budgetVerdict(costThisMonth(store, month), this.config.monthly_budget_usd);
      if (!rate.ok || !budget.ok) {
        this.cooldown.acted(pattern, nowMs);
        return { kind: "alert", signal, pattern, trigger: `novel:${pattern}`, message: `A new kind of failure (${signal.category}) was seen.`,
          reason: `Tier 3 skipped: ${!rate.ok ? rate.reason : (budget as { reason: string }).reason}` };
      }
      this.ai.record(nowMs);
      this.cooldown.acted(pattern, nowMs);
      return { kind: "ask_ai", signal, pattern, trigger: `novel:${pattern}` };
    }
    this.cooldown.acted(pattern, nowMs);
    return { kind: "alert", signal, pattern, trigger: `novel:${pattern}`, message: `A new kind of failure (${signal.category}) was seen: ${signal.detail.slice(0, 160)}`,
      reason: "no rule and no known fix; no AI diagnostic agent configured" };
  }

  /** Applies the guards that stand between a chosen action and running it. */
  #guarded(tier: 1 | 2 | 3, signal: Signal, pattern: string, trigger: string, action: ActionId, rule: Rule | null, why: string, nowMs: number): Decision {
    if (action === "ignore") return { kind: "act", tier, signal, pattern, trigger, action, message: rule?.message ?? "", reason: `${why}: nothing to do` };
    const cool = this.cooldown.check(pattern, nowMs, rule?.cooldownS ?? 30);
    if (cool.kind === "wait") return { kind: "suppressed", signal, pattern, reason: `cooldown: ${Math.ceil(cool.remainingMs / 1000)} s left for ${pattern}` };
    const message = rule?.message ?? `Known failure ${pattern}.`;
    if (cool.kind === "alert") {
      this.cooldown.acted(pattern, nowMs);
      return { kind: "alert", signal, pattern, trigger, message, reason: `${why}; ${action} already tried at every cooldown step (30 s → 60 s → 300 s)` };
    }
    if (NEEDS_AUTO_RESTART.has(action) && !this.config.auto_restart_proxy) {
      this.cooldown.acted(pattern, nowMs);
      return { kind: "alert", signal, pattern, trigger, message, reason: `${why}; auto-restart is off, so ${action} is left to the user` };
    }
    if (action === "switch_provider" && !this.config.auto_switch_provider) {
      this.cooldown.acted(pattern, nowMs);
      return { kind: "alert", signal, pattern, trigger, message, reason: `${why}; auto-switch is off, so switching provider is left to the user` };
    }
    if (RESTARTS.has(action)) {
      if (!this.restarts.allows(nowMs)) {
        this.cooldown.acted(pattern, nowMs);
        return { kind: "alert", signal, pattern, trigger, message, reason: `${why}; restart cap reached (${this.restarts.max} restarts in ${this.restarts.windowMs / 60000} min)` };
      }
      this.restarts.spend(nowMs);
    }
    this.cooldown.acted(pattern, nowMs);
    return { kind: "act", tier, signal, pattern, trigger, action, message, reason: why };
  }

  /** A Tier 3 verdict, once the AI answered, goes through the same guards. */
  afterAi(signal: Signal, pattern: string, action: ActionId, reason: string, nowMs: number): Decision {
    const trigger = `novel:${pattern}`;
    if (action === "ignore") return { kind: "act", tier: 3, signal, pattern, trigger, action, message: "", reason: `Tier 3: ${reason}` };
    if (action === "alert_user") return { kind: "alert", signal, pattern, trigger, message: `A new kind of failure (${signal.category}) was seen.`, reason: `Tier 3: ${reason}` };
    // The cooldown for this pattern was taken when the AI was asked; the other guards still apply.
    if (NEEDS_AUTO_RESTART.has(action) && !this.config.auto_restart_proxy)
      return { kind: "alert", signal, pattern, trigger, message: "The AI suggests restarting the proxy.", reason: `Tier 3: ${reason}; auto-restart is off` };
    if (action === "switch_provider" && !this.config.auto_switch_provider)
      return { kind: "alert", signal, pattern, trigger, message: "The AI suggests switching provider.", reason: `Tier 3: ${reason}; auto-switch is off` };
    if (RESTARTS.has(action)) {
      if (!this.restarts.allows(nowMs)) return { kind: "alert", signal, pattern, trigger, message: "Restart cap reached.", reason: `Tier 3: ${reason}; restart cap reached` };
      this.restarts.spend(nowMs);
    }
    return { kind: "act", tier: 3, signal, pattern, trigger, action, message: "", reason: `Tier 3: ${reason}` };
  }
}
