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

export function openAiError(status: number, message: string, code: string | null = null): OpenAiErrorBody {
  const type = TYPE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return { error: { message, type, code, param: null } };
}
