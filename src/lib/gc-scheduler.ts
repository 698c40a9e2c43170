// Runs System.gc() at quiet points chosen by gc-policy (see there for why).
import System from "system";
import { DEFAULT_GC_POLICY, shouldCollect, type GcPolicy } from "./gc-policy.js";

export class GcScheduler {
  #lastMs = 0;
  #bytes = 0;
  collections = 0;

  constructor(private readonly policy: GcPolicy = DEFAULT_GC_POLICY) {}

  /** A unit of work (a request, a stream) finished. */
  workDone(): void {
    this.#maybe(true);
  }

  /** Data passed through; long streams get collections along the way. */
  processed(bytes: number): void {
    this.#bytes += bytes;
    this.#maybe(false);
  }

  #maybe(ended: boolean): void {
    const now = Date.now();
    if (!shouldCollect(this.policy, now, this.#lastMs, this.#bytes, ended)) return;
    System.gc();
    this.#lastMs = Date.now();
    this.#bytes = 0;
    this.collections++;
  }
}
