// The proxy.log lines the watchdog reads: one module writes them and parses them. Pure.
//
// A line is `req=<id> <event> key=value key=value ...` (after the LogFile's time and tag). The event and
// the keys are fixed words from the vocabulary below; every value that a client or a provider controls
// (a model name, an error message, a note) is written as a JSON string, so nothing inside it can look
// like another field or another event. The watchdog's signals come from the event and its typed fields
// (kind, status, code), never from free text: a request whose model is "stream error" or whose
// provider's message says "Connection reset" is just a quoted string here.

/** Every event the proxy writes; the watchdog turns some of them into signals (watchdog/signals.ts). */
export const LOG_EVENTS = [
  "started", // the proxy listens
  "stopping", // the proxy shuts down (signal, idle orphan)
  "draining", // no new requests; waiting for live streams
  "request", // one per served request: the summary
  "refused", // the proxy itself refused the request (the client's error or a policy): never a fault
  "upstream_retry", // a retry before the first byte
  "upstream_error", // the provider's final error, or it could not be reached
  "adjusted", // the request was sent again after an error the adapter understood
  "stream_error", // a stream that failed after its first byte
  "client_gone", // the client hung up
  "translate_note", // something a provider cannot run (logged once)
  "internal_error", // a bug in the proxy cost one request
  "caps", // provider-caps.json news (learned, forgotten, corrupt)
  "owner", // ownership news (orphaned, kept, owned again)
  "continuation", // a follow-up request continues the same answer
  "adapter_error", // the backend's own failure before the provider was asked (e.g. a login that cannot be renewed)
  "adapter_note", // a backend's own news (a login renewed, a project found): text only, never a signal
  // AI BGP pools: a route's failures are the pool's to handle (it fails over), so they are written as
  // route_* events, not upstream_*: only a pool with no route left (pool_exhausted) is a fault (E5).
  "route_retry", // a pool route's own retry before the first byte
  "route_error", // a pool route failed before its first byte; the next route is tried
  "route_open", // 3 failures in a row: the route is left out for 60 s
  "route_half_open", // the open period is over: the next request may probe the route
  "route_closed", // the route answered again (or its cooldown ended)
  "route_cooldown", // the route said 429: left out until its Retry-After
  "pool_exhausted", // every route of the pool is open or cooling down (E5)
  "pool_recovered", // a route of an exhausted pool can be tried again
  "usage", // usage-stats.json news (a corrupt file kept aside, a write that failed)
] as const;
export type LogEvent = (typeof LOG_EVENTS)[number];

/** Classes of upstream failure (the `kind` field of upstream_retry, upstream_error and stream_error). */
export const FAILURE_KINDS = [
  "http_4xx", "http_429", "http_5xx", "connection_refused", "connection_reset", "dns", "tls", "timeout",
  "idle_timeout", "first_byte_timeout", "provider_error", "cut", "unparseable_chunk", "overflow", "other",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export type FieldValue = string | number | boolean | null | undefined;

/** Quoted text is cut to this many characters: a 5 MB model name must not become a 5 MB log line. */
export const MAX_QUOTED_CHARS = 400;

function bounded(text: string): string {
  return text.length <= MAX_QUOTED_CHARS ? text : `${text.slice(0, MAX_QUOTED_CHARS)}…(${text.length} chars)`;
}

export interface LogRecord {
  req: string | null;
  event: string;
  fields: Record<string, string>;
}

const BARE = /^[A-Za-z0-9_.:/,+@-]*$/;

/** One value: a bare token when it is one (numbers, fixed words), else a JSON string. */
export function formatValue(value: Exclude<FieldValue, undefined>): string {
  if (value === null) return "-";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value !== "" && value !== "-" && value.length <= MAX_QUOTED_CHARS && BARE.test(value) ? value : JSON.stringify(bounded(value));
}

/**
 * The line for one event. `quoted` fields are always JSON strings: they carry text a client or a
 * provider wrote, even when it happens to look like a bare word.
 */
export function formatLogLine(req: string | null, event: LogEvent, fields: Record<string, FieldValue> = {},
  quoted: Record<string, string | null | undefined> = {}): string {
  const parts: string[] = req ? [`req=${req}`, event] : [event];
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  for (const [key, value] of Object.entries(quoted)) if (value !== undefined && value !== null) parts.push(`${key}=${JSON.stringify(bounded(value))}`);
  return parts.join(" ");
}

/**
 * Parses the message part of a line (what follows `<time> [proxy] `). Returns null for a line that is
 * not in this format (anything else in proxy.log, e.g. a line from an older version).
 */
export function parseLogLine(message: string): LogRecord | null {
  let rest = message.trim();
  let req: string | null = null;
  const reqMatch = /^req=([A-Za-z0-9_-]+)\s+/.exec(rest);
  if (reqMatch) {
    req = reqMatch[1];
    rest = rest.slice(reqMatch[0].length);
  }
  const eventMatch = /^([a-z_]+)(?:\s+|$)/.exec(rest);
  if (!eventMatch || !(LOG_EVENTS as readonly string[]).includes(eventMatch[1])) return null;
  const event = eventMatch[1];
  rest = rest.slice(eventMatch[0].length);
  const fields: Record<string, string> = {};
  while (rest.length > 0) {
    const key = /^([a-z_]+)=/.exec(rest);
    if (!key) return null;
    rest = rest.slice(key[0].length);
    let value: string;
    if (rest.startsWith("\"")) {
      const end = endOfJsonString(rest);
      if (end < 0) return null;
      try {
        value = JSON.parse(rest.slice(0, end + 1)) as string;
      } catch {
        return null;
      }
      rest = rest.slice(end + 1);
    } else {
      const space = rest.search(/\s/);
      value = space < 0 ? rest : rest.slice(0, space);
      rest = space < 0 ? "" : rest.slice(space);
    }
    fields[key[1]] = value;
    rest = rest.replace(/^\s+/, "");
  }
  return { req, event, fields };
}

/** Index of the quote that closes the JSON string starting at 0, or -1. */
function endOfJsonString(text: string): number {
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "\"") return i;
  }
  return -1;
}

/** Splits a LogFile line (`<ISO time> [tag] message`) into its tag and message. */
export function splitLogFileLine(line: string): { tag: string; message: string } | null {
  const m = /^\S+\s+\[([a-z-]+)\]\s?(.*)$/.exec(line);
  return m ? { tag: m[1], message: m[2] } : null;
}
