// The Command Code parser chain (B.15): the stages in order, then the sanitizer, the FIX 13
// fallback and Intelligence Routing Layer 3, ending in one of three outcomes: tool calls, a plain
// answer, or a call that could not be recovered (surfaced to the user, never a silent empty turn). Pure.
import { fallbackCalls, hasToolSignals } from "./fallback.js";
import { announcesAction, synthesizeFromIntent } from "./intent.js";
import { sanitizeCall, type SanitizerFlag } from "./sanitizer.js";
import { parseBashBlocks } from "./stages/bash-block.js";
import { parseDsml } from "./stages/dsml.js";
import { parseEscalation } from "./stages/escalation.js";
import { parseExploreAgent } from "./stages/explore-agent.js";
import { parseRawJson } from "./stages/raw-json.js";
import { parseTodoWrite } from "./stages/todo-write.js";
import { parseXml } from "./stages/xml.js";
import type { ParsedCall, Span, Stage, StageResult } from "./types.js";

/** Blanks out spans (same length, so positions stay valid) so a later stage does not find them again. */
export function maskSpans(text: string, spans: readonly Span[]): string {
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + " ".repeat(Math.max(0, s.end - s.start)) + out.slice(s.end);
  return out;
}

/**
 * Stages 1–7 and Layer 2 (the original `_parse_commandcode_text_tool_calls`): DSML, `<bash>`,
 * `<explore_agent>`, XML, raw JSON, `<todo_write>`; escalation blocks count only when nothing else did.
 */
export function parseToolCalls(text: string, userUrls: readonly string[] = []): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  let masked = text;
  const take = (result: StageResult) => {
    calls.push(...result.calls);
    spans.push(...result.spans);
    masked = maskSpans(masked, result.spans);
  };
  take(parseDsml(masked, userUrls));
  take(parseBashBlocks(masked));
  take(parseExploreAgent(masked, userUrls));
  take(parseXml(masked));
  take(parseRawJson(masked, userUrls));
  take(parseTodoWrite(masked));
  const escalation = parseEscalation(masked);
  spans.push(...escalation.spans);
  if (calls.length === 0) calls.push(...escalation.calls);
  return { calls, spans };
}

export interface RecoveryInput {
  text: string;
  /** URLs the user gave in this session, oldest first. */
  userUrls: readonly string[];
  /** Layer 3 recoveries still allowed in this session (the original had no limit). */
  stuckRecoveriesLeft: number;
  /** Calls the provider sent as structured stream parts (not text). */
  native?: readonly ParsedCall[];
}

export interface SanitizerNote {
  /** 1-based position of the call. */
  index: number;
  flag: SanitizerFlag;
  preview: string;
}

export type RecoveryOutcome = "tools" | "text" | "unrecoverable";

export interface Recovery {
  calls: ParsedCall[];
  /** Markup to leave out of the message. */
  spans: Span[];
  /** Calls the stages found before the fallback and Layer 3. */
  parsedByStages: number;
  toolSignals: boolean;
  announced: boolean;
  /** The call Layer 3 synthesized (a [STUCK-RECOVERY]). */
  layer3: ParsedCall | null;
  /** Layer 3 had a command but the session's budget was spent. */
  stuckLimited: boolean;
  sanitizer: SanitizerNote[];
  outcome: RecoveryOutcome;
}

export function recoverToolCalls(input: RecoveryInput): Recovery {
  const { text, userUrls } = input;
  const parsed = parseToolCalls(text, userUrls);
  let calls: ParsedCall[] = [...(input.native ?? []), ...parsed.calls];
  const spans = [...parsed.spans];
  const toolSignals = hasToolSignals(text);
  if (calls.length === 0 && toolSignals) {
    const fallback = fallbackCalls(maskSpans(text, spans), userUrls);
    calls = fallback.calls;
    spans.push(...fallback.spans);
  }
  const announced = calls.length === 0 && announcesAction(text);
  let layer3: ParsedCall | null = null;
  let stuckLimited = false;
  if (calls.length === 0 && (toolSignals || announced) && text.trim().length > 10) {
    const synthesized = synthesizeFromIntent(maskSpans(text, spans), userUrls);
    if (synthesized && input.stuckRecoveriesLeft > 0) {
      layer3 = synthesized;
      calls = [synthesized];
    } else if (synthesized) stuckLimited = true;
  }
  const sanitizer: SanitizerNote[] = [];
  calls = calls.map((call, i) => {
    const s = sanitizeCall(call);
    if (s.flag) sanitizer.push({ index: i + 1, flag: s.flag, preview: s.preview });
    return s.call;
  });
  const outcome: RecoveryOutcome = calls.length ? "tools" : toolSignals || announced ? "unrecoverable" : "text";
  return { calls, spans, parsedByStages: parsed.calls.length, toolSignals, announced, layer3, stuckLimited, sanitizer, outcome };
}

/** The stages that produced the calls, without repeats (recovered_by=…). */
export function recoveredBy(recovery: Recovery): Stage[] {
  return [...new Set(recovery.calls.map((c) => c.stage))];
}

/** The text from `from` on, with the tool-call markup removed and blank runs collapsed. */
export function messageText(text: string, spans: readonly Span[], from = 0): string {
  let out = "";
  let at = from;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.end <= at) continue;
    if (s.start > at) out += text.slice(at, s.start);
    at = Math.max(at, s.end);
  }
  out += text.slice(at);
  return out.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n");
}

export const UNRECOVERABLE_NOTE = "[codex-launcher] The model tried to call a tool, but the proxy could not read the call, so nothing was run. " +
  "Ask it to try again (for example: \"run it with exec_command\"), or switch to another model.";
export const STUCK_LIMIT_NOTE = "[codex-launcher] The model keeps stopping without a tool call the proxy can read, and the automatic recoveries " +
  "for this session are used up, so nothing was run. Tell it exactly what to do next, or switch to another model.";

/** What Codex is told when no call could be recovered (null when the answer is plain text). */
export function surfacedNote(recovery: Recovery): string | null {
  if (recovery.outcome !== "unrecoverable") return null;
  return recovery.stuckLimited ? STUCK_LIMIT_NOTE : UNRECOVERABLE_NOTE;
}
