// The latency badge of the main window: the last figure measured for each endpoint (a Doctor run, a
// Test in the editor, or the running proxy's real traffic) and the original's thresholds — green under
// 1 s, amber under 3 s, red beyond. Pure.

export type LatencyLevel = "good" | "fair" | "poor";
export type LatencySource = "doctor" | "test" | "traffic";

export interface LatencySample {
  ms: number;
  source: LatencySource;
  /** When it was measured (ms since the epoch). */
  at: number;
}

export const LATENCY_GOOD_MS = 1000;
export const LATENCY_FAIR_MS = 3000;

export function latencyLevel(ms: number): LatencyLevel {
  if (ms < LATENCY_GOOD_MS) return "good";
  if (ms < LATENCY_FAIR_MS) return "fair";
  return "poor";
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

const SOURCE_TEXT: Record<LatencySource, string> = { doctor: "Doctor", test: "Test", traffic: "live traffic, median first byte" };

/** The badge's text and level, or the hint shown before anything was measured. */
export function latencyBadge(sample: LatencySample | null, nowMs: number): { text: string; level: LatencyLevel | null; tooltip: string } {
  if (!sample) return { text: "latency: not measured", level: null, tooltip: "Run the Doctor or a Test, or use the proxy, to measure it" };
  const level = latencyLevel(sample.ms);
  return {
    text: formatMs(sample.ms),
    level,
    tooltip: `${formatMs(sample.ms)} from ${SOURCE_TEXT[sample.source]} (${ago(nowMs - sample.at)}). Green under 1 s, amber under 3 s, red beyond.`,
  };
}

/** The newest figure per endpoint, with listeners for the window. */
export class LatencyBook {
  #samples = new Map<string, LatencySample>();
  #listeners = new Set<(endpoint: string) => void>();

  record(endpoint: string, sample: LatencySample): void {
    const previous = this.#samples.get(endpoint);
    if (previous && previous.at > sample.at) return;
    this.#samples.set(endpoint, sample);
    for (const l of this.#listeners) l(endpoint);
  }

  latest(endpoint: string): LatencySample | null {
    return this.#samples.get(endpoint) ?? null;
  }

  onChange(listener: (endpoint: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
