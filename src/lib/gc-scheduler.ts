// Runs System.gc() at the points gc-policy chooses (see there for why and when).
//
// The quiet-spell collection matters for memory too: libsoup's messages (and the request bodies they
// hold) are freed only when their JS wrappers are collected, and those wrappers are tiny, so
// SpiderMonkey on its own may not collect for a long time (measured: 30 MB per chunked upload kept
// until the next collection). The last request of a burst is therefore collected once things go quiet.
import System from "system";
import { DEFAULT_GC_POLICY, idleCollectionDue, shouldCollect, type GcPolicy } from "./gc-policy.js";

export class GcScheduler {
  #work = 0;
  #lastWorkMs = 0;
  #idleArmed = false;
  collections = 0;

  constructor(private readonly policy: GcPolicy = DEFAULT_GC_POLICY, private readonly collect: () => void = () => System.gc(),
    private readonly now: () => number = Date.now,
    private readonly later: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms)) {}

  /** A unit of work (a request, a stream) finished. */
  workDone(): void {
    this.#add(this.policy.requestWeight, true);
    // One timer per quiet spell, never one per request or chunk: it re-arms itself while work goes on.
    if (!this.#idleArmed) this.#arm(this.policy.idleMs);
  }

  /** Streamed data passed through: long streams get their collections along the way, between two reads. */
  processed(bytes: number): void {
    this.#add(bytes, false);
  }

  /** Data on a request's way to its first byte (its body): counted, collected later (see gc-policy). */
  requestData(bytes: number): void {
    this.#add(bytes, true);
  }

  #add(amount: number, onRequestPath: boolean): void {
    this.#work += amount;
    this.#lastWorkMs = this.now();
    if (shouldCollect(this.policy, this.#work, onRequestPath)) this.#run();
  }

  #arm(ms: number): void {
    this.#idleArmed = true;
    this.later(() => this.#onQuiet(), ms);
  }

  #onQuiet(): void {
    this.#idleArmed = false;
    if (this.#work === 0) return;
    const now = this.now();
    if (idleCollectionDue(this.policy, now, this.#lastWorkMs, this.#work)) this.#run();
    else this.#arm(Math.max(1, this.policy.idleMs - (now - this.#lastWorkMs)));
  }

  #run(): void {
    this.collect();
    this.#work = 0;
    this.collections++;
  }
}
