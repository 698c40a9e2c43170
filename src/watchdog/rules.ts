// Tier 1: the design's rule table (trigger → action, cooldown) with thresholds over sliding windows.
// Pure: feed signals, get the triggers that fired.
import type { Signal } from "./signals.js";
import { SlidingWindow } from "./sliding-window.js";

/** Everything an incident can lead to, Tier 1 and Tier 3 alike. */
export const ACTIONS = [
  "supervise", "restart_proxy", "kill_stale_and_restart", "kill_stale_processes", "wait_retry_after", "retry_with_backoff", "retry_now",
  "switch_provider", "increase_timeout", "clear_schema_cache", "cleanup_stale_pids", "cleanup_codex_stale", "regenerate_config",
  "alert_user", "ignore",
] as const;
export type ActionId = (typeof ACTIONS)[number];

export interface Rule {
  /** The design's trigger name. */
  trigger: string;
  categories: readonly string[];
  /** Fires when this many signals arrive within windowMs. */
  count: number;
  windowMs: number;
  action: ActionId;
  /** Base cooldown of the escalation ladder (design: 30 s → 60 s → 300 s → alert). */
  cooldownS: number;
  /** What the user is told when the action is (or ends in) an alert. */
  message: string;
}

const MIN = 60_000;

/**
 * The design's 17 rules, plus rules for the signals our proxy adds; thresholds are per window.
 *
 * Unlike the design table, nothing here restarts the proxy for a fault of one request (a reset or
 * broken stream, a timeout, an unparseable chunk): those are the provider's, and a restart would cut
 * every other live stream. They are counted and lead to switching provider or to an alert. Bringing a
 * dead, hung or bloated proxy back is supervision (launcher/proxy-supervisor.ts), always on and
 * level-triggered: its rules say "supervise" and the watchdog only records what the supervisor did.
 */
export const TIER1_RULES: readonly Rule[] = [
  { trigger: "proxy_crashed", categories: ["proxy_crash"], count: 1, windowMs: MIN, action: "supervise", cooldownS: 0,
    message: "The proxy process exited unexpectedly; the supervisor brings it back." },
  { trigger: "proxy_health_fail", categories: ["proxy_dead", "proxy_hang"], count: 1, windowMs: MIN, action: "supervise", cooldownS: 0,
    message: "The proxy stopped answering its health check; the supervisor restarts it." },
  { trigger: "proxy_port_conflict", categories: ["port_conflict"], count: 1, windowMs: MIN, action: "supervise", cooldownS: 0,
    message: "The proxy's port is taken by another process; the proxy moves and Codex's profile follows." },
  { trigger: "proxy_memory_over_limit", categories: ["proxy_memory"], count: 1, windowMs: MIN, action: "supervise", cooldownS: 0,
    message: "The proxy uses more memory than allowed; the supervisor restarts it after live streams finish." },
  { trigger: "restart_budget_spent", categories: ["restart_budget_spent"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 0,
    message: "The proxy keeps failing: it was restarted more than 5 times in 10 minutes. Restarts go on; check proxy.log." },
  { trigger: "upstream_429", categories: ["rate_limited"], count: 1, windowMs: MIN, action: "wait_retry_after", cooldownS: 0,
    message: "The provider is rate limiting requests." },
  { trigger: "upstream_500_repeat_3x", categories: ["server_error"], count: 3, windowMs: MIN, action: "switch_provider", cooldownS: 60,
    message: "The provider keeps failing with server errors." },
  { trigger: "upstream_502_503", categories: ["server_error"], count: 1, windowMs: MIN, action: "retry_with_backoff", cooldownS: 30,
    message: "The provider answered with a server error." },
  { trigger: "upstream_unreachable_3x", categories: ["provider_unreachable", "dns_failure"], count: 3, windowMs: MIN, action: "switch_provider", cooldownS: 60,
    message: "The provider cannot be reached." },
  // Raised in the running proxy (no restart), for requests that start afterwards.
  { trigger: "upstream_timeout", categories: ["timeout"], count: 1, windowMs: MIN, action: "increase_timeout", cooldownS: 30,
    message: "The provider timed out." },
  { trigger: "upstream_401_403", categories: ["auth_failure", "forbidden", "upgrade_required", "cloudflare_block"], count: 1, windowMs: MIN,
    action: "alert_user", cooldownS: 0, message: "The provider rejected the API key (401/403). Check the key in Manage Endpoints." },
  // E4: only a new sign-in helps; a restart would not. One alert per cooldown (5 min) while Codex retries.
  { trigger: "oauth_expired", categories: ["oauth_expired"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 300,
    message: "Your Google login expired or was revoked: sign in again." },
  // E5: only a route coming back helps (the pool retries it by itself); one alert per 5 minutes.
  { trigger: "bgp_all_routes_down", categories: ["routes_exhausted"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 300,
    message: "Every route of the AI BGP pool is failing or rate limited; requests fail until one comes back (see AI BGP for when)." },
  { trigger: "upstream_tls_error", categories: ["tls_error"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 0,
    message: "The provider's TLS certificate was not accepted." },
  // Design B7: a client that hung up is not a proxy fault; the rule table's "restart" would punish it.
  { trigger: "stream_broken_pipe", categories: ["broken_pipe"], count: 1, windowMs: MIN, action: "ignore", cooldownS: 0,
    message: "A client disconnected mid-stream." },
  { trigger: "stream_reset", categories: ["connection_reset", "stream_error"], count: 3, windowMs: MIN, action: "switch_provider", cooldownS: 60,
    message: "The provider keeps breaking streams off." },
  { trigger: "stream_idle_300s", categories: ["stream_idle"], count: 2, windowMs: 10 * MIN, action: "alert_user", cooldownS: 0,
    message: "The provider keeps going silent in the middle of answers." },
  { trigger: "proxy_internal_error", categories: ["proxy_internal_error"], count: 3, windowMs: 5 * MIN, action: "alert_user", cooldownS: 0,
    message: "The proxy hit internal errors on several requests; please report them (proxy.log has the details)." },
  { trigger: "parsed_tool_calls_0_x3", categories: ["parser_empty"], count: 3, windowMs: 5 * MIN, action: "clear_schema_cache", cooldownS: 300,
    message: "The model's tool calls could not be parsed three times." },
  { trigger: "sanitizer_suspicious_5x", categories: ["sanitizer_flag", "empty_cmd"], count: 5, windowMs: 5 * MIN, action: "alert_user", cooldownS: 0,
    message: "The model keeps producing malformed commands; consider another model." },
  { trigger: "stuck_recovery_x5", categories: ["stuck_recovery"], count: 5, windowMs: 5 * MIN, action: "alert_user", cooldownS: 0,
    message: "The model keeps getting stuck; switching to another model is suggested." },
  { trigger: "codex_process_dead", categories: ["codex_dead"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 0,
    message: "Codex exited. Launch it again from Codex Launcher." },
  { trigger: "codex_memory_over_4gb", categories: ["codex_memory"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 0,
    message: "Codex uses more than 4 GB of memory." },
  { trigger: "schema_content_type_array", categories: ["schema_corrupt"], count: 1, windowMs: MIN, action: "clear_schema_cache", cooldownS: 0,
    message: "The provider capability cache is corrupt." },
  { trigger: "stale_pids", categories: ["stale_pids"], count: 1, windowMs: MIN, action: "cleanup_stale_pids", cooldownS: 60,
    message: "Processes from an earlier session are still registered." },
  { trigger: "config_port_mismatch", categories: ["port_mismatch"], count: 1, windowMs: MIN, action: "regenerate_config", cooldownS: 60,
    message: "Codex's profile points at another port than the running proxy." },
  { trigger: "action_failed", categories: ["action_failed"], count: 1, windowMs: MIN, action: "alert_user", cooldownS: 0,
    message: "An automatic fix did not work." },
];

export interface Fired {
  rule: Rule;
  /** Signals that made it fire (inside the window). */
  count: number;
}

/** Sliding-window counters per rule; a rule fires each time its window reaches its count. */
export class RuleEngine {
  #windows = new Map<string, SlidingWindow>();

  constructor(readonly rules: readonly Rule[] = TIER1_RULES, private readonly windowScale = 1) {}

  /**
   * The rule this signal fires, if any. When a category feeds several rules (server errors: one
   * retry rule, and a switch rule at 3 within a minute), the rule with the higher threshold that is
   * reached wins.
   */
  feed(signal: Signal): Fired | null {
    let best: Fired | null = null;
    for (const rule of this.rules) {
      if (!rule.categories.includes(signal.category)) continue;
      let window = this.#windows.get(rule.trigger);
      if (!window) this.#windows.set(rule.trigger, (window = new SlidingWindow(rule.windowMs * this.windowScale)));
      const count = window.add(signal.atMs);
      if (count >= rule.count && (!best || rule.count > best.rule.count)) best = { rule, count };
    }
    if (best && best.rule.count > 1) this.#windows.get(best.rule.trigger)!.clear(); // the next firing needs a new run of signals
    return best;
  }

  /** True when a category has a Tier 1 rule at all (novel failures go to Tier 2/3). */
  covers(category: string): boolean {
    return this.rules.some((r) => r.categories.includes(category));
  }

  reset(): void {
    this.#windows.clear();
  }
}
