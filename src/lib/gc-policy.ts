// When to run a full garbage collection ourselves. Pure.
//
// Why at all: gjs 1.74 marks the runtime as "sweeping" for the whole of an incremental GC's sweep
// phase, and main-loop callbacks that arrive meanwhile are dropped ("Attempting to run a JS callback
// during garbage collection ... it has been blocked"). A dropped AsyncReadyCallback is a request that
// hangs forever. A full collection we ask for (System.gc()) is not incremental: it runs to the end at
// once, so nothing is dropped, and it resets the heap size at which SpiderMonkey would start an
// incremental one itself.
//
// When: by the amount of work since the last collection, not by the clock. Measured on the proxy with
// our collections switched off: SpiderMonkey began its own (incremental) collection after about 30 MB
// of streamed answers, and callbacks were dropped at once. The threshold is much lower than that for
// memory's sake: the garbage between two collections is what glibc's heap and the GC heap grow to,
// and glibc keeps most of that heap once it is fragmented (every 4 MB: 55 MB RSS after the benchmark;
// 1 MB: 48 MB; 512 KB: 43.5–46.6 MB; 256 KB: 39.0–41.6 MB; 128 KB: 40.8–41.8 MB, quiet, after the
// benchmark's paced and unpaced phases; proxy CPU 13–17, 19–21 and 20–22 µs per streamed token for the
// last three, unpaced at concurrency 8). A collection of this small heap takes 1–5 ms.
// Not at the end of every request, though: with back-to-back requests it ran exactly when the next
// request arrived and delayed its first byte. Nor before a request's first byte: work counted on a
// request's own path (its body, its end) lets a due collection wait for the next read of a stream, where
// it delays no first byte, up to `requestPathSlack` times the threshold (a proxy that only answers short
// requests still collects). What the last requests leave behind is collected once the proxy has been
// quiet for a moment.

export interface GcPolicy {
  /** Collect once this much work went through: bytes streamed or sent upstream, plus `requestWeight` per request. */
  workThreshold: number;
  /** A request leaves GObject wrappers and closures behind whatever its size. */
  requestWeight: number;
  /** Collect when no work came for this long after some work (an idle proxy should hold no garbage). */
  idleMs: number;
  /** On a request's own path a collection waits until this many times workThreshold went through. */
  requestPathSlack: number;
}

export const DEFAULT_GC_POLICY: GcPolicy = { workThreshold: 256 * 1024, requestWeight: 16 * 1024, idleMs: 1000, requestPathSlack: 4 };

/**
 * Enough garbage may have piled up that SpiderMonkey would soon start collecting incrementally.
 * `onRequestPath`: asked before a request's first byte or at its end, where a collection would delay
 * a client (the next request of a client that sends them back to back).
 */
export function shouldCollect(policy: GcPolicy, workSince: number, onRequestPath = false): boolean {
  return workSince >= policy.workThreshold * (onRequestPath ? policy.requestPathSlack : 1);
}

/** There is garbage and the proxy has been quiet long enough: collect it now, while nobody waits. */
export function idleCollectionDue(policy: GcPolicy, nowMs: number, lastWorkMs: number, workSince: number): boolean {
  return workSince > 0 && nowMs - lastWorkMs >= policy.idleMs;
}
