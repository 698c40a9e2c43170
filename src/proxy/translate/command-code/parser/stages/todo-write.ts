// Stage 7 [FIX 18]: `<todo_write><todos>[…]</todos></todo_write>` → TodoWrite{todos:[{content,
// activeForm, status}]} (Codex's update_plan when it offers one). Pure.
import { normalizeTodos } from "../calls.js";
import { isRecord, parseLoose } from "../loose-json.js";
import { TODO, type ParsedCall, type Span, type StageResult } from "../types.js";

const BLOCK = /<todo_write\s*>\s*(?:<todos\s*>([\s\S]*?)<\/todos\s*>|([[{][\s\S]*?))\s*(?:<\/todo_write\s*>|$)/g;

export function parseTodoWrite(text: string): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  BLOCK.lastIndex = 0;
  for (let m = BLOCK.exec(text); m; m = BLOCK.exec(text)) {
    const raw = (m[1] ?? m[2] ?? "").trim();
    const parsed = parseLoose(raw);
    const todos = normalizeTodos(isRecord(parsed) ? parsed.todos : parsed ?? raw);
    if (!todos.length) continue;
    calls.push({ name: TODO, args: { todos }, stage: "todo_write" });
    spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return { calls, spans };
}
