// The design's safety guards (§8), as small pure classes with an injected clock.

/** At most `max` proxy restarts within `windowMs` (default 5 per 10 minutes), then alert. */
export class RestartBudget {
  #times: number[] = [];

  constructor(readonly max = 5, readonly windowMs = 10 * 60_000) {}

  #prune(nowMs: number): void {
    this.#times = this.#times.filter((t) => nowMs - t < this.windowMs);
  }

  allows(nowMs: number): boolean {
    this.#prune(nowMs);
    return this.#times.length < this.max;
  }

  spend(nowMs: number): void {
    this.#prune(nowMs);
    this.#times.push(nowMs);
  }

  used(nowMs: number): number {
    this.#prune(nowMs);
    return this.#times.length;
  }
}

export type CooldownVerdict = { kind: "act" } | { kind: "wait"; remainingMs: number } | { kind: "alert" };

/**
 * Per incident pattern: the first occurrence acts at once; a recurrence must wait out a cooldown that
 * escalates 30 s → 60 s → 300 s; after that the user is alerted instead. A pattern that stays quiet
 * for `resetAfterMs` starts again from the bottom of the ladder.
 */
export class EscalatingCooldown {
  #state = new Map<string, { level: number; lastActionMs: number }>();

  constructor(readonly ladderS: readonly number[] = [30, 60, 300], readonly resetAfterMs = 15 * 60_000) {}

  check(pattern: string, nowMs: number, baseCooldownS = this.ladderS[0]): CooldownVerdict {
    const s = this.#state.get(pattern);
    if (!s || nowMs - s.lastActionMs > this.resetAfterMs) return { kind: "act" };
    // Past the ladder the user is alerted, but no more often than its last step (no alert storm).
    const cooldownMs = this.#cooldownS(s.level, baseCooldownS) * 1000;
    const remaining = s.lastActionMs + cooldownMs - nowMs;
    if (remaining > 0) return { kind: "wait", remainingMs: remaining };
    return s.level >= this.ladderS.length ? { kind: "alert" } : { kind: "act" };
  }

  /** Records that the pattern's action ran; the next recurrence waits one step longer. */
  acted(pattern: string, nowMs: number): void {
    const s = this.#state.get(pattern);
    const fresh = !s || nowMs - s.lastActionMs > this.resetAfterMs;
    this.#state.set(pattern, { level: fresh ? 1 : s.level + 1, lastActionMs: nowMs });
  }

  level(pattern: string): number {
    return this.#state.get(pattern)?.level ?? 0;
  }

  #cooldownS(level: number, baseS: number): number {
    // Rules with their own base cooldown (60 s, 120 s, 300 s) start the ladder there.
    const ladder = this.ladderS.map((s) => Math.max(s, baseS));
    return ladder[Math.min(level, ladder.length) - 1];
  }
}

/** Tier 3 limits: at most one AI call per `minIntervalMs` and `perDay` calls per day. */
export class AiRateLimit {
  #calls: number[] = [];

  constructor(readonly minIntervalMs = 60_000, readonly perDay = 10) {}

  verdict(nowMs: number): { ok: true } | { ok: false; reason: string } {
    this.#calls = this.#calls.filter((t) => nowMs - t < 24 * 3600_000);
    const last = this.#calls[this.#calls.length - 1];
    if (last !== undefined && nowMs - last < this.minIntervalMs)
      return { ok: false, reason: `AI rate limit: one call per ${this.minIntervalMs / 1000} s (next in ${Math.ceil((this.minIntervalMs - (nowMs - last)) / 1000)} s)` };
    if (this.#calls.length >= this.perDay) return { ok: false, reason: `AI rate limit: ${this.perDay} calls per day reached` };
    return { ok: true };
  }

  record(nowMs: number): void {
    this.#calls.push(nowMs);
  }
}

/** The monthly AI budget: the month's recorded cost must stay under the cap. */
export function budgetVerdict(costThisMonthUsd: number, capUsd: number): { ok: true } | { ok: false; reason: string } {
  return costThisMonthUsd < capUsd ? { ok: true }
    : { ok: false, reason: `AI budget reached: $${costThisMonthUsd.toFixed(4)} of $${capUsd.toFixed(2)} this month` };
}
