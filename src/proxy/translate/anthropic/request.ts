// Responses request → Anthropic Messages request. Pure. The item walk is the Chat Completions one
// (same pairing rules); this file reshapes its messages into Anthropic's alternating turns and blocks.
import type { ResponsesRequest } from "../../responses/types.js";
import { responsesToChat, type ChatContentPart, type ChatMessage, type ChatRequestOptions } from "../chat/request.js";
import type { ToolOrigin } from "../tools.js";

export type AnthropicBlock =
  | { type: "text"; text: string; cache_control?: { type: "ephemeral" } }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error?: boolean };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicBlock[];
}

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: AnthropicBlock[];
  tools?: { name: string; description?: string; input_schema: unknown }[];
  tool_choice?: { type: "auto" | "any" | "tool" | "none"; name?: string; disable_parallel_tool_use?: boolean };
  stream: boolean;
  temperature?: number;
  top_p?: number;
}

export const DEFAULT_MAX_TOKENS = 8192;

function imageBlock(url: string): AnthropicBlock {
  const data = /^data:([^;]+);base64,(.*)$/s.exec(url);
  return data ? { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } } : { type: "image", source: { type: "url", url } };
}

function blocksOf(content: ChatMessage["content"]): AnthropicBlock[] {
  if (content === null || content === "") return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  return (content as ChatContentPart[]).map((p) => (p.type === "text" ? { type: "text", text: p.text } : imageBlock(p.image_url.url)));
}

function parseArguments(args: string): unknown {
  try {
    const value = JSON.parse(args || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? value : { value };
  } catch {
    return { raw: args }; // the model wrote invalid JSON; keep it visible rather than lose it
  }
}

export interface AnthropicTranslation {
  body: AnthropicRequest;
  origins: Map<string, ToolOrigin>;
  notes: string[];
}

export function responsesToAnthropic(request: ResponsesRequest, options: ChatRequestOptions): AnthropicTranslation {
  // Reasoning cannot be replayed to Anthropic without its signature, so it is not echoed.
  const chat = responsesToChat(request, { ...options, echoReasoning: false, strictTools: false });
  const system: AnthropicBlock[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", blocks: AnthropicBlock[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    // Anthropic wants user and assistant turns to alternate: same-role neighbours are merged.
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of chat.body.messages) {
    if (m.role === "system") {
      system.push(...blocksOf(m.content));
    } else if (m.role === "user") {
      push("user", blocksOf(m.content));
    } else if (m.role === "assistant") {
      push("assistant", [...blocksOf(m.content), ...(m.tool_calls ?? []).map((c): AnthropicBlock =>
        ({ type: "tool_use", id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) }))]);
    } else if (m.role === "tool") {
      push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id!, content: typeof m.content === "string" ? m.content : "" }]);
    }
  }
  if (messages[0]?.role === "assistant") messages.unshift({ role: "user", content: [{ type: "text", text: "(continue)" }] });
  // Prompt caching: the system prompt (Codex's instructions, the same on every turn) is cached.
  if (system.length) system[system.length - 1] = { ...(system[system.length - 1] as { type: "text"; text: string }), cache_control: { type: "ephemeral" } };
  const body: AnthropicRequest = {
    model: chat.body.model,
    max_tokens: chat.body.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: chat.body.stream,
    ...(system.length ? { system } : {}),
  };
  if (chat.body.tools?.length) {
    body.tools = chat.body.tools.map((t) => ({ name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} } }));
    const choice = chat.body.tool_choice;
    const parallelOff = chat.body.parallel_tool_calls === false;
    if (choice === "required") body.tool_choice = { type: "any" };
    else if (choice === "none") body.tool_choice = { type: "none" };
    else if (choice && typeof choice === "object") body.tool_choice = { type: "tool", name: (choice as { function: { name: string } }).function.name };
    else body.tool_choice = { type: "auto" };
    if (parallelOff) body.tool_choice.disable_parallel_tool_use = true;
  }
  if (typeof chat.body.temperature === "number") body.temperature = chat.body.temperature;
  if (typeof chat.body.top_p === "number") body.top_p = chat.body.top_p;
  const notes = [...chat.notes];
  if (chat.body.response_format) notes.push("text.format (JSON schema) is not sent to Anthropic");
  return { body, origins: chat.origins, notes };
}
