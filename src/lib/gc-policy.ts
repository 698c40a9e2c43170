// When to run a full garbage collection ourselves. Pure.
//
// Why at all: gjs 1.74 marks the runtime as "sweeping" for the whole of an incremental GC's sweep
// phase, and main-loop callbacks that arrive meanwhile are dropped ("Attempting to run a JS callback
// during garbage collection ... it has been blocked"). A dropped AsyncReadyCallback is a request that
// hangs forever. Frequent, small, non-incremental collections keep the heap below the size at which
// SpiderMonkey starts incremental ones (measured: 2,000 concurrent streams, no callback lost).

export interface GcPolicy {
  /** Never collect more often than this. */
  minIntervalMs: number;
  /** Collect after this much streamed data even in the middle of a long answer. */
  bytesThreshold: number;
}

export const DEFAULT_GC_POLICY: GcPolicy = { minIntervalMs: 250, bytesThreshold: 4 * 1024 * 1024 };

export function shouldCollect(policy: GcPolicy, nowMs: number, lastMs: number, bytesSince: number, requestEnded: boolean): boolean {
  if (nowMs - lastMs < policy.minIntervalMs) return false;
  return requestEnded || bytesSince >= policy.bytesThreshold;
}
