// Provider quirks learned from 400/422 answers (the original's ErrorAnalyzer): when a provider rejects
// an optional parameter by name as unsupported, the request is sent again without it, and the lesson is
// remembered for that endpoint and model once that retry was answered (translate/quirk-learning.ts). Pure.
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

/** Words that say a parameter is not taken at all: only then is leaving it out the fix. */
const UNSUPPORTED = /\b(unsupported|not supported|does ?n[o']t support|do not support|unknown|unrecogni[sz]ed|not recogni[sz]ed|not allowed|not permitted|extra inputs?|extra_forbidden|unexpected|no such|cannot find field|not a valid (parameter|field|argument)|is invalid for this model|invalid parameter)\b/i;
/** Words that say the opposite: the parameter is wanted (DeepSeek's "reasoning_content … must be passed back"). */
const WANTED = /\b(required|is missing|missing|must be (passed|provided|included|sent|set|present|given|returned)|must (include|contain|pass)|needs? to be (passed|provided|included|sent)|should be (passed|provided|included))\b/i;

/**
 * The clauses of an error message (a provider packs several statements into one: "X is not supported.
 * Y must be passed back."), so that each parameter is judged by what its own clause says.
 */
function clauses(message: string): string[] {
  return message.split(/(?<=[.;!?])\s+|\n+/).map((c) => c.trim()).filter(Boolean);
}

/**
 * Does `clause` name `param` as a parameter? Names with an underscore are distinctive anywhere; short
 * ordinary words ("user", "strict") only when quoted or called a parameter/field, so that "unknown role
 * user" blames nothing.
 */
function namesParameter(clause: string, param: string): boolean {
  const p = param.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (param.includes("_")) return new RegExp(`(^|[^a-z0-9_])${p}([^a-z0-9_]|$)`, "i").test(clause);
  return new RegExp(`['"\`]${p}['"\`]|\\b(parameter|field|argument|property|key|name)s?:?\\s+['"\`]?${p}\\b|\\b${p}['"\`]?\\s+(parameter|field|argument|property|key)\\b|\\.${p}\\b`, "i").test(clause);
}

/**
 * Which quirks of `body` an error message blames: a parameter is blamed only when a clause of the
 * message names it and says it is unsupported/unknown/not allowed, and nothing in that clause says it
 * is required or must be passed back (leaving out a field the provider wants makes every later request
 * fail: issue 11's poisoned model).
 */
export function blamedQuirks(message: string, body: ChatRequest): Quirk[] {
  const parts = clauses(message);
  const rejects = (param: string) => parts.some((c) => namesParameter(c, param) && UNSUPPORTED.test(c) && !WANTED.test(c));
  const out: Quirk[] = [];
  for (const quirk of presentQuirks(body)) {
    if (quirk === "null_content") {
      // A value the provider cannot read (content null where it wants a string), not a parameter: sending
      // "" instead changes nothing else.
      if (parts.some((c) => /content/i.test(c) && /(null|must be (a )?string|expected (a )?string|none is not)/i.test(c) && !/reasoning_content/i.test(c))) out.push(quirk);
    } else if (quirk === "max_tokens") {
      if (rejects("max_tokens") || parts.some((c) => /max_tokens/.test(c) && /max_completion_tokens/.test(c) && !WANTED.test(c.replace(/max_completion_tokens/g, "")))) out.push(quirk);
    } else if (rejects(quirk)) out.push(quirk);
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
