// Log line → typed failure signal (fault id A1–E5 and category). Pure.
//
// Matching is literal (the original used the pattern "[STUCK-RECOVERY]" as a regex character class,
// which classified almost every line as stuck_recovery), specific patterns come before generic ones,
// and text the model wrote (echoed previews) is cut off before matching.

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

interface Pattern {
  /** Every part must occur in the line (case-sensitive, literal). */
  all: string[];
  faultId: string;
  category: string;
}

/** In priority order: the first match wins. */
export const LOG_PATTERNS: readonly Pattern[] = [
  // E4: the proxy could not renew a Google login (revoked or expired refresh token), or has none.
  { all: ["login_expired: Google login expired"], faultId: "E4", category: "oauth_expired" },
  { all: ["login_required: Not signed in to Google"], faultId: "E4", category: "oauth_expired" },
  { all: ["parsed_tool_calls=0"], faultId: "C1", category: "parser_empty" },
  { all: ["[STUCK-RECOVERY]"], faultId: "C3", category: "stuck_recovery" },
  { all: ["suspicious cmd"], faultId: "C4", category: "sanitizer_flag" },
  { all: ["empty cmd recovered"], faultId: "C6", category: "empty_cmd" },
  { all: ["SELF-REVIVE CRASH"], faultId: "A5", category: "proxy_crash" },
  { all: ["Address already in use"], faultId: "A2", category: "port_conflict" },
  { all: ["address already in use"], faultId: "A2", category: "port_conflict" },
  { all: ["provider caps:", "is corrupt"], faultId: "E1", category: "schema_corrupt" },
  { all: ["content_type", "array"], faultId: "E1", category: "schema_corrupt" },
  { all: ["context_length_exceeded"], faultId: "D5", category: "context_overflow" },
  { all: ["HTTP 403", "upgrade_required"], faultId: "B4", category: "upgrade_required" },
  { all: ["HTTP 403", "error 1010"], faultId: "B10", category: "cloudflare_block" },
  { all: ["HTTP 429"], faultId: "B1", category: "rate_limited" },
  { all: ["HTTP 401"], faultId: "B3", category: "auth_failure" },
  { all: ["HTTP 403"], faultId: "B4", category: "forbidden" },
  { all: ["HTTP 500"], faultId: "B2", category: "server_error" },
  { all: ["HTTP 502"], faultId: "B2", category: "server_error" },
  { all: ["HTTP 503"], faultId: "B2", category: "server_error" },
  { all: ["HTTP 504"], faultId: "B2", category: "server_error" },
  { all: ["HTTP 400"], faultId: "B8", category: "bad_request" },
  { all: ["certificate verify failed"], faultId: "A6", category: "tls_error" },
  { all: ["TLS error"], faultId: "A6", category: "tls_error" },
  { all: ["DNS lookup failed"], faultId: "A7", category: "dns_failure" },
  { all: ["Name or service not known"], faultId: "A7", category: "dns_failure" },
  // Our proxy says "upstream Connection refused" when the provider refuses; that is not the proxy dying.
  { all: ["upstream Connection refused"], faultId: "B9", category: "provider_unreachable" },
  { all: ["Connection refused"], faultId: "A1", category: "proxy_dead" },
  { all: ["Broken pipe"], faultId: "B7", category: "broken_pipe" },
  { all: ["Connection reset"], faultId: "B6", category: "connection_reset" },
  { all: ["stream idle timeout"], faultId: "B5", category: "stream_idle" },
  { all: ["timed out"], faultId: "B5", category: "timeout" },
  { all: ["stream error"], faultId: "B6", category: "stream_error" },
];

/** Where echoed model text starts in a line; nothing after it is classified. */
const ECHO_MARKERS = ["text_preview=", "cmd_preview=", "unparseable chunk:"];

export function classifyLine(line: string, source: SignalSource, atMs: number): Signal | null {
  let text = line;
  for (const marker of ECHO_MARKERS) {
    const at = text.indexOf(marker);
    if (at >= 0) text = text.slice(0, at);
  }
  const pattern = LOG_PATTERNS.find((p) => p.all.every((part) => text.includes(part)));
  if (!pattern) return null;
  const signal: Signal = { faultId: pattern.faultId, category: pattern.category, source, detail: line.trim(), atMs };
  const status = /HTTP (\d{3})/.exec(text);
  if (status) signal.httpStatus = Number(status[1]);
  const retry = /retry \d+\/\d+ in (\d+(?:\.\d+)?) s/.exec(text);
  if (retry) signal.retryAfterMs = Math.round(Number(retry[1]) * 1000);
  return signal;
}

/** Signals that come from probes rather than logs. */
export const PROBE_SIGNALS = {
  healthFailed: { faultId: "A1", category: "proxy_dead" },
  healthHung: { faultId: "A4", category: "proxy_hang" },
  childExited: { faultId: "A5", category: "proxy_crash" },
  proxyMemory: { faultId: "A3", category: "proxy_memory" },
  codexGone: { faultId: "D1", category: "codex_dead" },
  codexMemory: { faultId: "D2", category: "codex_memory" },
  stalePids: { faultId: "E2", category: "stale_pids" },
  portMismatch: { faultId: "E3", category: "port_mismatch" },
  actionFailed: { faultId: "X1", category: "action_failed" },
} as const;

export function probeSignal(kind: keyof typeof PROBE_SIGNALS, detail: string, atMs: number): Signal {
  return { ...PROBE_SIGNALS[kind], source: "probe", detail, atMs };
}
