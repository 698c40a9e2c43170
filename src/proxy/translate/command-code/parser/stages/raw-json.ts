// Stage 6 [FIX 5/6/7]: raw inline JSON tool calls, `{"type":"tool-call"|"tool_call"|"function_call",
// "name":…, "arguments":…}`: the format the proxy itself writes into the history (FIX 1), so models
// imitate it. Tolerates escaped quotes around everything (`{\"type\":…}`), arguments as an object or
// a (double-encoded) string, and objects that do not parse at all (fields read by regex). Pure.
import { canonicalCall } from "../calls.js";
import { closingBrace, isRecord, looseStringField, openingBrace, parseLoose } from "../loose-json.js";
import type { ParsedCall, Span, StageResult, Stage } from "../types.js";

const TYPE_MARK = /\\*"type\\*"\s*:\s*\\*"(?:tool-call|tool_call|function_call|tool-use|tool_use)\\*"/g;

/** The raw text of a field's value: a balanced object, or a (possibly escaped) string. */
function looseArguments(objectText: string): unknown {
  const key = /\\*"(?:arguments|args|input|parameters)\\*"\s*:\s*/.exec(objectText);
  if (!key) return undefined;
  const from = key.index + key[0].length;
  if (objectText[from] === "{") {
    const end = closingBrace(objectText, from);
    return objectText.slice(from, end < 0 ? objectText.length : end + 1);
  }
  return looseStringField(objectText.slice(key.index), ["arguments", "args", "input", "parameters"]) ?? undefined;
}

/** A call from one object's text (parsed when possible, else read field by field). */
export function callFromObjectText(objectText: string, stage: Stage, userUrls: readonly string[]): ParsedCall | null {
  const parsed = parseLoose(objectText);
  if (isRecord(parsed)) {
    const fn = isRecord(parsed.function) ? parsed.function : null;
    const name = parsed.name ?? parsed.toolName ?? parsed.tool_name ?? parsed.tool ?? fn?.name;
    if (typeof name !== "string" || !name.trim()) return null;
    const args = parsed.arguments ?? parsed.args ?? parsed.input ?? parsed.parameters ?? fn?.arguments ?? {};
    return canonicalCall(name, args, stage, userUrls);
  }
  const name = looseStringField(objectText, ["name", "toolName", "tool_name"]);
  if (!name) return null;
  return canonicalCall(name, looseArguments(objectText) ?? {}, stage, userUrls);
}

export function parseRawJson(text: string, userUrls: readonly string[]): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  TYPE_MARK.lastIndex = 0;
  for (let m = TYPE_MARK.exec(text); m; m = TYPE_MARK.exec(text)) {
    if (spans.some((s) => m!.index >= s.start && m!.index < s.end)) continue;
    const open = openingBrace(text, m.index);
    if (open < 0) continue;
    const close = closingBrace(text, open);
    const end = close < 0 ? text.length : close + 1;
    const call = callFromObjectText(text.slice(open, end), "raw_json", userUrls);
    if (!call) continue;
    calls.push(call);
    spans.push({ start: open, end });
    TYPE_MARK.lastIndex = end;
  }
  return { calls, spans };
}
