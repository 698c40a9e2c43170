// Layer 3 [FIX 25]: when no stage found a call but the model clearly meant to act, read its intent
// and write the command for it. Five heuristics in the original's priority order, with its defects
// fixed: paths keep their case, the newest URL wins, nothing destructive is ever synthesized, and all
// text reaches the shell quoted. Only used when the text shows tool-call marks or ends by announcing
// an action, so an ordinary answer that mentions a URL or a path is never turned into a command. Pure.
import { echoCommand, isSafeToSynthesize, shellQuote } from "./shell.js";
import { EXEC, type ParsedCall, type Stage } from "./types.js";
import { buildExploreCmd, fetchCommand, findUrls, repoFromUrl } from "./urls.js";

const ACTION_VERBS = "read|open|view|check|examine|look|inspect|fetch|download|get|grab|pull|run|execute|list|search|find|explore|investigate|" +
  "clone|install|create|write|edit|update|modify|grep|cat|curl|test|build|compile|start|see|verify|try|analy[sz]e|review|query|call|use|" +
  "navigate|access|scan|print|show|diff|compare|debug|fix|apply|make|add|clean|remove|delete|rename|move|copy|change|set|configure|prepare";
const ANNOUNCEMENT = new RegExp(`\\b(?:I'll|I will|I need to|I should|I'm going to|I am going to|let me|let's|now I(?:'ll| will)?|next,? I(?:'ll| will)?)\\s+` +
  `(?:\\w+\\s+){0,2}?(?:${ACTION_VERBS})\\b`, "i");

/**
 * True when the text ends by saying what the model is about to do ("Let me read the config file:"),
 * i.e. it stopped where a tool call belonged. "Let me know if …" is a closing remark, not an action.
 */
export function announcesAction(text: string): boolean {
  const trimmed = text.trim();
  const lastParagraph = (trimmed.split(/\n\s*\n/).pop() ?? "").slice(-400).replace(/\blet me know\b[^.!?\n]*[.!?]?/gi, " ");
  return ANNOUNCEMENT.test(lastParagraph) || (/:\s*$/.test(trimmed) && ANNOUNCEMENT.test(trimmed.slice(-400)));
}

const PATH_RE = new RegExp("\\b(?:read|open|view|check|examine|cat|show|inspect|look at|print)\\s+(?:the\\s+)?" +
  "(?:contents\\s+of\\s+(?:the\\s+)?)?(?:file\\s+|directory\\s+|folder\\s+)?[`'\"]?((?:~|\\.{1,2})?\\/[^\\s`'\"<>|;&$()]*[\\w/])", "i");
const QUOTED_RE = /`([^`\n]{2,200})`|"([^"\n]{2,200})"/g;
const EXPLORE_RE = /\b(?:explore|fetch|investigate|repository|repo|codebase)\b/i;
const INTENT_RE = /\b(?:I'll|I will|I need to|I should|let me|please)\s+[^\n]{10,200}?(?=[.!?](?:\s|$)|\n|$)/i;

/** A path as one shell word; `~/x` keeps its home expansion. */
function quotePath(path: string): string {
  return path.startsWith("~/") ? `"$HOME"/${shellQuote(path.slice(2))}` : shellQuote(path);
}

function call(cmd: string, stage: Stage): ParsedCall {
  return { name: EXEC, args: { cmd }, stage };
}

export const STUCK_PREFIX = "Stuck recovery: model intent was: ";

/**
 * The command Layer 3 writes for this text, or null. `userUrls` are the session's user URLs, oldest
 * first (the newest is used).
 */
export function synthesizeFromIntent(text: string, userUrls: readonly string[]): ParsedCall | null {
  // 1. A URL in the model's text: the newest one it mentions.
  const urls = findUrls(text);
  if (urls.length) {
    const url = urls[urls.length - 1];
    return call(repoFromUrl(url) ? buildExploreCmd(url) : fetchCommand(url), "layer3_url");
  }
  // 2. A file it wants to read, with the path exactly as written (the original lower-cased it).
  const path = PATH_RE.exec(text)?.[1]?.replace(/[.,:;]+$/, "");
  if (path) {
    const p = quotePath(path);
    // head fails on a directory, so ls runs then (the original's `cat | head || ls` never reached ls).
    return call(`head -n 200 -- ${p} 2>/dev/null || ls -la -- ${p}`, "layer3_path");
  }
  // 3. A command it quoted, if it is read-only (never rm or anything else destructive).
  for (const m of text.matchAll(QUOTED_RE)) {
    const candidate = (m[1] ?? m[2]).trim().replace(/^\$\s+/, "");
    const words = candidate.split(/\s+/);
    if ((words.length >= 2 || ["ls", "pwd"].includes(words[0])) && isSafeToSynthesize(candidate)) return call(candidate, "layer3_command");
  }
  // 4. It wants to explore: the newest URL the user gave in this session (the original took the oldest).
  if (EXPLORE_RE.test(text) && userUrls.length) return call(buildExploreCmd(userUrls[userUrls.length - 1]), "layer3_explore");
  // 5. Any stated intent: echo it back so the loop goes on, quoted so no `'` can break out.
  const intent = INTENT_RE.exec(text);
  if (intent) return call(echoCommand(STUCK_PREFIX + intent[0].trim()), "layer3_intent");
  return null;
}
