// Stage 1 [FIX 17/21]: DeepSeek's DSML tool calls, `<｜DSML｜invoke name="…">` with
// `<｜DSML｜parameter name="command|cmd">`, and the same grammar without the DSML token (Claude's
// `<function_calls><invoke>`). Reads prefix_rule, sandbox_permissions and justification; explore
// names become an explore command; a JSON "cmd" in the invoke body is the fallback. Pure.
import { canonicalCall, exploreCall, isExploreName, isShellName } from "../calls.js";
import { looseStringField, tryJson } from "../loose-json.js";
import type { ParsedCall, Span, StageResult } from "../types.js";

const BAR = "[｜|]{1,2}";
const DSML_TOKEN = `${BAR}\\s*DSML\\s*${BAR}\\s*`;
const D = `(?:${DSML_TOKEN})?`;
const WRAPPER = new RegExp(`<\\s*\\/?\\s*${D}(?:tool_calls|function_calls)\\s*>`, "g");
const INVOKE_OPEN = new RegExp(`<\\s*${D}invoke\\s+name\\s*=\\s*"([^"]*)"\\s*>`, "g");
const INVOKE_END = new RegExp(`<\\s*\\/\\s*${D}invoke\\s*>|<\\s*${D}invoke\\s|<\\s*\\/\\s*${D}(?:tool_calls|function_calls)\\s*>`);
const PARAM_OPEN = new RegExp(`<\\s*${D}parameter\\s+name\\s*=\\s*"([^"]*)"([^>]*)>`, "g");
const PARAM_END = new RegExp(`<\\s*\\/\\s*${D}parameter\\s*>|<\\s*${D}parameter\\s`);
const HAS_DSML = new RegExp(DSML_TOKEN);

function trimValue(value: string): string {
  return value.replace(/^\r?\n/, "").replace(/\r?\n\s*$/, "").trim();
}

/** The parameters of one invoke body; `string="false"` values are JSON. */
export function invokeParameters(body: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  PARAM_OPEN.lastIndex = 0;
  for (let m = PARAM_OPEN.exec(body); m; m = PARAM_OPEN.exec(body)) {
    const from = m.index + m[0].length;
    const end = PARAM_END.exec(body.slice(from));
    const raw = trimValue(body.slice(from, end ? from + end.index : body.length));
    const isJson = /string\s*=\s*"false"/.test(m[2]);
    const parsed = isJson ? tryJson(raw) : undefined;
    params[m[1].trim()] = parsed !== undefined ? parsed : raw;
    PARAM_OPEN.lastIndex = end ? from + end.index : body.length;
  }
  return params;
}

export function parseDsml(text: string, userUrls: readonly string[]): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  INVOKE_OPEN.lastIndex = 0;
  for (let m = INVOKE_OPEN.exec(text); m; m = INVOKE_OPEN.exec(text)) {
    const from = m.index + m[0].length;
    const endMatch = INVOKE_END.exec(text.slice(from));
    const bodyEnd = endMatch ? from + endMatch.index : text.length;
    const closes = endMatch && /^<\s*\/\s*(?:[｜|]{1,2}\s*DSML\s*[｜|]{1,2}\s*)?invoke/.test(endMatch[0]);
    const spanEnd = closes ? bodyEnd + endMatch![0].length : bodyEnd;
    const body = text.slice(from, bodyEnd);
    const stage = HAS_DSML.test(m[0]) ? "dsml" : "xml";
    const name = m[1].trim();
    const params = invokeParameters(body);
    if (isExploreName(name)) calls.push(exploreCall({ ...params, body }, stage, userUrls));
    else if (isShellName(name) || params.command !== undefined || params.cmd !== undefined) {
      const cmd = params.command ?? params.cmd ?? looseStringField(body, ["cmd", "command"]) ?? "";
      calls.push(canonicalCall(isShellName(name) ? name : "exec_command", { ...params, cmd }, stage));
    } else calls.push(canonicalCall(name, params, stage));
    spans.push({ start: m.index, end: spanEnd });
    INVOKE_OPEN.lastIndex = spanEnd;
  }
  if (calls.length) {
    WRAPPER.lastIndex = 0;
    for (let w = WRAPPER.exec(text); w; w = WRAPPER.exec(text)) spans.push({ start: w.index, end: w.index + w[0].length });
  }
  return { calls, spans };
}
