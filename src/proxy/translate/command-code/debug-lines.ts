// The cc-debug.log lines the watchdog reads (C1 parsed_tool_calls=0, C3 [STUCK-RECOVERY], C4
// suspicious cmd, C6 empty cmd recovered). Pure.
//
// Every line has a fixed part written by the proxy, and at most one preview of what the model wrote,
// always last, after `text_preview=` or `cmd_preview=` and JSON-quoted: the watchdog cuts lines at
// those markers, so model text can never fake a signal. Only tame values (ids, counts, stage names)
// go into the fixed part.
import type { Recovery } from "./parser/chain.js";
import type { Stage } from "./parser/types.js";

const PREVIEW = 200;

/** A JSON-quoted, length-limited preview (JSON keeps it on one line). */
export function preview(text: string, max = PREVIEW): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Names the model chose, reduced to what may stand in the fixed part of a line. */
export function tame(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "?").slice(0, 64) || "?";
}

export interface LineContext {
  responseId: string;
  session: string;
}

function head(c: LineContext): string {
  return `resp=${tame(c.responseId)} session=${tame(c.session)}`;
}

export function sanitizerLine(c: LineContext, index: number, name: string, flag: "empty" | "suspicious", cmdPreview: string): string {
  const what = flag === "empty" ? "empty cmd recovered" : "suspicious cmd (still JSON)";
  return `${head(c)} [CC-SANITIZER] ${what} in tool call #${index} (${tame(name)}) cmd_preview=${preview(cmdPreview)}`;
}

export function stuckRecoveryLine(c: LineContext, stage: Stage, used: number, max: number, cmd: string): string {
  return `${head(c)} [STUCK-RECOVERY] synthesized a command by ${stage} (recovery ${used}/${max} in this session) cmd_preview=${preview(cmd)}`;
}

export function stuckLimitLine(c: LineContext, max: number, text: string): string {
  return `${head(c)} stuck recovery limit reached (${max} in this session): nothing synthesized, the user is told text_preview=${preview(text)}`;
}

/**
 * One line per answer. `parsed_tool_calls=N` counts the calls delivered after every recovery step
 * (the original logged it before the fallback and Layer 3, so recovered turns looked like failures);
 * a plain answer carries no parsed_tool_calls at all.
 */
export function summaryLine(c: LineContext, text: string, recovery: Recovery, recoveredBy: Stage[], stuckUsed: number, max: number): string {
  const base = `${head(c)} text_len=${text.length}`;
  if (recovery.outcome === "text") return `${base} answer=text_only text_preview=${preview(text)}`;
  const signals = `tool_signals=${recovery.toolSignals ? "yes" : recovery.announced ? "announced" : "no"}`;
  const stuck = `stuck_recoveries=${stuckUsed}/${max}`;
  if (recovery.outcome === "unrecoverable")
    return `${base} parsed_tool_calls=0 recovered_by=none outcome=surfaced_to_user reason=${recovery.stuckLimited ? "stuck_limit" : "unreadable_call"} ` +
      `${signals} ${stuck} text_preview=${preview(text)}`;
  return `${base} parsed_tool_calls=${recovery.calls.length} recovered_by=${recoveredBy.join(",")} stages_found=${recovery.parsedByStages} ` +
    `${signals} ${stuck} text_preview=${preview(text)}`;
}

export function streamEndLine(c: LineContext, what: string): string {
  return `${head(c)} ${what}`;
}
