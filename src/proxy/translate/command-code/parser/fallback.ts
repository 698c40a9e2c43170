// The FIX 13 fallback: when the stages found nothing but the text plainly tried to call a tool, look
// again more loosely: objects with a name and arguments but no "type", then any object with a
// "cmd"/"command" string. A module-level function (the original nested it and called it from
// outside, which raised NameError). Pure.
import { canonicalCall, execArgs } from "./calls.js";
import { closingBrace, isRecord, looseStringField, openingBrace, parseLoose } from "./loose-json.js";
import { callFromObjectText } from "./stages/raw-json.js";
import { EXEC, type ParsedCall, type Span, type StageResult } from "./types.js";

/** Marks of an attempted tool call, each with the name logged for it. */
const SIGNALS: [string, RegExp][] = [
  // A call's type field, or "tool_call:" / "function_call(" introducing one; not the words in prose.
  ["tool_call", /\\*"type\\*"\s*:\s*\\*"(?:tool[-_]call|function_call|tool[-_]use)|\b(?:tool[-_]call|function[-_]call|tool[-_]use)s?\s*[:({]/i],
  ["cmd_field", /\\*"(?:cmd|command)\\*"\s*:/],
  ["arguments_field", /\\*"arguments\\*"\s*:/],
  ["markup", new RegExp("<\\s*\\/?\\s*(?:[｜|]{1,2}\\s*DSML|invoke\\b|parameter\\b|function=|bash\\b|explore_agent|todo_write|" +
    "require_escalation|request_escalation_permission|tool_use|tool_call)", "i")],
  ["bare_brace", /(?:^|\n)\s*\{\s*$/],
];

/** Which kinds of tool-call marks the text shows (empty for a plain answer). */
export function toolCallSignals(text: string): string[] {
  return SIGNALS.filter(([, re]) => re.test(text)).map(([name]) => name);
}

export function hasToolSignals(text: string): boolean {
  return toolCallSignals(text).length > 0;
}

const NAME_KEY = /\\*"(?:name|tool_name|toolName)\\*"\s*:/g;
const ARGS_KEY = /\\*"(?:arguments|args|parameters|input)\\*"\s*:/;
const CMD_KEY = /\\*"(?:cmd|command)\\*"\s*:/g;

function objectAround(text: string, at: number): Span | null {
  const open = openingBrace(text, at);
  if (open < 0) return null;
  const close = closingBrace(text, open);
  return { start: open, end: close < 0 ? text.length : close + 1 };
}

export function fallbackCalls(text: string, userUrls: readonly string[] = []): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  if (!hasToolSignals(text)) return { calls, spans };
  const taken = (at: number) => spans.some((s) => at >= s.start && at < s.end);
  NAME_KEY.lastIndex = 0;
  for (let m = NAME_KEY.exec(text); m; m = NAME_KEY.exec(text)) {
    if (taken(m.index)) continue;
    const span = objectAround(text, m.index);
    if (!span) continue;
    const objectText = text.slice(span.start, span.end);
    if (!ARGS_KEY.test(objectText)) continue; // {"name": "Ada"} in prose is not a call
    const call = callFromObjectText(objectText, "fallback", userUrls);
    if (!call) continue;
    calls.push(call);
    spans.push(span);
  }
  CMD_KEY.lastIndex = 0;
  for (let m = CMD_KEY.exec(text); m; m = CMD_KEY.exec(text)) {
    if (taken(m.index)) continue;
    const span = objectAround(text, m.index);
    if (!span) continue;
    const objectText = text.slice(span.start, span.end);
    const parsed = parseLoose(objectText);
    if (isRecord(parsed)) calls.push({ name: EXEC, args: execArgs(parsed), stage: "fallback" });
    else {
      const cmd = looseStringField(objectText, ["cmd", "command"]);
      if (!cmd) continue;
      calls.push(canonicalCall(EXEC, { cmd }, "fallback"));
    }
    spans.push(span);
  }
  return { calls, spans };
}
