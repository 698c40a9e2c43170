// Learning from a provider's 400/422 answers without ever poisoning a model (issue 11). Pure.
//
// The old rule — blame, remember, then retry — kept a lesson even when the retry failed too, and from
// then on every request to that model was sent wrong for 24 hours. Here:
//  - a lesson is remembered only when the call adjusted by it got a complete answer (`succeeded`);
//  - a remembered lesson applied to a request that is then refused with nothing new to blame is
//    forgotten at once, and the request goes out again as the client asked it;
//  - what counts as a lesson (which parameter an error names as unsupported) is the adapter's part.
import type { QuirkMemory, RetryAfterError, UpstreamCall } from "./contract.js";

export interface AdaptiveCallSpec {
  memory: QuirkMemory;
  /** provider-caps.json key: endpoint and model. */
  key: string;
  /** The call with these lessons applied (no retryAfterError/succeeded: added here). */
  build: (applied: ReadonlySet<string>) => UpstreamCall;
  /** New lessons an error teaches about the call built with `applied` ([] when it blames nothing). */
  lessons: (status: number, message: string, applied: ReadonlySet<string>) => string[];
  /** How the log names a retry with `learned` (default: they were dropped). */
  describe?: (learned: string[]) => Pick<RetryAfterError, "dropped" | "reason">;
  /** Other adjustments the adapter makes after an error (a refreshed token), tried after lessons. */
  otherwise?: (status: number, message: string) => RetryAfterError | null | Promise<RetryAfterError | null>;
}

/** The first call of a request: the remembered lessons applied, learning and forgetting wired in. */
export function adaptiveCall(spec: AdaptiveCallSpec): UpstreamCall {
  const remembered = spec.memory.quirksFor(spec.key);
  const describe = spec.describe ?? ((learned: string[]) => ({ dropped: learned }));

  const make = (applied: Set<string>, fromMemory: Set<string>, fresh: Set<string>): UpstreamCall => ({
    ...spec.build(applied),
    retryAfterError: async (status, message) => {
      if (status === 400 || status === 422) {
        const learned = spec.lessons(status, message, applied).filter((l) => !applied.has(l));
        if (learned.length > 0)
          return { call: make(new Set([...applied, ...learned]), fromMemory, new Set([...fresh, ...learned])), ...describe(learned) };
        if (fromMemory.size > 0) {
          // Refused with the remembered lessons applied and nothing new to blame: the lessons may be
          // the cause (wrong, or no longer true). Forget them and ask as the client asked.
          const forgotten = [...fromMemory];
          spec.memory.forget(spec.key, forgotten);
          return { call: make(new Set([...applied].filter((a) => !fromMemory.has(a))), new Set(), fresh), dropped: [],
            reason: `forgot ${forgotten.join(", ")} (remembered for this model, refused now); sending the request unchanged` };
        }
      }
      return (await spec.otherwise?.(status, message)) ?? null;
    },
    succeeded: () => {
      if (fresh.size > 0) spec.memory.learn(spec.key, [...fresh]);
    },
  });
  return make(new Set(remembered), new Set(remembered), new Set());
}
