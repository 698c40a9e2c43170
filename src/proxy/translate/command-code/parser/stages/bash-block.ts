// Stage 2 [FIX 16]: `<bash>` blocks. Metadata lines (sandbox_permissions:, justification:,
// prefix_rule: [...], workdir:) become arguments; the rest is the command, or, when the block mixes
// prose and commands, the first line that starts with a known program. A block without a command is
// left in the text (fault C8; the later layers may still recover it). Pure.
import { argumentsObject, execArgs } from "../calls.js";
import { EXEC, type ParsedCall, type Span, type StageResult } from "../types.js";

const BLOCK = /<bash(?:\s[^>]*)?>([\s\S]*?)(?:<\/bash>|$)/g;
const META = /^\s*(sandbox_permissions|justification|prefix_rule|workdir|cwd)\s*[:=]\s*(.*)$/i;
const CMD_LINE = /^\s*(?:cmd|command)\s*[:=]\s*(.+)$/i;
/** Programs a command line starts with (the original's list plus a few common ones). */
export const COMMAND_START = new RegExp("^(?:" + [
  "curl", "wget", "python3?", "node", "npx", "npm", "pnpm", "yarn", "bun", "deno", "cat", "ls", "find", "grep", "rg", "sed", "awk", "git", "mkdir",
  "touch", "printf", "echo", "cd", "head", "tail", "pwd", "cp", "mv", "rm", "chmod", "make", "cmake", "cargo", "rustc", "go", "docker", "pip3?", "uv",
  "tar", "unzip", "jq", "bash", "sh", "sort", "wc", "diff", "tree", "test", "du", "df", "ps", "uname", "whoami", "date", "env", "which", "file",
  "stat", "xargs", "cut", "tr", "uniq", "tee", "gcc", "javac", "java", "mvn", "gradle", "dotnet", "ruby", "perl", "php", "tsc", "pytest",
  "kubectl", "helm", "terraform", "export", "source", "\\[",
].join("|") + ")(?=[\\s/]|$)|^(?:\\.{1,2}\\/|\\/|~\\/)");

export function commandFromBashBody(body: string): Record<string, unknown> | null {
  const trimmed = body.trim();
  if (trimmed.startsWith("{")) {
    const json = argumentsObject(trimmed);
    if (json) return execArgs(json);
  }
  const meta: Record<string, unknown> = {};
  const script: string[] = [];
  let explicit: string | null = null;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.replace(/^\s*\$\s+/, "");
    if (/^\s*```/.test(line) || !line.trim()) continue;
    const m = META.exec(line);
    if (m) {
      meta[m[1].toLowerCase() === "cwd" ? "workdir" : m[1].toLowerCase()] = m[2].trim();
      continue;
    }
    const c = CMD_LINE.exec(line);
    if (c && explicit === null) {
      explicit = c[1].trim();
      continue;
    }
    script.push(line);
  }
  let cmd = explicit;
  if (cmd === null && script.length) {
    if (COMMAND_START.test(script[0].trim())) cmd = script.join("\n").trim();
    else cmd = script.find((l) => COMMAND_START.test(l.trim()))?.trim() ?? null;
  }
  if (!cmd) return null;
  return execArgs({ ...meta, cmd });
}

export function parseBashBlocks(text: string): StageResult {
  const calls: ParsedCall[] = [];
  const spans: Span[] = [];
  BLOCK.lastIndex = 0;
  for (let m = BLOCK.exec(text); m; m = BLOCK.exec(text)) {
    if (m[0].length === 0) {
      BLOCK.lastIndex++;
      continue;
    }
    const args = commandFromBashBody(m[1]);
    if (!args) continue;
    calls.push({ name: EXEC, args, stage: "bash" });
    spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return { calls, spans };
}
