// Responses request → Command Code `POST /alpha/generate` body (B.7, message mapping of FIX 1). Pure.
//
// Command Code takes plain-string messages and no tool schemas (`tools: []`); its models write tool
// calls as text, which the parser chain reads back. So the instructions go into the first user
// message, together with a short list of the tools Codex offers and the one-line JSON call format;
// earlier calls are replayed in that same format (one `{"type":"tool-call",…}` line each), so the
// model sees how its calls look and keeps to it.
import type { ContentPart, InputItem, Json, ResponsesRequest, ToolSpec } from "../../responses/types.js";
import { TranslationError } from "../contract.js";

export interface CommandCodeMessage {
  role: "user" | "assistant";
  content: string;
}

export interface CommandCodeBody {
  config: {
    workingDir: string;
    date: string;
    environment: string;
    shell: string;
    files: string[];
    structure: string[];
    isGitRepo: boolean;
    currentBranch: string;
    mainBranch: string;
    gitStatus: string;
    recentCommits: string[];
  };
  memory: string;
  taste: string;
  skills: string;
  params: {
    stream: boolean;
    max_tokens: number;
    /** Left out for models that reject it (learned from their 400). */
    temperature?: number;
    messages: CommandCodeMessage[];
    model: string;
    tools: Json[];
  };
  threadId: string;
}

export const DEFAULT_MAX_TOKENS = 64000;
export const DEFAULT_TEMPERATURE = 0.3;
/** Tool output longer than this is cut (FIX 1: ≤ 8000 characters), keeping its head and its tail. */
export const MAX_TOOL_OUTPUT = 8000;

function textOf(content: string | ContentPart[] | undefined): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .map((p) => (p.type === "input_image" ? "[image omitted: this provider takes text only]" : p.text ?? p.refusal ?? ""))
    .filter((t) => t !== "")
    .join("\n");
}

/** Long tool output: the start and the end (errors are usually at the end), with the cut said. */
export function clipToolOutput(text: string, max = MAX_TOOL_OUTPUT): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.6);
  const tail = max - head;
  return `${text.slice(0, head)}\n[… ${text.length - max} characters cut …]\n${text.slice(text.length - tail)}`;
}

function outputText(output: InputItem["output"]): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return textOf(output);
  return output === undefined || output === null ? "" : JSON.stringify(output);
}

/** The arguments of a recorded call as JSON (an object when they parse, else the string). */
function argumentsJson(raw: unknown): Json {
  if (typeof raw !== "string") return (raw ?? {}) as Json;
  try {
    return JSON.parse(raw) as Json;
  } catch {
    return raw;
  }
}

/** One history line per call, in the format the parser chain's raw-JSON stage reads back. */
export function toolCallLine(id: string, name: string, args: Json): string {
  return JSON.stringify({ type: "tool-call", id, name, arguments: args });
}

function firstSentence(text: string): string {
  const line = text.trim().split(/\n/)[0] ?? "";
  const m = /^(.{1,200}?[.!?])(?:\s|$)/.exec(line);
  return m ? m[1] : line.slice(0, 200);
}

/** A compact list of Codex's tools (function and freeform ones) for the instructions. */
export function toolCatalogue(tools: readonly ToolSpec[]): string {
  const lines: string[] = [];
  for (const tool of tools) {
    if (tool.type === "function" && tool.name) {
      const params = (tool.parameters ?? {}) as { properties?: Record<string, unknown>; required?: string[] };
      const names = Object.keys(params.properties ?? {}).map((p) => ((params.required ?? []).includes(p) ? `${p}*` : p));
      lines.push(`- ${tool.name}(${names.join(", ")}): ${firstSentence(tool.description ?? "")}`);
    } else if (tool.type === "custom" && tool.name) {
      lines.push(`- ${tool.name}(input*): ${firstSentence(tool.description ?? "")} Pass the raw text as "input".`);
    }
  }
  if (!lines.length) return "";
  return [
    "## Tools of this client",
    "Call a tool by writing one line of JSON per call, then stop and wait for the result:",
    toolCallLine("call_1", "exec_command", { cmd: "ls -la" }),
    "Available tools (* = required argument):",
    ...lines,
  ].join("\n");
}

/** `<cwd>` and `<shell>` from Codex's `<environment_context>` message. */
export function environmentOf(input: readonly InputItem[]): { cwd: string; shell: string } {
  for (const item of input) {
    if (item.role !== "user") continue;
    const text = textOf(item.content);
    if (!text.includes("<environment_context>")) continue;
    return {
      cwd: /<cwd>([^<]*)<\/cwd>/.exec(text)?.[1]?.trim() ?? "",
      shell: /<shell>([^<]*)<\/shell>/.exec(text)?.[1]?.trim() ?? "bash",
    };
  }
  return { cwd: "", shell: "bash" };
}

export interface CommandCodeRequestOptions {
  threadId: string;
  /** Today, YYYY-MM-DD (injected: this module reads no clock). */
  date: string;
}

export function responsesToCommandCode(request: ResponsesRequest, input: readonly InputItem[], options: CommandCodeRequestOptions): { body: CommandCodeBody; notes: string[] } {
  if (typeof request.model !== "string" || request.model.trim() === "") throw new TranslationError("'model' is required");
  const notes: string[] = [];
  const instructions: string[] = [];
  if (typeof request.instructions === "string" && request.instructions.trim()) instructions.push(request.instructions.trim());
  const messages: CommandCodeMessage[] = [];
  const push = (role: CommandCodeMessage["role"], content: string) => {
    if (!content) return;
    const last = messages[messages.length - 1];
    // Roles must alternate for most models behind Command Code: adjacent messages of one role merge.
    if (last?.role === role) last.content += `\n\n${content}`;
    else messages.push({ role, content });
  };
  const inputTools: ToolSpec[] = [];

  for (const [index, item] of input.entries()) {
    if (typeof item !== "object" || item === null) throw new TranslationError(`input[${index}] is not an object`);
    const type = item.type ?? (item.role ? "message" : undefined);
    switch (type) {
      case "message":
        if (item.role === "system" || item.role === "developer") {
          // Before the conversation starts they are the instructions; later ones are notes to the model.
          if (messages.length === 0) instructions.push(textOf(item.content));
          else push("user", textOf(item.content));
        } else if (item.role === "user") push("user", textOf(item.content));
        else if (item.role === "assistant") push("assistant", textOf(item.content));
        else throw new TranslationError(`input[${index}] has unknown role '${String(item.role)}'`);
        break;
      case "function_call":
      case "custom_tool_call": {
        if (typeof item.call_id !== "string" || typeof item.name !== "string")
          throw new TranslationError(`input[${index}] (${type}) needs call_id and name`);
        const args = type === "custom_tool_call" ? { input: item.input ?? "" } : argumentsJson(item.arguments);
        push("assistant", toolCallLine(item.call_id, item.name, args));
        break;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        if (typeof item.call_id !== "string") throw new TranslationError(`input[${index}] (${type}) needs call_id`);
        push("user", `Tool result for call ${item.call_id}:\n${clipToolOutput(outputText(item.output))}`);
        break;
      case "additional_tools":
        if (Array.isArray(item.tools)) inputTools.push(...(item.tools as ToolSpec[]));
        break;
      case "reasoning":
        break; // Command Code has no way to take reasoning back
      default:
        notes.push(`input item of type '${String(type)}' dropped`);
    }
  }
  const catalogue = toolCatalogue([...(request.tools ?? []), ...inputTools]);
  const preamble = [...instructions.filter(Boolean), catalogue].filter(Boolean).join("\n\n");
  if (preamble) {
    if (messages[0]?.role === "user") messages[0].content = `${preamble}\n\n${messages[0].content}`;
    else messages.unshift({ role: "user", content: preamble });
  }
  if (messages.length === 0) throw new TranslationError("the request has no input to send");
  const env = environmentOf(input);
  const maxTokens = typeof request.max_output_tokens === "number" && request.max_output_tokens > 0 ? request.max_output_tokens : DEFAULT_MAX_TOKENS;
  return {
    notes,
    body: {
      config: {
        workingDir: env.cwd,
        date: options.date,
        environment: "linux",
        shell: env.shell || "bash",
        files: [],
        structure: [],
        isGitRepo: false,
        currentBranch: "",
        mainBranch: "",
        gitStatus: "",
        recentCommits: [],
      },
      memory: "",
      taste: "",
      skills: "",
      params: {
        stream: true,
        max_tokens: maxTokens,
        temperature: typeof request.temperature === "number" ? request.temperature : DEFAULT_TEMPERATURE,
        messages,
        model: request.model,
        tools: [],
      },
      threadId: options.threadId,
    },
  };
}
