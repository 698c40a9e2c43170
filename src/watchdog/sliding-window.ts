// Counts events within a time window. Pure; the clock is passed in.

export class SlidingWindow {
  #times: number[] = [];

  constructor(readonly windowMs: number) {}

  add(atMs: number): number {
    this.#times.push(atMs);
    return this.count(atMs);
  }

  count(nowMs: number): number {
    const from = nowMs - this.windowMs;
    while (this.#times.length && this.#times[0] <= from) this.#times.shift();
    return this.#times.length;
  }

  clear(): void {
    this.#times = [];
  }
}
