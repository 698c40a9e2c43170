// The openai-compat backend: Chat Completions providers (DeepSeek, OpenRouter, Groq, Ollama, vLLM, ...).
import { capsKey } from "../../caps.js";
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import { chatReplyTranslator } from "../chat/reply.js";
import { DEFAULT_CHAT_OPTIONS, responsesToChat, type ChatRequestOptions } from "../chat/request.js";
import { completionAsChunk, type ChatChunk, type ChatCompletion } from "../chat/stream.js";
import { bearerHeaders, FORGET_NOTHING, type BackendAdapter, type BackendDefinition, type QuirkMemory, type UpstreamCall } from "../contract.js";
import { adaptiveCall } from "../quirk-learning.js";
import { blamedQuirks, withoutQuirks } from "./quirks.js";

export function openAiCompatAdapter(options: ChatRequestOptions, targetUrl = "", memory: QuirkMemory = FORGET_NOTHING): BackendAdapter {
  return {
    name: "openai-compat",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      const translation = responsesToChat({ ...request, input, stream }, options);
      const key = capsKey(targetUrl, translation.body.model);
      const translator = () => chatReplyTranslator({
        model: translation.body.model,
        origins: translation.origins,
        parallelToolCalls: request.parallel_tool_calls ?? true,
        toolChoice: (request.tool_choice ?? "auto") as Json,
      }, {
        chunk: (data) => data as ChatChunk,
        whole: (body) => completionAsChunk(body as ChatCompletion),
        endMarker: "finishing the answer",
      });
      return adaptiveCall({
        memory,
        key,
        build: (drops): UpstreamCall => ({ path: "chat/completions", body: withoutQuirks(translation.body, drops), notes: translation.notes, translator }),
        // Only a parameter the provider names as unsupported (quirks.ts), never one it says it wants.
        lessons: (_status, message, drops) => blamedQuirks(message, withoutQuirks(translation.body, drops)),
      });
    },
  };
}

export const openAiCompatBackend: BackendDefinition = {
  headers: bearerHeaders,
  modelsPath: "models",
  create: ({ targetUrl, quirks }) => openAiCompatAdapter(DEFAULT_CHAT_OPTIONS, targetUrl, quirks),
};
