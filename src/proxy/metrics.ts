// Counters behind GET /monitoring. Pure; time windows, not ever-growing lists.

export type UpstreamErrorKind =
  | "http_4xx" | "http_429" | "http_5xx" | "connection_refused" | "connection_reset" | "dns" | "tls"
  | "timeout" | "first_byte_timeout" | "idle_timeout" | "cut" | "provider_error" | "stream_error" | "client_gone" | "other";

/** The classes /monitoring counts upstream failures in (what AI Monitoring shows). */
export type FailureClass = "reset" | "timeout" | "provider_error" | "unreachable" | "other";

/** A client that went away is not the provider's failure: no class. */
export function failureClass(kind: UpstreamErrorKind): FailureClass | null {
  switch (kind) {
    case "connection_reset":
    case "cut":
      return "reset";
    case "timeout":
    case "first_byte_timeout":
    case "idle_timeout":
      return "timeout";
    case "http_4xx":
    case "http_429":
    case "http_5xx":
    case "provider_error":
      return "provider_error";
    case "connection_refused":
    case "dns":
    case "tls":
      return "unreachable";
    case "client_gone":
      return null;
    default:
      return "other";
  }
}

interface Sample {
  atMs: number;
  durationMs: number;
  ttfbMs: number | null;
}

export class ProxyMetrics {
  readonly byStatus = new Map<number, number>();
  readonly upstreamErrors = new Map<UpstreamErrorKind, number>();
  readonly failuresByClass = new Map<FailureClass, number>();
  lastError: { at: string; kind: UpstreamErrorKind; message: string } | null = null;
  activeStreams = 0;
  tokensIn = 0;
  tokensOut = 0;
  #samples: Sample[] = [];

  /** Latency figures cover the last `maxSamples` requests within `windowMs`. */
  constructor(private readonly maxSamples = 1000, private readonly windowMs = 15 * 60 * 1000) {}

  recordRequest(status: number, durationMs: number, ttfbMs: number | null, nowMs: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.#samples.push({ atMs: nowMs, durationMs, ttfbMs });
    if (this.#samples.length > this.maxSamples) this.#samples.splice(0, this.#samples.length - this.maxSamples);
  }

  recordUpstreamError(kind: UpstreamErrorKind, message: string, nowMs: number): void {
    this.upstreamErrors.set(kind, (this.upstreamErrors.get(kind) ?? 0) + 1);
    const cls = failureClass(kind);
    if (cls) this.failuresByClass.set(cls, (this.failuresByClass.get(cls) ?? 0) + 1);
    this.lastError = { at: new Date(nowMs).toISOString(), kind, message };
  }

  recordTokens(input: number, output: number): void {
    this.tokensIn += input;
    this.tokensOut += output;
  }

  snapshot(nowMs: number) {
    const recent = this.#samples.filter((s) => nowMs - s.atMs <= this.windowMs);
    const durations = recent.map((s) => s.durationMs);
    const ttfbs = recent.map((s) => s.ttfbMs).filter((v): v is number => v !== null);
    return {
      requests_by_status: Object.fromEntries([...this.byStatus].map(([k, v]) => [String(k), v])),
      upstream_errors: Object.fromEntries(this.upstreamErrors),
      upstream_failures: { reset: 0, timeout: 0, provider_error: 0, unreachable: 0, other: 0, ...Object.fromEntries(this.failuresByClass) },
      active_streams: this.activeStreams,
      last_error: this.lastError,
      tokens: { input: this.tokensIn, output: this.tokensOut },
      latency_ms: { samples: durations.length, p50: percentile(durations, 50), p90: percentile(durations, 90), p99: percentile(durations, 99) },
      ttfb_ms: { samples: ttfbs.length, p50: percentile(ttfbs, 50), p90: percentile(ttfbs, 90), p99: percentile(ttfbs, 99) },
    };
  }
}

/** Nearest-rank percentile; null for no data. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}
