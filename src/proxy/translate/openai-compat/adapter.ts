// The openai-compat backend: Chat Completions providers (DeepSeek, OpenRouter, Groq, Ollama, vLLM, ...).
import type { BackendAdapter, QuirkMemory, ReplyTranslator, UpstreamCall } from "../../backends.js";
import { capsKey } from "../../caps.js";
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import { blamedQuirks, withoutQuirks } from "./quirks.js";
import { responsesToChat, type ChatRequestOptions } from "./request.js";
import { ChatToResponsesStream, completionAsChunk, type ChatChunk } from "./stream.js";

const FORGET_NOTHING: QuirkMemory = { quirksFor: () => new Set(), learn: () => {} };

export function openAiCompatAdapter(options: ChatRequestOptions, targetUrl = "", memory: QuirkMemory = FORGET_NOTHING): BackendAdapter {
  return {
    name: "openai-compat",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      const translation = responsesToChat({ ...request, input, stream }, options);
      const key = capsKey(targetUrl, translation.body.model);
      const translator = (): ReplyTranslator => {
        const mapper = new ChatToResponsesStream({
          model: translation.body.model,
          origins: translation.origins,
          parallelToolCalls: request.parallel_tool_calls ?? true,
          toolChoice: (request.tool_choice ?? "auto") as Json,
        });
        return {
          get response() {
            return mapper.response;
          },
          get ended() {
            return mapper.ended;
          },
          start: () => mapper.start(),
          message: (data) => mapper.chunk(data as ChatChunk),
          whole: (body) => mapper.chunk(completionAsChunk(body as Parameters<typeof completionAsChunk>[0])),
          // No [DONE] and no finish_reason: the provider hung up mid-answer.
          finish: (cleanEnd) => (cleanEnd || mapper.finishReason ? mapper.finish()
            : mapper.fail("stream_error", "stream error: the provider closed the stream before finishing the answer")),
          fail: (code, message) => mapper.fail(code, message),
        };
      };
      const callWithout = (drops: Set<string>): UpstreamCall => ({
        path: "chat/completions",
        body: withoutQuirks(translation.body, drops),
        notes: translation.notes,
        translator,
        retryAfterError: (status, message) => {
          if (status !== 400 && status !== 422) return null;
          const blamed = blamedQuirks(message, withoutQuirks(translation.body, drops)).filter((q) => !drops.has(q));
          if (blamed.length === 0) return null;
          memory.learn(key, blamed);
          return { call: callWithout(new Set([...drops, ...blamed])), dropped: blamed };
        },
      });
      return callWithout(memory.quirksFor(key));
    },
  };
}
