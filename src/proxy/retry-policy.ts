// When and how long to wait before trying the upstream again. Pure.

export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxBackoffMs: number;
  /** Upper bound for a provider's Retry-After (the original capped it at 60 s). */
  retryAfterCapMs: number;
  /** Statuses tried again (default RETRYABLE_STATUSES). */
  retryStatuses?: ReadonlySet<number>;
  /** Try again after a refused, dropped or timed-out connection (default true). */
  retryConnectErrors?: boolean;
  /** A Retry-After beyond the cap means "not this request" (default: wait the cap). */
  giveUpBeyondCap?: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxBackoffMs: 8000, retryAfterCapMs: 60000 };

export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * A pool route's own retries: a pool has somewhere else to go, so waiting out one provider only delays
 * the answer. One quick retry for a gateway hiccup (502/503/504, Retry-After up to 1 s); a 429 goes to
 * the route's cooldown and a refused, dropped or silent connection to the next route at once.
 */
export const POOL_ROUTE_RETRY_POLICY: RetryPolicy = { maxAttempts: 2, baseDelayMs: 250, maxBackoffMs: 1000, retryAfterCapMs: 1000,
  retryStatuses: new Set([502, 503, 504]), retryConnectErrors: false, giveUpBeyondCap: true };

/** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

export type AttemptOutcome = { kind: "status"; status: number; retryAfterMs: number | null } | { kind: "connect-error" };

/**
 * Milliseconds to wait before the next attempt, or null to stop and report. `attempt` counts from 1
 * (the attempt that just failed). `random` in [0,1) adds jitter so parallel requests do not retry in step.
 */
export function nextRetryDelay(outcome: AttemptOutcome, attempt: number, policy: RetryPolicy, random = 0.5): number | null {
  if (attempt >= policy.maxAttempts) return null;
  if (outcome.kind === "status" && !(policy.retryStatuses ?? RETRYABLE_STATUSES).has(outcome.status)) return null;
  if (outcome.kind === "connect-error" && policy.retryConnectErrors === false) return null;
  if (outcome.kind === "status" && outcome.retryAfterMs !== null) {
    if (outcome.retryAfterMs > policy.retryAfterCapMs && policy.giveUpBeyondCap) return null;
    return Math.min(outcome.retryAfterMs, policy.retryAfterCapMs);
  }
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxBackoffMs);
  return Math.round(backoff * (0.75 + random * 0.5));
}
