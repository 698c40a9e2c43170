// The small surface every provider adapter implements, so the route stays the same for all of them.
// Pure: adapters map data; the route does the I/O.
import type { InputItem, ResponseObject, ResponsesRequest } from "../responses/types.js";

/** One Responses API stream event as Codex reads it. */
export interface ResponsesEvent {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

/** A request the adapter cannot express for its provider (the client's error: 400). */
export class TranslationError extends Error {
  override name = "TranslationError";
}

/**
 * A request the adapter cannot send for a reason on the provider's side of the proxy, not the
 * client's (an expired Google login, a login that was never made): answered with `status` and `code`;
 * `message` is what the client (Codex) shows, so it says what to do.
 */
export class AdapterError extends Error {
  override name = "AdapterError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** How a streamed reply is framed: server-sent events, or one JSON document per line (an optional
 * `data:` prefix is accepted on each line). */
export type StreamFraming = "sse" | "json-lines";

/** A second attempt at the same request, adjusted after an error the adapter understood. */
export interface RetryAfterError {
  call: UpstreamCall;
  /** Parameters left out this time (logged; remembered only once the retry's answer completed). */
  dropped: string[];
  /** Why, for the log when nothing was dropped (e.g. "access token refreshed"). */
  reason?: string;
}

export interface UpstreamCall {
  /** Path appended to the endpoint's base URL, e.g. "chat/completions". */
  path: string;
  /** A whole URL instead of base + path (a provider's fallback host). */
  url?: string;
  /** Default "sse". */
  framing?: StreamFraming;
  body: unknown;
  /** Extra request headers this call needs (besides the backend's own `headers(key)`). */
  headers?: Record<string, string>;
  /** What could not be carried over (logged once per distinct note). */
  notes: string[];
  /** A fresh translator for this call's reply. */
  translator: () => ReplyTranslator;
  /**
   * After an error status before the first byte: the same call adjusted (without what the provider
   * rejected, with a refreshed access token), or null when the adapter has nothing to change. May throw
   * AdapterError (the refresh itself failed).
   */
  retryAfterError?: (status: number, message: string) => RetryAfterError | null | Promise<RetryAfterError | null>;
  /**
   * A final error status the adapter can say more clearly (Command Code's 403 upgrade_required):
   * the message Codex shows and proxy.log records, or null to keep the provider's own.
   */
  explainError?: (status: number, message: string, code: string | null) => string | null;
  /**
   * Called once the answer to this call completed (not failed): what the adapter adjusted to get it
   * worked and may be remembered. Never called for a call that failed, so a wrong lesson is never kept.
   */
  succeeded?: () => void;
}

/** Where adapters keep what they learn about a provider (provider-caps.json). */
export interface QuirkMemory {
  quirksFor(key: string): Set<string>;
  learn(key: string, quirks: readonly string[]): void;
  /** Drops lessons that turned out wrong (a request adjusted by them was refused). */
  forget(key: string, quirks: readonly string[]): void;
}

export const FORGET_NOTHING: QuirkMemory = { quirksFor: () => new Set(), learn: () => {}, forget: () => {} };

/** Turns one upstream reply (stream messages or a whole JSON body) into Responses events. */
export interface ReplyTranslator {
  readonly response: ResponseObject;
  readonly ended: boolean;
  start(): ResponsesEvent[];
  /** One upstream SSE message (already JSON-parsed), with its `event:` name when it had one. */
  message(data: unknown, event: string | null): ResponsesEvent[];
  /** A non-streamed JSON reply body. */
  whole(body: unknown): ResponsesEvent[];
  /** `cleanEnd` is false when the stream stopped without the provider's end marker. */
  finish(cleanEnd: boolean): ResponsesEvent[];
  fail(code: string, message: string): ResponsesEvent[];
  /**
   * After finish() left the response open (not `ended`): the follow-up request whose reply continues
   * the same response (e.g. Gemini's auto-continue after MAX_TOKENS), or null to end it now. Bounded by
   * the adapter; the route pumps the follow-up's reply into this same translator.
   */
  continuation?(): UpstreamCall | null;
}

export interface BackendAdapter {
  readonly name: string;
  /**
   * Throws TranslationError for requests it cannot express. `input` already includes stored history.
   * May be async, for backends that must look something up first (an access token, a project id).
   */
  prepare(request: ResponsesRequest, input: InputItem[], stream: boolean): UpstreamCall | Promise<UpstreamCall>;
}

/** A small request an adapter makes itself, besides the calls it prepares (a token refresh, a lookup). */
export interface AdapterHttpRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Default application/json. */
  contentType?: string;
  timeoutMs?: number;
}

/** Rejects only when no HTTP answer came (connection refused, timeout); any status is an answer. */
export type AdapterHttp = (request: AdapterHttpRequest) => Promise<{ status: number; text: string }>;

/** A login kept in a file the adapter may renew (Google credentials); written atomically, mode 0600. */
export interface LoginFile {
  /** Where it is, for messages. */
  readonly path: string;
  /** The text, or null when there is no such file. */
  read(): string | null;
  write(text: string): void;
}

/** What the proxy knows when it builds a backend's adapter. */
export interface AdapterContext {
  targetUrl: string;
  /** Learned provider quirks (provider-caps.json). */
  quirks: QuirkMemory;
  /** Writes one line to cc-debug.log (the parser chain's decisions, read by the watchdog). */
  debugLog?: (line: string) => void;
  /** For adapters that talk to more than the provider's main API (token endpoint, project lookup). */
  http?: AdapterHttp;
  /** The provider login for backends that authenticate with one instead of a key. */
  login?: LoginFile;
  /** Reads an environment setting (endpoint overrides such as CODEX_LAUNCHER_GOOGLE_TOKEN_URL). */
  env?: (name: string) => string | undefined;
  /** A line for proxy.log (never with a token in it: register tokens with `secret`). */
  log?: (line: string) => void;
  /** Registers a value that must never appear in a log line. */
  secret?: (value: string) => void;
  /** Milliseconds since the epoch (tests pass a clock). */
  now?: () => number;
}

/** One backend: how to authenticate to it, where it lists models, and its adapter. */
export interface BackendDefinition {
  /** Headers every request to this provider carries: the key in the provider's own header, its API version. */
  headers(apiKey: string): Record<string, string>;
  /** GET {base}/{modelsPath} lists the provider's models; "" when the provider has no such list. */
  modelsPath: string;
  create(context: AdapterContext): BackendAdapter;
}

/** Bearer-token authentication, as OpenAI and most compatible providers use. */
export function bearerHeaders(apiKey: string): Record<string, string> {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}

/**
 * Joins a base URL and a path without doubling segments (…/v1/chat/completions/chat/completions). A
 * query string on the base (`?api-version=…`) stays a query, after the path's own query if any.
 */
export function joinUrl(base: string, path: string): string {
  const [baseNoQuery, baseQuery = ""] = splitQuery(base);
  const [pathNoQuery, pathQuery = ""] = splitQuery(path);
  const trimmed = baseNoQuery.replace(/\/+$/, "");
  const cleanPath = pathNoQuery.replace(/^\/+/, "");
  const query = [pathQuery, baseQuery].filter(Boolean).join("&");
  const withQuery = (url: string) => (query ? `${url}?${query}` : url);
  if (cleanPath === "" || trimmed.endsWith(`/${cleanPath}`)) return withQuery(trimmed);
  // A base that already names a different endpoint of the same API (…/v1/chat/completions when
  // asking for models) is cut back to its version root.
  const known = ["/chat/completions", "/responses", "/messages", "/models"];
  const root = known.reduce((acc, suffix) => (acc.endsWith(suffix) ? acc.slice(0, -suffix.length) : acc), trimmed);
  return withQuery(`${root}/${cleanPath}`);
}

function splitQuery(url: string): [string, string?] {
  const at = url.indexOf("?");
  return at < 0 ? [url] : [url.slice(0, at), url.slice(at + 1)];
}
