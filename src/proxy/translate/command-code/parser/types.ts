// What the Command Code parser chain finds in a model's text. Pure data.

/** The stage that recovered a call (logged as recovered_by=…). */
export type Stage =
  | "native" | "dsml" | "bash" | "explore_agent" | "escalation" | "xml" | "raw_json" | "todo_write" | "fallback"
  | "layer3_url" | "layer3_path" | "layer3_command" | "layer3_explore" | "layer3_intent";

/** A tool call recovered from text. Shell-like names are already `exec_command` with `cmd`. */
export interface ParsedCall {
  name: string;
  args: Record<string, unknown>;
  stage: Stage;
}

/** A part of the text that was tool-call markup (removed from the message Codex shows). */
export interface Span {
  start: number;
  end: number;
}

export interface StageResult {
  calls: ParsedCall[];
  spans: Span[];
}

/** The canonical name every shell-like call becomes (Codex 0.169's shell tool). */
export const EXEC = "exec_command";
/** The canonical name of a todo list (mapped to Codex's update_plan when it offers one). */
export const TODO = "TodoWrite";
