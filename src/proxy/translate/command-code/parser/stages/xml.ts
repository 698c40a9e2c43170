// Stage 5 [FIX 14]: XML-ish tool calls: `<tool_call name="…">` with `<parameter name="…">`,
// Qwen's `<function=NAME><parameter=P>…`, `<tool_call type="bash">{json}</tool_call>` and
// Hermes' `<tool_call>{"name":…,"arguments":…}</tool_call>`. For a shell call the command is taken
// from, in order: the JSON body, the parameters, a "cmd" regex, the first shell line, the whole body. Pure.
import { canonicalCall, CMD_KEYS, execArgs, isShellName } from "../calls.js";
import { closingBrace, isRecord, looseStringField, parseLoose } from "../loose-json.js";
import { EXEC, type ParsedCall, type Span, type StageResult } from "../types.js";
import { COMMAND_START } from "./bash-block.js";

const TOOL_CALL = /<(tool_call|toolcall|function_call|tool_use)(\s[^>]*)?>([\s\S]*?)(?:<\/\1\s*>|$)/g;
const FUNCTION = /<function=([^>\s]+)\s*>([\s\S]*?)(?:<\/function\s*>|$)/g;
const PARAM = /<parameter(?:\s+name\s*=\s*"([^"]+)"|=([^>\s]+))[^>]*>([\s\S]*?)(?:<\/parameter\s*>|(?=<parameter[\s=])|(?=<\/function)|$)/g;

function attr(attrs: string, name: string): string | null {
  const m = new RegExp(`${name}\\s*=\\s*["']([^"']*)["']`).exec(attrs);
  return m ? m[1].trim() : null;
}

function xmlParameters(body: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  PARAM.lastIndex = 0;
  for (let m = PARAM.exec(body); m; m = PARAM.exec(body)) {
    if (m[0].length === 0) {
      PARAM.lastIndex++;
      continue;
    }
    params[(m[1] ?? m[2]).trim()] = m[3].replace(/^\r?\n/, "").replace(/\r?\n\s*$/, "").trim();
  }
  return params;
}

function jsonBody(body: string): Record<string, unknown> | null {
  const open = body.indexOf("{");
  // The object must be the body itself (maybe in a code fence), not braces inside prose or a parameter.
  if (open < 0 || body.slice(0, open).replace(/```(?:json)?/g, "").trim() !== "") return null;
  const close = closingBrace(body, open);
  const parsed = parseLoose(body.slice(open, close < 0 ? body.length : close + 1));
  return isRecord(parsed) ? parsed : null;
}

function stripTags(body: string): string {
  return body.replace(/<[^>]+>/g, " ").replace(/```\w*/g, "").trim();
}

/** One call from a tag's attributes and body, or null when nothing in it names a tool or a command. */
export function callFromXml(nameAttr: string | null, typeAttr: string | null, body: string): ParsedCall | null {
  let name = nameAttr;
  let inner = body;
  const fn = /<function=([^>\s]+)\s*>([\s\S]*?)(?:<\/function\s*>|$)/.exec(body);
  if (fn) {
    name ??= fn[1];
    inner = fn[2];
  }
  const json = jsonBody(inner);
  const params = xmlParameters(inner);
  const fnName = json && isRecord(json.function) && typeof json.function.name === "string" ? json.function.name : null;
  const jsonName = json && typeof json.name === "string" ? json.name : fnName;
  name ??= jsonName;
  if (json && jsonName && !nameAttr) {
    const fnArgs = isRecord(json.function) ? json.function.arguments : undefined;
    return canonicalCall(jsonName, json.arguments ?? json.args ?? json.parameters ?? json.input ?? fnArgs ?? {}, "xml");
  }
  const shellType = typeAttr !== null && isShellName(typeAttr);
  const hasCmd = (o: Record<string, unknown> | null) => !!o && CMD_KEYS.some((k) => o[k] !== undefined);
  if (!name && (shellType || hasCmd(json) || hasCmd(params))) name = EXEC;
  if (!name) return null;
  if (!isShellName(name) && !shellType) return canonicalCall(name, json ?? params, "xml");
  // A shell call: resolve the command in the documented order.
  let args: Record<string, unknown> | null = null;
  if (hasCmd(json)) args = execArgs(json!);
  else if (hasCmd(params)) args = execArgs({ ...params, ...(json ?? {}) });
  else {
    const regex = looseStringField(inner, ["cmd", "command"]);
    const line = stripTags(inner).split(/\r?\n/).map((l) => l.trim()).find((l) => COMMAND_START.test(l));
    const whole = stripTags(inner);
    const cmd = regex ?? line ?? whole;
    if (!cmd) return null;
    args = execArgs({ ...(json ?? {}), ...params, cmd });
  }
  return { name: EXEC, args, stage: "xml" };
}

export function parseXml(text: string): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  TOOL_CALL.lastIndex = 0;
  for (let m = TOOL_CALL.exec(text); m; m = TOOL_CALL.exec(text)) {
    const attrs = m[2] ?? "";
    const call = callFromXml(attr(attrs, "name"), attr(attrs, "type"), m[3]);
    if (!call) continue;
    calls.push(call);
    spans.push({ start: m.index, end: m.index + m[0].length });
  }
  // Standalone <function=…> blocks outside any <tool_call>.
  FUNCTION.lastIndex = 0;
  for (let m = FUNCTION.exec(text); m; m = FUNCTION.exec(text)) {
    if (spans.some((s) => m!.index >= s.start && m!.index < s.end)) continue;
    const call = callFromXml(m[1], null, m[2]);
    if (!call) continue;
    calls.push(call);
    spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return { calls, spans };
}
