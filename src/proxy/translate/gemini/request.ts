// Responses request → Gemini generateContent request (contents, systemInstruction, tools, generationConfig).
// Pure. The item walk is the shared Chat one (same call/output pairing); this file reshapes its messages
// into Gemini's user/model turns and parts.
import type { Json, ResponsesRequest } from "../../responses/types.js";
import { responsesToChat, type ChatContentPart, type ChatMessage } from "../chat/request.js";
import { SKIP_SIGNATURE } from "../thought-signature.js";
import type { ToolOrigin } from "../tools.js";
import { geminiParameters } from "./schema.js";

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; id?: string; response: Record<string, unknown> };
  inlineData?: { mimeType: string; data: string };
}

export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: { name: string; description?: string; parameters?: Record<string, unknown> }[] }[];
  toolConfig?: { functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] } };
  generationConfig?: {
    temperature?: number;
    topP?: number;
    maxOutputTokens?: number;
    thinkingConfig?: GeminiThinkingConfig;
    responseMimeType?: string;
    responseSchema?: Record<string, unknown>;
  };
}

export interface GeminiTranslation {
  /** The model id sent upstream. */
  model: string;
  request: GeminiRequest;
  origins: Map<string, ToolOrigin>;
  notes: string[];
}

/** B.6: reasoning effort → thinking budget (tokens). */
export const THINKING_BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24576, xhigh: 24576 };

/** Models that think (and so take a thinkingConfig and sign their calls). */
export function isThinkingModel(model: string): boolean {
  return /gemini-(2\.5|[3-9])/i.test(model);
}

/** Gemini 3 validates signatures on replayed calls (and takes the documented skip value). */
function validatesSignatures(model: string): boolean {
  return /gemini-[3-9]/i.test(model);
}

export function thinkingConfig(model: string, effort: string | null | undefined): GeminiThinkingConfig | undefined {
  if (!isThinkingModel(model)) return undefined;
  if (effort === "none") return { includeThoughts: false, thinkingBudget: /pro/i.test(model) ? 128 : 0 };
  const budget = effort ? THINKING_BUDGETS[effort] : undefined;
  // Thoughts are asked for so their signatures come back; they are not shown to Codex.
  return budget === undefined ? { includeThoughts: true } : { includeThoughts: true, thinkingBudget: budget };
}

function userParts(content: ChatMessage["content"], notes: string[]): GeminiPart[] {
  if (content === null || content === "") return [];
  if (typeof content === "string") return [{ text: content }];
  return (content as ChatContentPart[]).flatMap((p): GeminiPart[] => {
    if (p.type === "text") return p.text ? [{ text: p.text }] : [];
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(p.image_url.url);
    if (data) return [{ inlineData: { mimeType: data[1], data: data[2] } }];
    notes.push("an image given by URL was sent as a text reference (Gemini takes inline images)");
    return [{ text: `[image: ${p.image_url.url}]` }];
  });
}

function parseArguments(args: string): Record<string, unknown> {
  try {
    const value = JSON.parse(args || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { raw: args }; // the model wrote invalid JSON before; keep it visible rather than lose it
  }
}

/** `model` is what goes upstream (a preset's "antigravity-" prefix already removed by the caller). */
export function responsesToGemini(request: ResponsesRequest, model: string): GeminiTranslation {
  const chat = responsesToChat(request, { strictTools: false, includeUsage: false, echoReasoning: false });
  const notes = [...chat.notes];
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  /** call id → function name, for functionResponse parts (Gemini names the function it answers). */
  const callNames = new Map<string, string>();
  const push = (role: GeminiContent["role"], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Gemini wants user and model turns to alternate: same-role neighbours are merged.
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts: [...parts] });
  };
  for (const m of chat.body.messages) {
    if (m.role === "system") {
      const text = typeof m.content === "string" ? m.content : userParts(m.content, notes).map((p) => p.text ?? "").join("\n");
      if (text) system.push(text);
    } else if (m.role === "user") {
      push("user", userParts(m.content, notes));
    } else if (m.role === "assistant") {
      const parts: GeminiPart[] = typeof m.content === "string" && m.content ? [{ text: m.content }] : [];
      for (const call of m.tool_calls ?? []) {
        callNames.set(call.id, call.function.name);
        const part: GeminiPart = { functionCall: { name: call.function.name, args: parseArguments(call.function.arguments), id: call.id } };
        const signature = call.extra_content?.google.thought_signature;
        if (signature) part.thoughtSignature = signature;
        parts.push(part);
      }
      push("model", parts);
    } else if (m.role === "tool") {
      const id = m.tool_call_id ?? "";
      push("user", [{ functionResponse: { name: callNames.get(id) ?? "unknown_tool", id,
        response: { result: typeof m.content === "string" ? m.content : "" } } }]);
    }
  }
  // A model turn that calls functions must carry a signature on its first call (Gemini 3); a call this
  // proxy did not receive from Gemini (another model's history) gets the documented skip value.
  if (validatesSignatures(model)) {
    for (const c of contents) {
      const first = c.role === "model" ? c.parts.find((p) => p.functionCall) : undefined;
      if (first && !first.thoughtSignature) {
        first.thoughtSignature = SKIP_SIGNATURE;
        notes.push("a function call without a thought signature (not made by Gemini here) was sent with the skip value");
      }
    }
  }
  if (contents[0]?.role !== "user") contents.unshift({ role: "user", parts: [{ text: "(continue)" }] });
  if (contents[contents.length - 1].role !== "user") contents.push({ role: "user", parts: [{ text: "Continue." }] });

  const out: GeminiRequest = { contents };
  if (system.length) out.systemInstruction = { parts: [{ text: system.join("\n\n") }] };
  if (chat.body.tools?.length) {
    out.tools = [{
      functionDeclarations: chat.body.tools.map((t) => {
        const parameters = geminiParameters(t.function.parameters);
        return { name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), ...(parameters ? { parameters } : {}) };
      }),
    }];
    const choice = chat.body.tool_choice as Json | undefined;
    if (choice === "required") out.toolConfig = { functionCallingConfig: { mode: "ANY" } };
    else if (choice === "none") out.toolConfig = { functionCallingConfig: { mode: "NONE" } };
    else if (choice && typeof choice === "object" && !Array.isArray(choice))
      out.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [(choice as { function: { name: string } }).function.name] } };
  }
  const generation: NonNullable<GeminiRequest["generationConfig"]> = {};
  if (typeof chat.body.temperature === "number") generation.temperature = chat.body.temperature;
  if (typeof chat.body.top_p === "number") generation.topP = chat.body.top_p;
  if (typeof chat.body.max_tokens === "number") generation.maxOutputTokens = chat.body.max_tokens;
  const thinking = thinkingConfig(model, request.reasoning?.effort);
  if (thinking) generation.thinkingConfig = thinking;
  const format = request.text?.format;
  if (format?.type === "json_schema" || format?.type === "json_object") {
    generation.responseMimeType = "application/json";
    const schema = format.type === "json_schema" ? geminiParameters(format.schema) : null;
    if (schema) generation.responseSchema = schema;
  }
  if (Object.keys(generation).length) out.generationConfig = generation;
  return { model, request: out, origins: chat.origins, notes };
}
