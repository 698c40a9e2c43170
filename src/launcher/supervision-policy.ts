// When the supervisor brings a dead proxy back. Pure, with an injected clock.
//
// Level-triggered, like systemd's Restart= and Kubernetes' CrashLoopBackOff: whenever "proxy healthy on
// port P" does not hold, a restart is scheduled; a dead proxy is never left without a next attempt.
// - A proxy that had been healthy for `stableMs` before it died is restarted at once: a crash now and
//   then costs a few hundred milliseconds, however often it happens.
// - A proxy that dies quickly again, or does not come up at all, is in a crash loop: the first attempt is
//   immediate, then each waits twice as long as the one before (0.1 s, 0.2 s, … up to 30 s), so a broken
//   set-up does not spin.
// - The restart budget (5 in 10 minutes, the design's cap) does not stop restarts: spending it alerts the
//   user once per budget window, and restarts go on with the backoff.

export interface BackoffSettings {
  /** Healthy this long before dying: the next restart is immediate. */
  stableMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** Healthy this long: the crash-loop ladder starts from the bottom again. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { stableMs: 2000, firstDelayMs: 100, maxDelayMs: 30_000, resetAfterMs: 10 * 60_000 };

export class RestartBackoff {
  /** Consecutive quick failures (the crash-loop level). */
  #level = 0;
  #healthySinceMs: number | null = null;

  constructor(readonly settings: BackoffSettings = DEFAULT_BACKOFF) {}

  /** The proxy answered its health check. */
  healthy(nowMs: number): void {
    if (this.#healthySinceMs === null) this.#healthySinceMs = nowMs;
    if (nowMs - this.#healthySinceMs >= this.settings.resetAfterMs) this.#level = 0;
  }

  /** The proxy died or failed to start: how long to wait before the next attempt. */
  failed(nowMs: number): number {
    const ranStable = this.#healthySinceMs !== null && nowMs - this.#healthySinceMs >= this.settings.stableMs;
    this.#healthySinceMs = null;
    if (ranStable) {
      this.#level = 0;
      return 0;
    }
    // The first attempt of a series is immediate; then 0.1 s, 0.2 s, … up to the cap.
    const delay = this.#level === 0 ? 0 : Math.min(this.settings.maxDelayMs, this.settings.firstDelayMs * 2 ** (this.#level - 1));
    this.#level++;
    return delay;
  }

  get level(): number {
    return this.#level;
  }
}

/** Restarts counted in a sliding window; the first restart past the cap in a window raises one alert. */
export class RestartBudgetAlarm {
  #times: number[] = [];
  #alertedAtMs: number | null = null;

  constructor(readonly max = 5, readonly windowMs = 10 * 60_000) {}

  /** Records a restart; true when this one spent the budget and the user should hear about it now. */
  spend(nowMs: number): boolean {
    this.#times = this.#times.filter((t) => nowMs - t < this.windowMs);
    this.#times.push(nowMs);
    if (this.#times.length <= this.max) return false;
    if (this.#alertedAtMs !== null && nowMs - this.#alertedAtMs < this.windowMs) return false;
    this.#alertedAtMs = nowMs;
    return true;
  }

  used(nowMs: number): number {
    return this.#times.filter((t) => nowMs - t < this.windowMs).length;
  }
}
