// Provider quirks learned from 400/422 answers (the original's ErrorAnalyzer): when a provider rejects
// an optional parameter by name, the request is sent again without it and the lesson is remembered
// for that endpoint and model. Pure.
import type { ChatRequest } from "../chat/request.js";

/** Optional parts of a Chat Completions request that some providers reject. */
export const QUIRKS = [
  "stream_options",
  "parallel_tool_calls",
  "reasoning_effort",
  "response_format",
  "tool_choice",
  "strict",
  "reasoning_content",
  "max_tokens",
  "null_content",
  "user",
] as const;

export type Quirk = (typeof QUIRKS)[number];

/** Which quirks of `body` an error message blames. */
export function blamedQuirks(message: string, body: ChatRequest): Quirk[] {
  const text = message.toLowerCase();
  const present = presentQuirks(body);
  const out: Quirk[] = [];
  for (const quirk of present) {
    if (quirk === "null_content") {
      if (/content/.test(text) && /(null|must be (a )?string|expected string|empty)/.test(text)) out.push(quirk);
    } else if (quirk === "strict") {
      if (/\bstrict\b/.test(text)) out.push(quirk);
    } else if (quirk === "max_tokens") {
      if (/max_tokens/.test(text) && /max_completion_tokens|not supported|unsupported/.test(text)) out.push(quirk);
    } else if (text.includes(quirk)) out.push(quirk);
  }
  return out;
}

export function presentQuirks(body: ChatRequest): Quirk[] {
  const present: Quirk[] = [];
  if (body.stream_options) present.push("stream_options");
  if (body.parallel_tool_calls !== undefined) present.push("parallel_tool_calls");
  if (body.reasoning_effort !== undefined) present.push("reasoning_effort");
  if (body.response_format !== undefined) present.push("response_format");
  if (body.tool_choice !== undefined) present.push("tool_choice");
  if (body.tools?.some((t) => t.function.strict !== undefined)) present.push("strict");
  if (body.messages.some((m) => m.reasoning_content !== undefined)) present.push("reasoning_content");
  if (body.max_tokens !== undefined) present.push("max_tokens");
  if (body.messages.some((m) => m.role === "assistant" && m.content === null)) present.push("null_content");
  if (body.user !== undefined) present.push("user");
  return present;
}

/** A copy of `body` without the given quirks (max_tokens becomes max_completion_tokens). */
export function withoutQuirks(body: ChatRequest, quirks: ReadonlySet<string>): ChatRequest & { max_completion_tokens?: number } {
  if (quirks.size === 0) return body;
  const out: ChatRequest & { max_completion_tokens?: number } = { ...body };
  if (quirks.has("stream_options")) delete out.stream_options;
  if (quirks.has("parallel_tool_calls")) delete out.parallel_tool_calls;
  if (quirks.has("reasoning_effort")) delete out.reasoning_effort;
  if (quirks.has("response_format")) delete out.response_format;
  if (quirks.has("tool_choice")) delete out.tool_choice;
  if (quirks.has("user")) delete out.user;
  if (quirks.has("max_tokens") && out.max_tokens !== undefined) {
    out.max_completion_tokens = out.max_tokens;
    delete out.max_tokens;
  }
  if (quirks.has("strict") && out.tools)
    out.tools = out.tools.map((t) => {
      const { strict: _strict, ...fn } = t.function;
      return { ...t, function: fn };
    });
  if (quirks.has("reasoning_content") || quirks.has("null_content"))
    out.messages = out.messages.map((m) => {
      const copy = { ...m };
      if (quirks.has("reasoning_content")) delete copy.reasoning_content;
      if (quirks.has("null_content") && copy.role === "assistant" && copy.content === null) copy.content = "";
      return copy;
    });
  return out;
}
