// Gemini generateContent replies (streamed chunks or one whole body, bare or in Code Assist's
// {response: …} envelope) → Chat Completions chunks, so the one Chat→Responses mapper serves them.
// Pure; one instance per upstream reply.
import { randomId } from "../../../lib/ids.js";
import type { ChatChunk, ChatToolCallDelta, ChatUsage } from "../chat/stream.js";
import type { GeminiPart } from "./request.js";

const FINISH: Record<string, string> = {
  STOP: "stop", MAX_TOKENS: "length", SAFETY: "content_filter", RECITATION: "content_filter", BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter", SPII: "content_filter", IMAGE_SAFETY: "content_filter", LANGUAGE: "stop", OTHER: "stop",
  FINISH_REASON_UNSPECIFIED: "stop",
};

interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
}

interface GeminiReply {
  candidates?: { content?: { parts?: GeminiPart[] }; finishReason?: string; finishMessage?: string }[];
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  error?: { code?: number; message?: string; status?: string };
}

export class GeminiEvents {
  /** Gemini's own finishReason, once it sent one. */
  finishReason: string | null = null;
  /** Text the model wrote in this reply (thoughts excluded). */
  text = "";
  calls = 0;
  usage: ChatUsage | null = null;
  /** A signature that came on a thought or text part, for the next function call that has none. */
  #pendingSignature: string | null = null;

  /** One reply chunk; null when it carries nothing for the client. */
  chunk(data: unknown): ChatChunk | null {
    const envelope = data as { response?: GeminiReply; error?: GeminiReply["error"] };
    if (envelope?.error) return this.#error(envelope.error);
    const reply: GeminiReply = envelope?.response ?? (data as GeminiReply) ?? {};
    if (reply.error) return this.#error(reply.error);
    if (reply.promptFeedback?.blockReason && !reply.candidates?.length)
      return { error: { message: `Gemini blocked the prompt (${reply.promptFeedback.blockReason})${reply.promptFeedback.blockReasonMessage ? `: ${reply.promptFeedback.blockReasonMessage}` : ""}`, code: "content_filter" } };
    if (reply.usageMetadata) this.usage = usageOf(reply.usageMetadata);
    const candidate = reply.candidates?.[0];
    let content = "";
    const toolCalls: ChatToolCallDelta[] = [];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) {
        const signature = part.thoughtSignature ?? this.#pendingSignature;
        this.#pendingSignature = null;
        toolCalls.push({
          index: this.calls++,
          id: part.functionCall.id || randomId("call"),
          type: "function",
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
          ...(signature ? { extra_content: { google: { thought_signature: signature } } } : {}),
        });
        continue;
      }
      if (part.thoughtSignature) this.#pendingSignature = part.thoughtSignature;
      // Thoughts stay hidden: only their signature matters for the next turn.
      if (part.thought || typeof part.text !== "string") continue;
      content += part.text;
    }
    this.text += content;
    let finish: string | null = null;
    if (candidate?.finishReason) {
      this.finishReason = candidate.finishReason;
      if (candidate.finishReason === "MALFORMED_FUNCTION_CALL" || candidate.finishReason === "UNEXPECTED_TOOL_CALL")
        return { error: { message: `Gemini ended with ${candidate.finishReason}${candidate.finishMessage ? `: ${candidate.finishMessage}` : ""}`, code: "malformed_function_call" } };
      finish = this.calls > 0 ? "tool_calls" : FINISH[candidate.finishReason] ?? "stop";
    }
    if (!content && toolCalls.length === 0 && !finish && !reply.usageMetadata) return reply.modelVersion ? { model: reply.modelVersion } : null;
    return {
      ...(reply.modelVersion ? { model: reply.modelVersion } : {}),
      choices: [{ index: 0, delta: { ...(content ? { content } : {}), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }

  #error(error: NonNullable<GeminiReply["error"]>): ChatChunk {
    return { error: { message: error.message ?? "Gemini error", code: error.status ?? String(error.code ?? "upstream_error") } };
  }
}

export function usageOf(u: UsageMetadata): ChatUsage {
  const prompt = u.promptTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}
