// Runs System.gc() at quiet points chosen by gc-policy (see there for why).
//
// A second reason to collect after every request: libsoup's messages (and the request bodies they
// hold) are freed only when their JS wrappers are collected, and those wrappers are tiny, so
// SpiderMonkey on its own may not collect for a long time (measured: 30 MB per chunked upload kept
// until the next collection). A request that ends inside the minimum interval therefore gets a
// trailing collection once the interval is over, so the last request of a burst is not left holding
// its memory.
import System from "system";
import { DEFAULT_GC_POLICY, shouldCollect, type GcPolicy } from "./gc-policy.js";

export class GcScheduler {
  #lastMs = 0;
  #bytes = 0;
  #trailing: ReturnType<typeof setTimeout> | null = null;
  collections = 0;

  constructor(private readonly policy: GcPolicy = DEFAULT_GC_POLICY) {}

  /** A unit of work (a request, a stream) finished. */
  workDone(): void {
    if (!this.#maybe(true)) this.#scheduleTrailing();
  }

  /** Data passed through; long streams get collections along the way. */
  processed(bytes: number): void {
    this.#bytes += bytes;
    this.#maybe(false);
  }

  #scheduleTrailing(): void {
    if (this.#trailing !== null) return;
    const wait = Math.max(0, this.#lastMs + this.policy.minIntervalMs - Date.now());
    this.#trailing = setTimeout(() => {
      this.#trailing = null;
      this.#maybe(true);
    }, wait);
  }

  #maybe(ended: boolean): boolean {
    const now = Date.now();
    if (!shouldCollect(this.policy, now, this.#lastMs, this.#bytes, ended)) return false;
    System.gc();
    this.#lastMs = Date.now();
    this.#bytes = 0;
    this.collections++;
    return true;
  }
}
