// Command Code stream lines → typed parts. The stream is one JSON document per line, raw or after
// `data:` (the route's JSON-lines framing reads both): `{"type":"text-delta","text":…}`,
// `{"type":"finish-step","usage":{inputTokens,outputTokens}}`, and the other AI-SDK-style parts
// (reasoning, finish, error, a structured tool-call). Pure.
import { isRecord } from "./parser/loose-json.js";

export interface CcUsage {
  input: number;
  output: number;
  cached: number;
}

export type CcPart =
  | { kind: "text"; text: string }
  | { kind: "reasoning"; text: string }
  /** One step ended (its usage is added up). */
  | { kind: "step"; usage: CcUsage | null; reason: string | null }
  /** The whole answer ended; `usage` is the total when the provider gives one. */
  | { kind: "end"; usage: CcUsage | null; reason: string | null }
  | { kind: "error"; message: string; code: string }
  | { kind: "tool-call"; id: string | null; name: string; args: unknown };

function num(...values: unknown[]): number {
  const v = values.find((x) => typeof x === "number" && Number.isFinite(x));
  return typeof v === "number" ? v : 0;
}

export function readUsage(raw: unknown): CcUsage | null {
  if (!isRecord(raw)) return null;
  return {
    input: num(raw.inputTokens, raw.promptTokens, raw.input_tokens, raw.prompt_tokens),
    output: num(raw.outputTokens, raw.completionTokens, raw.output_tokens, raw.completion_tokens),
    cached: num(raw.cachedInputTokens, raw.cacheReadInputTokens, raw.cached_tokens),
  };
}

function textField(data: Record<string, unknown>): string {
  const v = data.text ?? data.textDelta ?? data.delta ?? data.content;
  return typeof v === "string" ? v : "";
}

function errorMessage(error: unknown): { message: string; code: string } {
  if (typeof error === "string") return { message: error, code: "upstream_error" };
  if (isRecord(error)) {
    const code = error.code ?? error.type ?? "upstream_error";
    return { message: String(error.message ?? JSON.stringify(error)), code: String(code) };
  }
  return { message: "Command Code reported an error", code: "upstream_error" };
}

/** The parts of one stream line; unknown kinds (start, text-start, …) carry nothing. */
export function readPart(data: unknown): CcPart[] {
  if (!isRecord(data)) return [];
  switch (data.type) {
    case "text-delta":
    case "text":
      return [{ kind: "text", text: textField(data) }];
    case "reasoning-delta":
    case "reasoning":
      return [{ kind: "reasoning", text: textField(data) }];
    case "finish-step":
    case "step-finish":
      return [{ kind: "step", usage: readUsage(data.usage), reason: typeof data.finishReason === "string" ? data.finishReason : null }];
    case "finish":
      return [{ kind: "end", usage: readUsage(data.totalUsage ?? data.usage), reason: typeof data.finishReason === "string" ? data.finishReason : null }];
    case "error":
      return [{ kind: "error", ...errorMessage(data.error ?? data.message) }];
    case "tool-call": {
      const name = data.toolName ?? data.name;
      if (typeof name !== "string" || !name) return [];
      return [{ kind: "tool-call", id: typeof data.toolCallId === "string" ? data.toolCallId : null, name, args: data.input ?? data.args ?? data.arguments ?? {} }];
    }
    default:
      if (data.error !== undefined && data.type === undefined) return [{ kind: "error", ...errorMessage(data.error) }];
      return [];
  }
}
