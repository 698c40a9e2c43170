// Stage 3 [FIX 15] with Layer 1 [FIX 23]: `<explore_agent>` blocks, closed, followed by
// `messages: [...]`, or bare. The URL is searched in the block (also inside JSON strings), then in
// the rest of the text, then in the session's user URLs, newest first. Pure.
import { exploreCall } from "../calls.js";
import type { ParsedCall, Span, StageResult } from "../types.js";
import { findUrls, findUrlsDeep } from "../urls.js";

const CLOSED = /<explore_agent(\s[^>]*)?>([\s\S]*?)<\/explore_agent>/g;
const OPEN = /<explore_agent(\s[^>]*?)?\s*(\/?)>/g;

/** The end of a `messages: [...]` list that follows an unclosed tag, or -1. */
function messagesListEnd(text: string, from: number): number {
  const m = /^\s*messages\s*:\s*\[/.exec(text.slice(from));
  if (!m) return -1;
  const open = from + m[0].length - 1;
  // Brackets counted outside JSON strings.
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return i + 1;
  }
  return text.length;
}

export function parseExploreAgent(text: string, userUrls: readonly string[]): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  const blocks: { span: Span; body: string }[] = [];
  CLOSED.lastIndex = 0;
  for (let m = CLOSED.exec(text); m; m = CLOSED.exec(text))
    blocks.push({ span: { start: m.index, end: m.index + m[0].length }, body: `${m[1] ?? ""} ${m[2]}` });
  OPEN.lastIndex = 0;
  for (let m = OPEN.exec(text); m; m = OPEN.exec(text)) {
    if (blocks.some((b) => m!.index >= b.span.start && m!.index < b.span.end)) continue;
    const after = m.index + m[0].length;
    const listEnd = m[2] ? -1 : messagesListEnd(text, after);
    const end = listEnd > 0 ? listEnd : after;
    blocks.push({ span: { start: m.index, end }, body: `${m[1] ?? ""} ${text.slice(after, end).replace(/^\s*messages\s*:/, "")}` });
  }
  if (!blocks.length) return { calls, spans };
  blocks.sort((a, b) => a.span.start - b.span.start);
  // URLs outside the blocks (the model often names the repository in its prose).
  let outside = text;
  for (const b of [...blocks].reverse()) outside = outside.slice(0, b.span.start) + outside.slice(b.span.end);
  const fallback = [...userUrls, ...findUrls(outside)];
  const seen = new Set<string>();
  for (const block of blocks) {
    spans.push(block.span);
    const ownUrl = findUrlsDeep(block.body.trim())[0];
    const call = exploreCall(ownUrl ?? "", "explore_agent", ownUrl ? [] : fallback);
    const cmd = String(call.args.cmd);
    if (seen.has(cmd)) continue;
    seen.add(cmd);
    calls.push(call);
  }
  return { calls, spans };
}
