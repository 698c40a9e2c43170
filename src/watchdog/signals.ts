// Log line → typed failure signal (fault id A1–E5 and category). Pure.
//
// proxy.log: the proxy writes structured lines (proxy/log-lines.ts); a signal comes from the event and
// its typed fields (kind, status, code), never from free text, so nothing a client or a provider wrote
// (a model name, an error message, a chunk) can raise a signal. Lines in any other format raise none.
// cc-debug.log: the Command Code parser's fixed tokens, matched literally in the part of the line before
// any echoed model text (the original matched "[STUCK-RECOVERY]" as a regex character class, which
// classified almost every line as stuck_recovery).
import { parseLogLine, splitLogFileLine, type LogRecord } from "../proxy/log-lines.js";

export type SignalSource = "proxy.log" | "cc-debug.log" | "probe" | "supervisor" | "codex";

export interface Signal {
  faultId: string;
  category: string;
  source: SignalSource;
  /** The line (or probe description) that produced it. */
  detail: string;
  atMs: number;
  /** HTTP status when the line carried one. */
  httpStatus?: number;
  /** A delay the provider asked for (Retry-After), when the line said it. */
  retryAfterMs?: number;
}

type Fault = { faultId: string; category: string };

const f = (faultId: string, category: string): Fault => ({ faultId, category });

/** The fault of a provider's HTTP error status (with its error code when it tells more). */
function httpFault(status: number, code: string): Fault {
  if (status === 429) return f("B1", "rate_limited");
  if (status === 401) return f("B3", "auth_failure");
  if (status === 403) return code === "upgrade_required" ? f("B4", "upgrade_required") : /(^|\D)1010(\D|$)/.test(code) ? f("B10", "cloudflare_block") : f("B4", "forbidden");
  if (status >= 500) return f("B2", "server_error");
  if (code === "context_length_exceeded") return f("D5", "context_overflow");
  return f("B8", "bad_request");
}

/** Transport failures, by the `kind` the proxy wrote. */
const KIND_FAULTS: Record<string, Fault> = {
  connection_refused: f("B9", "provider_unreachable"),
  dns: f("A7", "dns_failure"),
  tls: f("A6", "tls_error"),
  timeout: f("B5", "timeout"),
  first_byte_timeout: f("B5", "timeout"),
  connection_reset: f("B6", "connection_reset"),
  cut: f("B6", "connection_reset"),
  idle_timeout: f("B5", "stream_idle"),
  other: f("B9", "provider_unreachable"),
};

/** The fault a structured proxy.log record reports, if any. */
export function faultOfRecord(record: LogRecord): (Fault & { httpStatus?: number; retryAfterMs?: number }) | null {
  const { event, fields } = record;
  switch (event) {
    case "upstream_retry":
    case "upstream_error": {
      const status = Number(fields.status);
      const fault = fields.kind?.startsWith("http_") && Number.isInteger(status) ? { ...httpFault(status, fields.code ?? ""), httpStatus: status }
        : KIND_FAULTS[fields.kind ?? "other"] ?? KIND_FAULTS.other;
      const delay = Number(fields.delay_s);
      return event === "upstream_retry" && Number.isFinite(delay) ? { ...fault, retryAfterMs: Math.round(delay * 1000) } : fault;
    }
    case "stream_error":
      // The provider's own error event mid-answer (a context overflow when it says so).
      if (fields.kind === "provider_error" && fields.code === "context_length_exceeded") return f("D5", "context_overflow");
      if (fields.kind === "idle_timeout") return f("B5", "stream_idle");
      if (fields.kind === "first_byte_timeout") return f("B5", "timeout");
      if (fields.kind === "connection_reset" || fields.kind === "cut") return f("B6", "connection_reset");
      return f("B6", "stream_error");
    case "client_gone":
      return f("B7", "broken_pipe");
    case "internal_error":
      return f("X2", "proxy_internal_error");
    case "caps":
      return fields.state === "corrupt" ? f("E1", "schema_corrupt") : null;
    case "pool_exhausted":
      // E5: every route of the AI BGP pool is open or cooling down. A single route's failures are the
      // pool's own business (route_* lines): it fails over by itself.
      return f("E5", "routes_exhausted");
    case "adapter_error":
      // E4: a provider login that cannot be renewed (revoked or expired refresh token), or none at all.
      return fields.code === "login_expired" || fields.code === "login_required" ? f("E4", "oauth_expired") : null;
    default:
      // request, refused (the client's error), started, stopping, owner, adjusted, notes, route_*: no fault.
      return null;
  }
}

interface Pattern {
  /** Every part must occur in the line (case-sensitive, literal). */
  all: string[];
  faultId: string;
  category: string;
}

/** cc-debug.log, in priority order: the first match wins. */
export const CC_DEBUG_PATTERNS: readonly Pattern[] = [
  { all: ["parsed_tool_calls=0"], faultId: "C1", category: "parser_empty" },
  { all: ["[STUCK-RECOVERY]"], faultId: "C3", category: "stuck_recovery" },
  { all: ["suspicious cmd"], faultId: "C4", category: "sanitizer_flag" },
  { all: ["empty cmd recovered"], faultId: "C6", category: "empty_cmd" },
];

/** Where echoed model text starts in a cc-debug line; nothing after it is classified. */
const ECHO_MARKERS = ["text_preview=", "cmd_preview=", "unparseable chunk:"];

function classifyCcDebug(line: string): Fault | null {
  let text = line;
  for (const marker of ECHO_MARKERS) {
    const at = text.indexOf(marker);
    if (at >= 0) text = text.slice(0, at);
  }
  return CC_DEBUG_PATTERNS.find((p) => p.all.every((part) => text.includes(part))) ?? null;
}

export function classifyLine(line: string, source: SignalSource, atMs: number): Signal | null {
  if (source === "cc-debug.log") {
    const fault = classifyCcDebug(line);
    return fault ? { ...fault, source, detail: line.trim(), atMs } : null;
  }
  const split = splitLogFileLine(line);
  const record = parseLogLine(split ? split.message : line);
  if (!record) return null;
  const fault = faultOfRecord(record);
  if (!fault) return null;
  const signal: Signal = { faultId: fault.faultId, category: fault.category, source, detail: line.trim(), atMs };
  if (fault.httpStatus !== undefined) signal.httpStatus = fault.httpStatus;
  if (fault.retryAfterMs !== undefined) signal.retryAfterMs = fault.retryAfterMs;
  return signal;
}

/** Signals that come from probes rather than logs. */
export const PROBE_SIGNALS = {
  healthFailed: { faultId: "A1", category: "proxy_dead" },
  healthHung: { faultId: "A4", category: "proxy_hang" },
  childExited: { faultId: "A5", category: "proxy_crash" },
  proxyMemory: { faultId: "A3", category: "proxy_memory" },
  portConflict: { faultId: "A2", category: "port_conflict" },
  codexGone: { faultId: "D1", category: "codex_dead" },
  codexMemory: { faultId: "D2", category: "codex_memory" },
  stalePids: { faultId: "E2", category: "stale_pids" },
  portMismatch: { faultId: "E3", category: "port_mismatch" },
  oauthExpired: { faultId: "E4", category: "oauth_expired" },
  routesExhausted: { faultId: "E5", category: "routes_exhausted" },
  actionFailed: { faultId: "X1", category: "action_failed" },
  restartBudgetSpent: { faultId: "A8", category: "restart_budget_spent" },
} as const;

export function probeSignal(kind: keyof typeof PROBE_SIGNALS, detail: string, atMs: number): Signal {
  return { ...PROBE_SIGNALS[kind], source: "probe", detail, atMs };
}
