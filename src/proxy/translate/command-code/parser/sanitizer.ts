// Stage 8, the sanitizer [FIX 11], for exec_command calls only: unwraps a command that is itself
// JSON (`{"cmd": "{\"cmd\": \"ls\"}"}`, up to 3 levels), decodes a double-encoded one, and turns what
// is still unusable into a harmless shell comment that says why, so the turn goes on and the
// watchdog sees the flag. Pure.
import { isRecord, parseLoose, unescapeOnce } from "./loose-json.js";
import { oneLine, shellQuote } from "./shell.js";
import { EXEC, type ParsedCall } from "./types.js";

const MAX_UNWRAP = 3;
const CMD_FIELDS = ["cmd", "command", "c"] as const;

function fieldOf(record: Record<string, unknown>): unknown {
  for (const k of CMD_FIELDS) if (record[k] !== undefined) return record[k];
  return undefined;
}

/** A command given as a list: `["bash", "-lc", "ls"]` is `ls`; other lists are shell-quoted words. */
function fromList(list: unknown[]): string {
  const words = list.map((w) => (typeof w === "string" ? w : JSON.stringify(w)));
  if (words.length >= 3 && /^(?:\/\w+\/)*(?:ba|z|da)?sh$/.test(words[0]) && /^-\w*c$/.test(words[1])) return words.slice(2).join(" ");
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : shellQuote(w))).join(" ");
}

/**
 * The command string inside whatever the model put in `cmd`: plain text stays; `{"cmd": …}` (as an
 * object or as JSON text) is unwrapped up to three levels; lists are joined; null is empty.
 */
export function unwrapCmd(value: unknown, depth = 0): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return fromList(value);
  if (isRecord(value)) {
    const inner = fieldOf(value);
    return inner === undefined || depth >= MAX_UNWRAP ? JSON.stringify(value) : unwrapCmd(inner, depth + 1);
  }
  if (typeof value !== "string") return String(value);
  const trimmed = value.trim();
  if (depth < MAX_UNWRAP && (trimmed.startsWith("{") || trimmed.startsWith('\\"') || trimmed.startsWith("["))) {
    const parsed = parseLoose(trimmed);
    if (isRecord(parsed) && fieldOf(parsed) !== undefined) return unwrapCmd(fieldOf(parsed), depth + 1);
    if (Array.isArray(parsed) && parsed.every((w) => typeof w === "string") && parsed.length) return fromList(parsed);
  }
  return value;
}

/**
 * A command that was JSON-encoded twice arrives with `\"` where quotes belong and no plain quote at
 * all (`echo \"hi\"`): decode it once. Commands with real quotes keep their backslashes.
 */
function decodeDoubleEncoded(cmd: string): string {
  const hasEscapedQuote = cmd.includes('\\"');
  const hasPlainQuote = /(^|[^\\])"/.test(cmd);
  return hasEscapedQuote && !hasPlainQuote ? unescapeOnce(cmd) : cmd;
}

export type SanitizerFlag = "empty" | "suspicious";

export interface SanitizedCall {
  call: ParsedCall;
  flag: SanitizerFlag | null;
  /** What the model sent, one line, for the log and the comment. */
  preview: string;
}

export const EMPTY_CMD_PREFIX = "# [CC-SANITIZER] empty cmd recovered from: ";
export const SUSPICIOUS_CMD_PREFIX = "# [CC-SANITIZER] suspicious cmd (still JSON): ";

function looksLikeJson(cmd: string): boolean {
  const t = cmd.trim();
  if (!/^[{[]/.test(t)) return false;
  // Raw newlines inside strings make JSON.parse fail, yet it is still JSON the model meant.
  const parsed = parseLoose(t) ?? parseLoose(t.replace(/\r?\n/g, "\\n"));
  return isRecord(parsed) || Array.isArray(parsed);
}

export function sanitizeCall(call: ParsedCall): SanitizedCall {
  if (call.name !== EXEC) return { call, flag: null, preview: "" };
  const raw = call.args.cmd;
  const preview = oneLine(JSON.stringify(raw ?? null) ?? "null", 120);
  let cmd = decodeDoubleEncoded(unwrapCmd(raw)).trim();
  let flag: SanitizerFlag | null = null;
  if (cmd === "" || cmd === "{}" || cmd === "null" || cmd === "[]" || cmd === '""') {
    // A comment: runs nothing, and the newline-free preview cannot start a second command.
    cmd = EMPTY_CMD_PREFIX + preview;
    flag = "empty";
  } else if (cmd.length < 500 && looksLikeJson(cmd)) {
    cmd = SUSPICIOUS_CMD_PREFIX + oneLine(cmd, 120);
    flag = "suspicious";
  }
  return { call: { ...call, args: { ...call.args, cmd } }, flag, preview };
}
