// The line a pool must not cross twice: until a route has said something real (text, a tool call's
// arguments, reasoning, the end of its answer), nothing of its answer reaches the client, so a route that
// fails before that can be replaced by the next one without the client ever seeing the failure. Once
// the first real event passes, the answer belongs to that route: a later failure ends the stream with
// response.failed (no second route, no duplicated output). Pure.
import type { ResponsesEvent } from "../translate/contract.js";

/** Events that only open an answer (held until something real follows). */
const PREAMBLE = new Set(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
  "response.reasoning_summary_part.added"]);

/** Events that say the answer failed. */
const FAILURE = new Set(["response.failed", "error"]);

export type GateState = "holding" | "committed" | "failed";

export class FirstByteGate {
  state: GateState;
  #held: ResponsesEvent[] = [];

  /** `hold` false: everything passes at once (a proxy with one provider has nowhere else to go). */
  constructor(hold: boolean) {
    this.state = hold ? "holding" : "committed";
  }

  get committed(): boolean {
    return this.state === "committed";
  }

  /**
   * Takes the next events; returns what may go to the client now and whether this call is the one that
   * committed (the held preamble comes first in `forward` then). After a failure while holding, nothing
   * more passes: the answer never started as far as the client knows.
   */
  offer(events: readonly ResponsesEvent[]): { forward: ResponsesEvent[]; committedNow: boolean } {
    if (this.state === "committed") return { forward: [...events], committedNow: false };
    if (this.state === "failed") return { forward: [], committedNow: false };
    for (let i = 0; i < events.length; i++) {
      const type = events[i].type;
      if (FAILURE.has(type)) {
        this.state = "failed";
        this.#held = [];
        return { forward: [], committedNow: false };
      }
      if (!PREAMBLE.has(type)) {
        this.state = "committed";
        const forward = [...this.#held, ...events];
        this.#held = [];
        return { forward, committedNow: true };
      }
    }
    this.#held.push(...events);
    return { forward: [], committedNow: false };
  }
}
