// Responses request → Chat Completions request. Pure.
import type { ContentPart, InputItem, Json, ResponsesRequest, ToolSpec } from "../../responses/types.js";
import { TranslationError } from "../contract.js";
import { signatureFromId } from "../thought-signature.js";
import { chatNameForCall, CUSTOM_TOOL_ARGUMENT, toChatTools, type ChatFunctionTool, type ToolOrigin } from "../tools.js";

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** Gemini's thought signature for this call, sent back as Gemini's OpenAI-compatible API wants it. */
  extra_content?: { google: { thought_signature: string } };
}

export type ChatContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string; detail?: string } };

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | ChatContentPart[] | null;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  reasoning_content?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  stream_options?: { include_usage: boolean };
  tools?: ChatFunctionTool[];
  tool_choice?: Json;
  parallel_tool_calls?: boolean;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: string;
  response_format?: Json;
  user?: string;
}

export interface ChatRequestOptions {
  /** Send `strict` on function tools (most Chat Completions providers reject or ignore it). */
  strictTools: boolean;
  /** Ask for usage in the last stream chunk (stream_options.include_usage). */
  includeUsage: boolean;
  /** Put a previous turn's reasoning back as `reasoning_content` on the assistant tool-call message. */
  echoReasoning: boolean;
}

export const DEFAULT_CHAT_OPTIONS: ChatRequestOptions = { strictTools: false, includeUsage: true, echoReasoning: true };

export interface ChatTranslation {
  body: ChatRequest;
  /** chat tool name → Codex tool, for turning calls back into items. */
  origins: Map<string, ToolOrigin>;
  /** What could not be carried over, for the log. */
  notes: string[];
}

function textOf(content: string | ContentPart[] | undefined | null): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .map((p) => p.text ?? p.refusal ?? "")
    .filter((t) => t !== "")
    .join("\n");
}

function imageUrlOf(part: ContentPart): string | null {
  if (typeof part.image_url === "string") return part.image_url;
  if (part.image_url && typeof part.image_url.url === "string") return part.image_url.url;
  return null;
}

/** User content: plain text when it is only text (widest provider support), else text + image parts. */
function userContent(content: string | ContentPart[] | undefined, notes: string[]): string | ChatContentPart[] {
  if (typeof content === "string" || !content) return content ?? "";
  const hasImage = content.some((p) => p.type === "input_image");
  if (!hasImage) return textOf(content);
  const parts: ChatContentPart[] = [];
  for (const part of content) {
    if (part.type === "input_image") {
      const url = imageUrlOf(part);
      if (url) parts.push({ type: "image_url", image_url: { url, ...(part.detail ? { detail: part.detail } : {}) } });
      else notes.push("input_image given by file_id dropped (no URL to send)");
    } else if (part.text) parts.push({ type: "text", text: part.text });
    else if (part.type === "input_file") notes.push("input_file part dropped (not supported by Chat Completions)");
  }
  return parts;
}

function toolOutputText(output: InputItem["output"], notes: string[]): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) {
    if (output.some((p) => p.type === "input_image")) notes.push("image in a tool output sent as a placeholder (tool messages are text-only)");
    return output.map((p) => (p.type === "input_image" ? "[image omitted]" : p.text ?? "")).join("\n");
  }
  return output === undefined || output === null ? "" : JSON.stringify(output);
}

function reasoningText(item: InputItem): string {
  return (item.summary ?? []).map((s) => s.text ?? "").join("\n").trim() ||
    (Array.isArray(item.content) ? textOf(item.content) : "");
}

export function responsesToChat(request: ResponsesRequest, options: ChatRequestOptions = DEFAULT_CHAT_OPTIONS): ChatTranslation {
  if (typeof request.model !== "string" || request.model.trim() === "") throw new TranslationError("'model' is required");
  const notes: string[] = [];
  const messages: ChatMessage[] = [];
  // "Responses lite" requests (gpt-5.6/6.x slugs) carry their tools in an additional_tools input item.
  const inputTools = Array.isArray(request.input)
    ? request.input.filter((i) => i?.type === "additional_tools").flatMap((i) => (Array.isArray(i.tools) ? (i.tools as ToolSpec[]) : []))
    : [];
  const toolSet = toChatTools([...(request.tools ?? []), ...inputTools], { strict: options.strictTools });
  for (const d of toolSet.dropped) notes.push(`tool dropped: ${d}`);

  if (typeof request.instructions === "string" && request.instructions.trim() !== "")
    messages.push({ role: "system", content: request.instructions });

  const input: InputItem[] = typeof request.input === "string"
    ? [{ type: "message", role: "user", content: request.input }]
    : Array.isArray(request.input) ? request.input : [];
  if (request.input !== undefined && typeof request.input !== "string" && !Array.isArray(request.input))
    throw new TranslationError("'input' must be a string or an array of items");

  let pendingReasoning = "";
  /** The assistant message that tool calls of the current turn attach to. */
  let openAssistant: ChatMessage | null = null;

  const assistantForCalls = (): ChatMessage => {
    if (openAssistant && messages[messages.length - 1] === openAssistant) return openAssistant;
    openAssistant = { role: "assistant", content: null };
    messages.push(openAssistant);
    return openAssistant;
  };
  const takeReasoning = (message: ChatMessage) => {
    if (pendingReasoning && options.echoReasoning) message.reasoning_content = pendingReasoning;
    pendingReasoning = "";
  };

  for (const [index, item] of input.entries()) {
    if (typeof item !== "object" || item === null) throw new TranslationError(`input[${index}] is not an object`);
    const type = item.type ?? (item.role ? "message" : undefined);
    switch (type) {
      case "message": {
        const role = item.role;
        if (role === "system" || role === "developer") {
          const text = textOf(item.content);
          const last = messages[messages.length - 1];
          // Adjacent system messages become one: several providers accept only one in a row.
          if (last?.role === "system" && typeof last.content === "string") last.content += `\n\n${text}`;
          else messages.push({ role: "system", content: text });
        } else if (role === "user") {
          messages.push({ role: "user", content: userContent(item.content, notes) });
        } else if (role === "assistant") {
          const message: ChatMessage = { role: "assistant", content: textOf(item.content) };
          takeReasoning(message);
          messages.push(message);
          openAssistant = message;
        } else throw new TranslationError(`input[${index}] has unknown role '${String(role)}'`);
        break;
      }
      case "additional_tools":
        break; // its tools were merged into the tool list above
      case "reasoning":
        pendingReasoning = [pendingReasoning, reasoningText(item)].filter(Boolean).join("\n");
        break;
      case "function_call":
      case "custom_tool_call": {
        if (typeof item.call_id !== "string" || typeof item.name !== "string")
          throw new TranslationError(`input[${index}] (${type}) needs call_id and name`);
        const message = assistantForCalls();
        takeReasoning(message);
        const args = type === "custom_tool_call"
          ? JSON.stringify({ [CUSTOM_TOOL_ARGUMENT]: item.input ?? "" })
          : typeof item.arguments === "string" ? item.arguments : JSON.stringify(item.arguments ?? {});
        const signature = signatureFromId(item.id);
        (message.tool_calls ??= []).push({
          id: item.call_id,
          type: "function",
          function: { name: chatNameForCall(item.name, typeof item.namespace === "string" ? item.namespace : undefined), arguments: args },
          ...(signature ? { extra_content: { google: { thought_signature: signature } } } : {}),
        });
        break;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        if (typeof item.call_id !== "string") throw new TranslationError(`input[${index}] (${type}) needs call_id`);
        messages.push({ role: "tool", tool_call_id: item.call_id, content: toolOutputText(item.output, notes) });
        break;
      default:
        notes.push(`input item of type '${String(type)}' dropped`);
    }
  }

  const paired = pairToolMessages(messages, notes);
  const body: ChatRequest = {
    model: request.model,
    // Codex's compaction turn offers an empty tool list but carries the conversation's calls: providers
    // that check tool history against the tools offered (Anthropic, Bedrock, some gateways) refuse that,
    // so when a tool list leaves nothing to call, the calls and their outputs travel as text. The summary
    // loses nothing by it. (A request that names no tool list at all keeps Chat's own pairing.)
    messages: Array.isArray(request.tools) && toolSet.tools.length === 0 ? toolHistoryAsText(paired) : paired,
    stream: request.stream === true,
  };
  if (body.stream && options.includeUsage) body.stream_options = { include_usage: true };
  if (toolSet.tools.length > 0) {
    body.tools = toolSet.tools;
    const choice = chatToolChoice(request.tool_choice);
    if (choice !== undefined) body.tool_choice = choice;
    if (typeof request.parallel_tool_calls === "boolean") body.parallel_tool_calls = request.parallel_tool_calls;
  }
  if (typeof request.max_output_tokens === "number") body.max_tokens = request.max_output_tokens;
  if (typeof request.temperature === "number") body.temperature = request.temperature;
  if (typeof request.top_p === "number") body.top_p = request.top_p;
  if (typeof request.reasoning?.effort === "string") body.reasoning_effort = request.reasoning.effort;
  const format = request.text?.format;
  if (format?.type === "json_schema")
    body.response_format = { type: "json_schema", json_schema: { name: format.name ?? "output", schema: format.schema ?? {}, strict: format.strict ?? true } };
  else if (format?.type === "json_object") body.response_format = { type: "json_object" };
  if (typeof request.user === "string") body.user = request.user;
  return { body, origins: toolSet.origins, notes };
}

function chatToolChoice(choice: ResponsesRequest["tool_choice"]): Json | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && choice.name) return { type: "function", function: { name: choice.name } };
  return "auto";
}

/**
 * Chat Completions requires every assistant tool call to be answered by a tool message right after it,
 * and rejects tool messages that answer nothing. History from an interrupted turn breaks both rules, so
 * missing answers get a placeholder and orphan answers become user text.
 */
function pairToolMessages(messages: ChatMessage[], notes: string[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role === "tool") {
      notes.push(`tool output for unknown call ${message.tool_call_id} sent as user text`);
      out.push({ role: "user", content: `Tool output (call ${message.tool_call_id}):\n${message.content as string}` });
      continue;
    }
    out.push(message);
    if (message.role !== "assistant" || !message.tool_calls?.length) continue;
    const answers = new Map<string, ChatMessage>();
    const extras: ChatMessage[] = [];
    let j = i + 1;
    for (; j < messages.length && messages[j].role === "tool"; j++) {
      const answer = messages[j];
      if (message.tool_calls.some((c) => c.id === answer.tool_call_id) && !answers.has(answer.tool_call_id!)) answers.set(answer.tool_call_id!, answer);
      else extras.push(answer);
    }
    for (const call of message.tool_calls) {
      const answer = answers.get(call.id);
      if (answer) out.push(answer);
      else {
        notes.push(`call ${call.id} had no output; a placeholder was sent`);
        out.push({ role: "tool", tool_call_id: call.id, content: "(no output: the call was interrupted)" });
      }
    }
    for (const extra of extras) {
      notes.push(`tool output for unknown call ${extra.tool_call_id} sent as user text`);
      out.push({ role: "user", content: `Tool output (call ${extra.tool_call_id}):\n${extra.content as string}` });
    }
    i = j - 1;
  }
  return out;
}

/** Tool calls and outputs as plain assistant/user text, for a request that offers no tools. */
export function toolHistoryAsText(messages: ChatMessage[]): ChatMessage[] {
  if (!messages.some((m) => m.role === "tool" || m.tool_calls?.length)) return messages;
  return messages.map((m): ChatMessage => {
    if (m.role === "tool") {
      const text = typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => (p.type === "text" ? p.text : "[image]")).join("\n");
      return { role: "user", content: `Tool output (call ${m.tool_call_id}):\n${text}` };
    }
    if (m.role !== "assistant" || !m.tool_calls?.length) return m;
    const calls = m.tool_calls.map((c) => `[called ${c.function.name} (call ${c.id}) with ${c.function.arguments}]`).join("\n");
    const text = typeof m.content === "string" && m.content ? `${m.content}\n${calls}` : calls;
    const { tool_calls: _calls, ...rest } = m;
    return { ...rest, content: text };
  });
}
