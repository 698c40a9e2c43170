// The parser state the Tier 3 report shows (design §5.5 "Parser state"): how many Command Code
// answers had no usable tool call (C1), how many Layer 3 stuck recoveries ran (C3), and how many
// commands the sanitizer flagged (C4/C6), counted from the signals the watchdog reads, over a
// sliding window so an old bad hour does not colour a fresh report. Pure; the clock is passed in.
import type { Signal } from "./signals.js";
import { SlidingWindow } from "./sliding-window.js";

/** How far back the report looks. */
export const PARSER_WINDOW_MS = 30 * 60_000;

export interface ParserState {
  parsedToolCallsZero: number;
  stuckRecoveries: number;
  sanitizerFlags: number;
}

const KIND_BY_CATEGORY: Record<string, keyof ParserState> = {
  parser_empty: "parsedToolCallsZero",
  stuck_recovery: "stuckRecoveries",
  sanitizer_flag: "sanitizerFlags",
  empty_cmd: "sanitizerFlags",
};

export class ParserCounters {
  readonly #windows: Record<keyof ParserState, SlidingWindow>;

  constructor(windowMs = PARSER_WINDOW_MS) {
    this.#windows = { parsedToolCallsZero: new SlidingWindow(windowMs), stuckRecoveries: new SlidingWindow(windowMs), sanitizerFlags: new SlidingWindow(windowMs) };
  }

  /** Counts the signal when it is a parser one; other signals are ignored. */
  feed(signal: Signal): void {
    const kind = KIND_BY_CATEGORY[signal.category];
    if (kind) this.#windows[kind].add(signal.atMs);
  }

  snapshot(nowMs: number): ParserState {
    return {
      parsedToolCallsZero: this.#windows.parsedToolCallsZero.count(nowMs),
      stuckRecoveries: this.#windows.stuckRecoveries.count(nowMs),
      sanitizerFlags: this.#windows.sanitizerFlags.count(nowMs),
    };
  }
}
