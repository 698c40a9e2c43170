// The openai-compat backend: Chat Completions providers (DeepSeek, OpenRouter, Groq, Ollama, vLLM, ...).
import type { BackendAdapter, ReplyTranslator } from "../../backends.js";
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import { responsesToChat, type ChatRequestOptions } from "./request.js";
import { ChatToResponsesStream, completionAsChunk, type ChatChunk } from "./stream.js";

export function openAiCompatAdapter(options: ChatRequestOptions): BackendAdapter {
  return {
    name: "openai-compat",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      const translation = responsesToChat({ ...request, input, stream }, options);
      return {
        path: "chat/completions",
        body: translation.body,
        notes: translation.notes,
        translator: (): ReplyTranslator => {
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
        },
      };
    },
  };
}
