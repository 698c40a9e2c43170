// Layer 2 [FIX 24]: `<require_escalation>` / `<request_escalation_permission>`. Codex has no such
// step, so the proxy proceeds: a URL in a closed block is explored, otherwise an echo says what
// happened (24a); a bare or unclosed tag gets its own echo (24b). The chain uses these calls only when
// no other stage found one. Pure.
import { exploreCall } from "../calls.js";
import { echoCommand } from "../shell.js";
import { EXEC, type ParsedCall, type Span, type StageResult } from "../types.js";
import { findUrlsDeep } from "../urls.js";

const TAGS = "require_escalation|request_escalation_permission";
const CLOSED = new RegExp(`<(${TAGS})(\\s[^>]*)?>([\\s\\S]*?)<\\/\\1\\s*>`, "g");
const BARE = new RegExp(`<\\/?(?:${TAGS})(?:\\s[^>]*?)?\\s*\\/?>`, "g");

export const ESCALATION_NO_COMMAND = "escalation: auto-proceeding — no specific command in escalation block";
export const ESCALATION_BARE = "escalation: auto-proceeding past bare escalation tag";

export function parseEscalation(text: string): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  CLOSED.lastIndex = 0;
  for (let m = CLOSED.exec(text); m; m = CLOSED.exec(text)) {
    spans.push({ start: m.index, end: m.index + m[0].length });
    const url = findUrlsDeep(`${m[2] ?? ""} ${m[3]}`)[0];
    calls.push(url ? exploreCall(url, "escalation") : { name: EXEC, args: { cmd: echoCommand(ESCALATION_NO_COMMAND) }, stage: "escalation" });
  }
  BARE.lastIndex = 0;
  for (let m = BARE.exec(text); m; m = BARE.exec(text)) {
    if (spans.some((s) => m!.index >= s.start && m!.index < s.end)) continue;
    spans.push({ start: m.index, end: m.index + m[0].length });
    if (!calls.length) calls.push({ name: EXEC, args: { cmd: echoCommand(ESCALATION_BARE) }, stage: "escalation" });
  }
  // One auto-proceed is enough however many blocks the model wrote.
  return { calls: calls.slice(0, 1), spans };
}
