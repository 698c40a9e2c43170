// When and how long to wait before trying the upstream again. Pure.

export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxBackoffMs: number;
  /** Upper bound for a provider's Retry-After (the original capped it at 60 s). */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxBackoffMs: 8000, retryAfterCapMs: 60000 };

export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

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
  if (outcome.kind === "status" && !RETRYABLE_STATUSES.has(outcome.status)) return null;
  if (outcome.kind === "status" && outcome.retryAfterMs !== null) return Math.min(outcome.retryAfterMs, policy.retryAfterCapMs);
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxBackoffMs);
  return Math.round(backoff * (0.75 + random * 0.5));
}
