// When the proxy tries the upstream again, and what it tells the client instead. Pure.
//
// One retry budget: Codex retries too (request_max_retries, stream_max_retries in the profile the
// launcher writes; REAL-CODEX §7), so the proxy retries only what Codex cannot do as well itself: a
// connection that was refused or reset before the first byte (gone in a moment, and cheaper to retry
// here than to fail a whole Codex attempt), and a 429/502/503/504 whose Retry-After is a few seconds.
// Everything else goes back to Codex at once, a 429 with a Retry-After (Codex retries a 429 only when it
// has one). And the proxy's retries are counted per Codex turn, not per request: whatever Codex does, one
// prompt costs at most Codex's own attempts + `turnBudget` upstream requests.

export interface RetryPolicy {
  /** Retries the proxy may spend on one turn (all of Codex's attempts at it together). */
  turnBudget: number;
  /** A Retry-After up to this long is waited out here; a longer one is the client's to honour. */
  shortRetryAfterMs: number;
  /** Backoff for refused/reset connections: base × 2^(n-1), with jitter, capped. */
  baseDelayMs: number;
  maxBackoffMs: number;
  /** Statuses tried again (default RETRYABLE_STATUSES). */
  retryStatuses?: ReadonlySet<number>;
  /** Try again after a refused or reset connection (default true). */
  retryConnectErrors?: boolean;
  /** A retryable status without a Retry-After is tried again after the backoff (default: it goes back to the client). */
  backoffWithoutRetryAfter?: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { turnBudget: 2, shortRetryAfterMs: 5000, baseDelayMs: 250, maxBackoffMs: 2000 };

/** Statuses that say "try again later" (the others are answers). */
export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Transport failures the proxy retries: the request never reached the model. */
export const RETRYABLE_CONNECT_KINDS = new Set(["connection_refused", "connection_reset"]);

/**
 * A pool route's own retries: a pool has somewhere else to go, so waiting out one provider only delays
 * the answer. One quick retry for a gateway hiccup (502/503/504, Retry-After up to 1 s or none); a 429
 * goes to the route's cooldown and a refused, dropped or silent connection to the next route at once.
 */
export const POOL_ROUTE_RETRY_POLICY: RetryPolicy = { turnBudget: 1, shortRetryAfterMs: 1000, baseDelayMs: 250, maxBackoffMs: 1000,
  retryStatuses: new Set([502, 503, 504]), retryConnectErrors: false, backoffWithoutRetryAfter: true };

/** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

export type AttemptOutcome =
  | { kind: "status"; status: number; retryAfterMs: number | null; code?: string | null }
  | { kind: "connect-error"; failure: string };

/** Codes that no wait will fix: retrying (here or in Codex) only repeats the refusal. */
const FINAL_CODES = new Set(["insufficient_quota", "billing_hard_limit_reached", "account_deactivated"]);

/**
 * Milliseconds to wait before the next attempt, or null to stop and report. `retriesSpent` counts the
 * proxy's retries of this turn so far; `random` in [0,1) adds jitter so parallel requests do not retry
 * in step.
 */
export function nextRetryDelay(outcome: AttemptOutcome, retriesSpent: number, policy: RetryPolicy, random = 0.5): number | null {
  if (retriesSpent >= policy.turnBudget) return null;
  const backoff = () => Math.round(Math.min(policy.baseDelayMs * 2 ** retriesSpent, policy.maxBackoffMs) * (0.75 + random * 0.5));
  if (outcome.kind === "connect-error") {
    if (policy.retryConnectErrors === false || !RETRYABLE_CONNECT_KINDS.has(outcome.failure)) return null;
    return backoff();
  }
  if (!(policy.retryStatuses ?? RETRYABLE_STATUSES).has(outcome.status) || FINAL_CODES.has(outcome.code ?? "")) return null;
  if (outcome.retryAfterMs === null) return policy.backoffWithoutRetryAfter ? backoff() : null;
  if (outcome.retryAfterMs > policy.shortRetryAfterMs) return null;
  return outcome.retryAfterMs;
}

/**
 * The Retry-After (seconds) the client gets with a 429 the proxy passes on: the provider's own, else a
 * backoff that grows with the 429s this turn already met (1, 2, 4 … 30 s), so that Codex, which retries
 * a 429 only when told when, spends its own attempts on it. Null when no wait helps (quota spent).
 */
export function passOnRetryAfter(status: number, providerRetryAfterMs: number | null, code: string | null, seenThisTurn: number): number | null {
  if (status !== 429 || FINAL_CODES.has(code ?? "")) return null;
  if (providerRetryAfterMs !== null) return Math.max(1, Math.ceil(providerRetryAfterMs / 1000));
  return Math.min(30, 2 ** Math.max(0, seenThisTurn - 1));
}

/**
 * The turn a request belongs to: Codex names it in x-codex-turn-metadata (every attempt and every
 * follow-up of one prompt carries the same turn_id). Other clients get a budget per request (null).
 */
export function turnKey(turnMetadata: string | null, sessionId: string | null): string | null {
  if (!turnMetadata) return null;
  try {
    const meta = JSON.parse(turnMetadata) as { turn_id?: unknown; session_id?: unknown };
    if (typeof meta.turn_id !== "string" || meta.turn_id === "") return null;
    return `${typeof meta.session_id === "string" ? meta.session_id : sessionId ?? ""}/${meta.turn_id}`;
  } catch {
    return null;
  }
}

/**
 * Retries spent and 429s met per turn, forgotten after `ttlMs` without use (a turn lasts minutes) and
 * bounded in size, so a long-running proxy holds a few kilobytes at most.
 */
export class TurnRetryLedger {
  readonly #turns = new Map<string, { retries: number; throttled: number; lastMs: number }>();

  constructor(private readonly ttlMs = 15 * 60 * 1000, private readonly maxTurns = 2000) {}

  #entry(key: string, nowMs: number) {
    let entry = this.#turns.get(key);
    if (!entry || nowMs - entry.lastMs > this.ttlMs) {
      entry = { retries: 0, throttled: 0, lastMs: nowMs };
      this.#turns.delete(key);
      this.#turns.set(key, entry);
      this.#prune(nowMs);
    }
    entry.lastMs = nowMs;
    return entry;
  }

  #prune(nowMs: number): void {
    for (const [key, entry] of this.#turns) {
      if (this.#turns.size <= this.maxTurns && nowMs - entry.lastMs <= this.ttlMs) break;
      this.#turns.delete(key); // oldest first: a Map keeps insertion order
    }
  }

  retriesSpent(key: string, nowMs: number): number {
    return this.#entry(key, nowMs).retries;
  }

  spendRetry(key: string, nowMs: number): void {
    this.#entry(key, nowMs).retries++;
  }

  /** Counts one more 429 passed on in this turn; returns how many so far. */
  throttled(key: string, nowMs: number): number {
    return ++this.#entry(key, nowMs).throttled;
  }

  get size(): number {
    return this.#turns.size;
  }
}
