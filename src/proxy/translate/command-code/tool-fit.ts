// Recovered calls → the tools this Codex actually offers (the request's `tools`). Codex 0.169 runs
// shell commands through exec_command{cmd}; older ones through shell{command:[…]} or
// shell_command{command}; a todo list becomes update_plan when offered, else text in the answer.
// Arguments are fitted to the tool's schema (unknown fields dropped, enum values respected), because
// Codex rejects arguments its schema does not allow. Pure.
import type { Json, ToolSpec } from "../../responses/types.js";
import { toChatTools, type ToolOrigin } from "../tools.js";
import type { Todo } from "./parser/calls.js";
import { EXEC, TODO, type ParsedCall } from "./parser/types.js";

interface Schema {
  properties?: Record<string, { enum?: unknown[] } & Record<string, unknown>>;
}

export class ToolIndex {
  readonly origins: Map<string, ToolOrigin>;
  readonly #schemas = new Map<string, Schema>();

  constructor(tools: readonly ToolSpec[]) {
    const set = toChatTools(tools, { strict: false });
    this.origins = set.origins;
    for (const t of set.tools) this.#schemas.set(t.function.name, (t.function.parameters ?? {}) as Schema);
  }

  get empty(): boolean {
    return this.origins.size === 0;
  }

  /** The chat-visible name for a tool the model named (a namespaced tool may be named without its namespace). */
  chatName(name: string): string | null {
    if (this.origins.has(name)) return name;
    for (const [chat, origin] of this.origins) if (origin.name === name) return chat;
    return null;
  }

  schema(chatName: string): Schema | null {
    return this.#schemas.get(chatName) ?? null;
  }
}

export type FittedCall = { kind: "call"; name: string; arguments: string } | { kind: "text"; text: string };

/** Drops what the schema does not list and enum values it does not allow (when it lists properties). */
function fitToSchema(args: Record<string, unknown>, schema: Schema | null): Record<string, unknown> {
  const props = schema?.properties;
  if (!props || Object.keys(props).length === 0) return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    const prop = props[k];
    if (!prop) continue;
    if (Array.isArray(prop.enum) && !prop.enum.includes(v)) continue;
    out[k] = v;
  }
  return out;
}

function execArguments(args: Record<string, unknown>, schema: Schema | null): Record<string, unknown> {
  const out = { ...args };
  const allowed = schema?.properties?.sandbox_permissions?.enum;
  // The original's third value has no counterpart in Codex 0.169: asking the user is what escalation does.
  if (out.sandbox_permissions === "with_user_approval" && Array.isArray(allowed) && !allowed.includes("with_user_approval"))
    out.sandbox_permissions = "require_escalated";
  const fitted = fitToSchema(out, schema);
  // Codex reads justification and prefix_rule only with an escalation request.
  if (fitted.sandbox_permissions !== "require_escalated") {
    delete fitted.justification;
    delete fitted.prefix_rule;
  }
  if (fitted.sandbox_permissions === "use_default") delete fitted.sandbox_permissions;
  return fitted;
}

function planText(todos: readonly Todo[]): string {
  const mark = { completed: "[x]", in_progress: "[~]", pending: "[ ]" } as const;
  return ["Plan:", ...todos.map((t) => `- ${mark[t.status]} ${t.content}`)].join("\n");
}

export function fitCall(call: ParsedCall, index: ToolIndex): FittedCall {
  const json = (v: Record<string, unknown>) => JSON.stringify(v as Json);
  if (call.name === EXEC) {
    const cmd = String(call.args.cmd ?? "");
    const exec = index.chatName("exec_command");
    if (exec || index.empty) return { kind: "call", name: exec ?? "exec_command", arguments: json(execArguments(call.args, exec ? index.schema(exec) : null)) };
    const workdir = typeof call.args.workdir === "string" ? { workdir: call.args.workdir } : {};
    const shell = index.chatName("shell");
    if (shell) return { kind: "call", name: shell, arguments: json({ command: ["bash", "-lc", cmd], ...workdir }) };
    const shellCommand = index.chatName("shell_command");
    if (shellCommand) return { kind: "call", name: shellCommand, arguments: json({ command: cmd, ...workdir }) };
    return { kind: "call", name: "exec_command", arguments: json(execArguments(call.args, null)) };
  }
  if (call.name === TODO) {
    const todos = (call.args.todos ?? []) as Todo[];
    const plan = index.chatName("update_plan");
    if (plan) return { kind: "call", name: plan, arguments: json({ plan: todos.map((t) => ({ step: t.content, status: t.status })) }) };
    return { kind: "text", text: planText(todos) };
  }
  const name = index.chatName(call.name);
  // Freeform tools (apply_patch) take one text; the mapper finds it under "input" or as the only string.
  if (name) return { kind: "call", name, arguments: json(index.origins.get(name)?.kind === "custom" ? call.args : fitToSchema(call.args, index.schema(name))) };
  // A tool Codex does not offer: passed on, Codex answers "unsupported call" and the model learns.
  return { kind: "call", name: call.name, arguments: json(call.args) };
}
