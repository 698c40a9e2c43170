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

/** How a streamed reply is framed: server-sent events, or one JSON document per line (an optional
 * `data:` prefix is accepted on each line). */
export type StreamFraming = "sse" | "json-lines";

/** A second attempt at the same request, adjusted after an error the adapter understood. */
export interface RetryAfterError {
  call: UpstreamCall;
  /** Parameters left out this time (logged, remembered when the retry succeeds). */
  dropped: string[];
  /** Why, for the log when nothing was dropped (e.g. "access token refreshed"). */
  reason?: string;
}

export interface UpstreamCall {
  /** Path appended to the endpoint's base URL, e.g. "chat/completions". */
  path: string;
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
   * After a 400/422 before the first byte: the same call without what the provider rejected, or null
   * when the error is not about an optional parameter.
   */
  retryAfterError?: (status: number, message: string) => RetryAfterError | null | Promise<RetryAfterError | null>;
  /**
   * A final error status the adapter can say more clearly (Command Code's 403 upgrade_required):
   * the message Codex shows and proxy.log records, or null to keep the provider's own.
   */
  explainError?: (status: number, message: string, code: string | null) => string | null;
}

/** Where adapters keep what they learn about a provider (provider-caps.json). */
export interface QuirkMemory {
  quirksFor(key: string): Set<string>;
  learn(key: string, quirks: readonly string[]): void;
}

export const FORGET_NOTHING: QuirkMemory = { quirksFor: () => new Set(), learn: () => {} };

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

/** What the proxy knows when it builds a backend's adapter. */
export interface AdapterContext {
  targetUrl: string;
  /** Learned provider quirks (provider-caps.json). */
  quirks: QuirkMemory;
  /** Writes one line to cc-debug.log (the parser chain's decisions, read by the watchdog). */
  debugLog?: (line: string) => void;
}

/** One backend: how to authenticate to it, where it lists models, and its adapter. */
export interface BackendDefinition {
  /** Headers every request to this provider carries: the key in the provider's own header, its API version. */
  headers(apiKey: string): Record<string, string>;
  /** GET {base}/{modelsPath} lists the provider's models. */
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
