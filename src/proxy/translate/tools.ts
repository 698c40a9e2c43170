// Responses tools → Chat Completions function tools, and the way back for the calls a model makes.
// Shared by every backend that speaks function tools. Pure.
import type { Json, ToolSpec } from "../responses/types.js";

export interface ChatFunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters: Json; strict?: boolean };
}

/** Where a name the model sees came from, so its calls can be turned back into Codex items. */
export interface ToolOrigin {
  kind: "function" | "custom";
  name: string;
  namespace?: string;
}

export interface ChatToolSet {
  tools: ChatFunctionTool[];
  /** chat-visible name → origin */
  origins: Map<string, ToolOrigin>;
  /** Tools the provider cannot run (hosted tools), with the reason, for the log. */
  dropped: string[];
}

const MAX_NAME = 64;
const EMPTY_PARAMETERS: Json = { type: "object", properties: {} };

/** Function names must match ^[A-Za-z0-9_-]{1,64}$ on most Chat Completions providers. */
export function chatSafeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_");
  if (cleaned.length <= MAX_NAME) return cleaned;
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const suffix = `_${hash.toString(36)}`;
  return cleaned.slice(0, MAX_NAME - suffix.length) + suffix;
}

export function namespacedName(namespace: string, name: string): string {
  return chatSafeName(`${namespace}__${name}`);
}

function isUsableName(name: unknown): name is string {
  return typeof name === "string" && name.trim() !== "" && name.trim().toLowerCase() !== "null";
}

/** The single string argument a freeform (custom) tool becomes. */
export const CUSTOM_TOOL_ARGUMENT = "input";

function customToolDescription(tool: ToolSpec): string {
  const parts = [tool.description ?? ""];
  parts.push(`Call this tool with one JSON argument "${CUSTOM_TOOL_ARGUMENT}": the raw tool input as a string (not JSON-wrapped).`);
  if (tool.format?.definition) parts.push(`The input must follow this ${tool.format.syntax ?? ""} grammar:\n${tool.format.definition}`);
  return parts.filter(Boolean).join("\n\n");
}

export function toChatTools(tools: readonly ToolSpec[] | undefined, options: { strict: boolean }): ChatToolSet {
  const set: ChatToolSet = { tools: [], origins: new Map(), dropped: [] };
  const add = (chatName: string, origin: ToolOrigin, fn: ChatFunctionTool["function"]) => {
    if (set.origins.has(chatName)) {
      set.dropped.push(`${chatName} (duplicate name)`);
      return;
    }
    set.origins.set(chatName, origin);
    set.tools.push({ type: "function", function: fn });
  };
  const addFunction = (tool: ToolSpec, namespace?: string) => {
    if (!isUsableName(tool.name)) {
      set.dropped.push(`function tool with empty or "null" name`);
      return;
    }
    const chatName = namespace ? namespacedName(namespace, tool.name) : chatSafeName(tool.name);
    const fn: ChatFunctionTool["function"] = { name: chatName, parameters: tool.parameters ?? EMPTY_PARAMETERS };
    if (tool.description) fn.description = tool.description;
    if (options.strict && typeof tool.strict === "boolean") fn.strict = tool.strict;
    add(chatName, { kind: "function", name: tool.name, ...(namespace ? { namespace } : {}) }, fn);
  };

  const addCustom = (tool: ToolSpec, namespace?: string) => {
    if (!isUsableName(tool.name)) {
      set.dropped.push(`custom tool with empty or "null" name`);
      return;
    }
    const chatName = namespace ? namespacedName(namespace, tool.name) : chatSafeName(tool.name);
    add(chatName, { kind: "custom", name: tool.name, ...(namespace ? { namespace } : {}) }, {
      name: chatName,
      description: customToolDescription(tool),
      parameters: {
        type: "object",
        properties: { [CUSTOM_TOOL_ARGUMENT]: { type: "string", description: "The raw tool input." } },
        required: [CUSTOM_TOOL_ARGUMENT],
        additionalProperties: false,
      },
    });
  };

  for (const tool of tools ?? []) {
    switch (tool.type) {
      case "function":
        addFunction(tool);
        break;
      case "namespace":
        if (!isUsableName(tool.name)) {
          set.dropped.push(`namespace with empty name`);
          break;
        }
        for (const inner of tool.tools ?? []) {
          if (inner.type === "function") addFunction(inner, tool.name);
          else if (inner.type === "custom") addCustom(inner, tool.name);
          else set.dropped.push(`${tool.name}.${inner.name ?? inner.type} (${inner.type} inside a namespace)`);
        }
        break;
      case "custom":
        addCustom(tool);
        break;
      default:
        // Hosted tools (web_search, tool_search, file_search, image_generation, ...) run on OpenAI's side.
        set.dropped.push(`${tool.type}${tool.name ? ` ${tool.name}` : ""} (hosted tool; this provider cannot run it)`);
    }
  }
  return set;
}

/** The chat-visible name of a call recorded in history (function_call / custom_tool_call items). */
export function chatNameForCall(name: string, namespace?: string): string {
  return namespace ? namespacedName(namespace, name) : chatSafeName(name);
}

export type MappedCall =
  | { type: "function_call"; name: string; namespace?: string; arguments: string }
  | { type: "custom_tool_call"; name: string; namespace?: string; input: string };

/** Turns a model's tool call back into the item Codex expects. Unknown names pass through as functions. */
export function callFromChat(chatName: string, args: string, origins: ReadonlyMap<string, ToolOrigin>): MappedCall {
  const origin = origins.get(chatName);
  if (origin?.kind === "custom")
    return { type: "custom_tool_call", name: origin.name, ...(origin.namespace ? { namespace: origin.namespace } : {}), input: customInputFromArguments(args) };
  if (origin) return { type: "function_call", name: origin.name, ...(origin.namespace ? { namespace: origin.namespace } : {}), arguments: args };
  return { type: "function_call", name: chatName, arguments: args };
}

/** Models usually send {"input": "..."}; some send the raw text itself. Either way Codex gets the text. */
export function customInputFromArguments(args: string): string {
  const trimmed = args.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>;
      const value = parsed[CUSTOM_TOOL_ARGUMENT] ?? Object.values(parsed).find((v) => typeof v === "string");
      if (typeof value === "string") return value;
    } catch {
      // Not JSON after all: the raw text is the input.
    }
  }
  return args;
}
