// Turning a (name, arguments) pair found anywhere in the text into a canonical call: every shell-like
// name becomes exec_command{cmd, …} [FIX 19/20], explore names become an explore command, arguments
// given as a string are decoded tolerantly [FIX 5/6/7]. Pure.
import { isRecord, looseStringField, parseLoose } from "./loose-json.js";
import { EXEC, TODO, type ParsedCall, type Stage } from "./types.js";
import { buildExploreCmd, findUrlsDeep } from "./urls.js";
import { echoCommand } from "./shell.js";

const SHELL_NAMES = new Set([
  "exec", "exec_command", "bash", "shell", "sh", "terminal", "run_command", "execute_request", "execute_command", "run_shell",
  "run_shell_command", "run", "shell_command", "local_shell", "command", "cmd", "container.exec", "run_terminal_cmd",
]);
const EXPLORE_NAMES = new Set(["explore", "explore_agent", "exploreagent"]);
const TODO_NAMES = new Set(["todowrite", "todo_write", "todo"]);

export function isShellName(name: string): boolean {
  return SHELL_NAMES.has(name.trim().toLowerCase());
}

export function isExploreName(name: string): boolean {
  return EXPLORE_NAMES.has(name.trim().toLowerCase());
}

/** Decodes arguments given as a string: as-is, then `\"`→`"`, then escapes decoded; else null. */
export function argumentsObject(raw: unknown): Record<string, unknown> | null {
  if (isRecord(raw)) return raw;
  if (typeof raw !== "string") return null;
  const parsed = parseLoose(raw);
  if (isRecord(parsed)) return parsed;
  if (typeof parsed === "string") return argumentsObject(parsed); // a JSON string holding JSON
  return null;
}

/** The original's three sandbox values, from whatever spelling the model used. */
export function normalizeSandbox(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const v = String(value).trim().toLowerCase().replace(/[\s-]+/g, "_");
  if (v === "true" || /escalat|unsandbox|elevat|full_access|danger/.test(v)) return "require_escalated";
  if (/approv|ask|user/.test(v)) return "with_user_approval";
  return "use_default";
}

/** prefix_rule as a list of strings (the model may write it as JSON text or a shell-like line). */
export function normalizePrefixRule(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    const words = value.filter((v): v is string => typeof v === "string" && v !== "");
    return words.length ? words : undefined;
  }
  if (typeof value !== "string" || !value.trim()) return undefined;
  const parsed = parseLoose(value.trim());
  if (Array.isArray(parsed)) return normalizePrefixRule(parsed);
  return value.trim().replace(/^\[|\]$/g, "").split(/[\s,]+/).map((w) => w.replace(/^["']|["']$/g, "")).filter(Boolean);
}

/** The first present key among `keys`. */
function pick(args: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (args[k] !== undefined && args[k] !== null) return args[k];
  return undefined;
}

export const CMD_KEYS = ["cmd", "command", "c", "script", "commands", "code", "bash", "shell"] as const;

/** exec_command arguments from a shell-like call's arguments (cmd left raw; the sanitizer cleans it). */
export function execArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: pick(args, CMD_KEYS) ?? "" };
  const sandbox = normalizeSandbox(pick(args, ["sandbox_permissions", "sandbox", "permissions"]));
  if (sandbox) out.sandbox_permissions = sandbox;
  const justification = pick(args, ["justification", "reason"]);
  if (typeof justification === "string" && justification.trim()) out.justification = justification.trim();
  const prefix = normalizePrefixRule(args.prefix_rule);
  if (prefix) out.prefix_rule = prefix;
  const workdir = pick(args, ["workdir", "cwd", "directory", "dir"]);
  if (typeof workdir === "string" && workdir.trim()) out.workdir = workdir.trim();
  for (const k of ["yield_time_ms", "max_output_tokens", "tty", "login", "shell"] as const)
    if (args[k] !== undefined && !(k === "shell" && typeof args[k] !== "string")) out[k] = args[k];
  return out;
}

/** The explore command for an explore call's arguments (URL in any field, even nested JSON). */
export function exploreCall(args: Record<string, unknown> | string, stage: Stage, fallbackUrls: readonly string[] = []): ParsedCall {
  const text = typeof args === "string" ? args : JSON.stringify(args);
  const url = findUrlsDeep(text)[0] ?? fallbackUrls[fallbackUrls.length - 1];
  const cmd = url ? buildExploreCmd(url) : echoCommand("explore_agent: unable to extract repository URL");
  return { name: EXEC, args: { cmd }, stage };
}

/**
 * A call with its canonical name and arguments. `rawArgs` may be an object or a string; `body` is the
 * text the call came from (for explore URLs).
 */
export function canonicalCall(name: string, rawArgs: unknown, stage: Stage, fallbackUrls: readonly string[] = []): ParsedCall {
  const cleanName = name.trim();
  const lower = cleanName.toLowerCase();
  const args = argumentsObject(rawArgs);
  if (isExploreName(lower)) return exploreCall(args ?? (typeof rawArgs === "string" ? rawArgs : {}), stage, fallbackUrls);
  if (isShellName(lower)) {
    // Arguments that are not an object are the command itself ("arguments": "ls -la"), unless they are
    // an object that does not parse (unescaped quotes inside): then its "cmd" is read by pattern.
    const raw = typeof rawArgs === "string" ? rawArgs : "";
    const loose = !args && raw.trim().startsWith("{") ? looseStringField(raw, ["cmd", "command"]) : null;
    const execInput = args ?? { cmd: loose ?? raw };
    return { name: EXEC, args: execArgs(execInput), stage };
  }
  if (TODO_NAMES.has(lower)) return { name: TODO, args: { todos: normalizeTodos(args?.todos ?? rawArgs) }, stage };
  return { name: cleanName, args: args ?? (typeof rawArgs === "string" && rawArgs ? { input: rawArgs } : {}), stage };
}

export interface Todo {
  content: string;
  activeForm: string;
  status: "pending" | "in_progress" | "completed";
}

export function normalizeTodos(value: unknown): Todo[] {
  const list = typeof value === "string" ? parseLoose(value) : value;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item): Todo[] => {
    if (typeof item === "string") return item.trim() ? [{ content: item.trim(), activeForm: item.trim(), status: "pending" }] : [];
    if (!isRecord(item)) return [];
    const content = String(item.content ?? item.task ?? item.title ?? item.step ?? "").trim();
    if (!content) return [];
    const raw = String(item.status ?? "pending").toLowerCase().replace(/[\s-]+/g, "_");
    const status = raw.startsWith("complete") || raw === "done" ? "completed" : raw.startsWith("in_prog") || raw === "active" ? "in_progress" : "pending";
    return [{ content, activeForm: String(item.activeForm ?? item.active_form ?? content), status }];
  });
}
