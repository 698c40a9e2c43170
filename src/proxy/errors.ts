// OpenAI-shaped error bodies, so that Codex and the openai SDK show a readable message. Pure.

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  408: "timeout_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
};

const PHRASES: Record<number, string> = {
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 413: "Payload Too Large",
  422: "Unprocessable Entity", 426: "Upgrade Required", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 529: "Overloaded",
};

/** Our own reason phrases: libsoup 3.2 calls 429 "Unknown Error", and log lines must be stable. */
export function statusPhrase(status: number): string {
  return PHRASES[status] ?? (status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "");
}

export function openAiError(status: number, message: string, code: string | null = null): OpenAiErrorBody {
  const type = TYPE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return { error: { message, type, code, param: null } };
}

/** The readable message and code inside a provider's error body, whatever its shape. */
export function describeUpstreamError(status: number, bodyText: string): { message: string; code: string | null } {
  const fallback = bodyText.trim().slice(0, 500) || `HTTP ${status}`;
  try {
    const body = JSON.parse(bodyText) as Record<string, any>;
    const err = Array.isArray(body) ? body[0]?.error : body.error;
    if (typeof err === "string") return { message: err, code: typeof body.code === "string" ? body.code : null };
    if (err && typeof err === "object") {
      const code = err.code ?? err.type ?? err.status ?? null;
      return { message: String(err.message ?? fallback), code: code === null ? null : String(code) };
    }
    if (typeof body.message === "string") return { message: body.message, code: typeof body.code === "string" ? body.code : null };
    if (typeof body.detail === "string") return { message: body.detail, code: null };
  } catch {
    // Not JSON (an HTML error page from a gateway, say): the text itself is the message.
  }
  return { message: fallback, code: null };
}

/**
 * How providers say a request is longer than the model's context window: OpenAI's code, and the
 * messages of those that send none (DeepSeek, Anthropic, Gemini, OpenRouter, vLLM, Ollama, Groq, ...).
 */
const CONTEXT_CODES = new Set(["context_length_exceeded", "string_above_max_length", "model_context_window_exceeded", "context_window_exceeded"]);
const CONTEXT_MESSAGE = new RegExp([
  "maximum context length", "context[ _-]?length", "context window", "context limit", "prompt is too long", "input is too long",
  "too many (input )?tokens", "exceeds? the (model's )?(maximum|max|limit)", "input token count", "maximum (number of )?tokens allowed",
  "reduce the length of the (messages|prompt|input)", "tokens? (exceed|exceeds|exceeded) ", "longer than the model's",
].join("|"), "i");

/**
 * True when a provider's error says the request does not fit the model's context. Codex shows its own
 * "ran out of room in the model's context window" (and stops retrying) only for the code
 * `context_length_exceeded`, so the proxy sends that code whatever the provider called it.
 */
export function isContextLengthError(status: number, code: string | null, message: string): boolean {
  if (code !== null && CONTEXT_CODES.has(code)) return true;
  if (status !== 400 && status !== 413 && status !== 422 && status !== 0) return false;
  // "max_tokens … exceeds the limit" is about the answer's length, not the context: left to the adapters.
  if (/max_tokens|max_completion_tokens|max_output_tokens|output tokens/i.test(message) && !/context/i.test(message)) return false;
  return CONTEXT_MESSAGE.test(message);
}
