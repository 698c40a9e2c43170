// The anthropic backend: the Messages API (api.anthropic.com, and gateways that speak it).
import type { BackendAdapter, ReplyTranslator } from "../../backends.js";
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import type { ChatRequestOptions } from "../openai-compat/request.js";
import { ChatToResponsesStream } from "../openai-compat/stream.js";
import { AnthropicEvents } from "./events.js";
import { responsesToAnthropic } from "./request.js";

export function anthropicAdapter(options: ChatRequestOptions, apiKey: string): BackendAdapter {
  return {
    name: "anthropic",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      const translation = responsesToAnthropic({ ...request, input, stream }, options);
      return {
        path: "messages",
        body: translation.body,
        // Anthropic authenticates with x-api-key (the proxy also sends Bearer; gateways accept either).
        headers: { "anthropic-version": "2023-06-01", ...(apiKey ? { "x-api-key": apiKey } : {}) },
        notes: translation.notes,
        translator: (): ReplyTranslator => {
          const mapper = new ChatToResponsesStream({ model: translation.body.model, origins: translation.origins,
            parallelToolCalls: request.parallel_tool_calls ?? true, toolChoice: (request.tool_choice ?? "auto") as Json });
          const events = new AnthropicEvents();
          return {
            get response() {
              return mapper.response;
            },
            get ended() {
              return mapper.ended;
            },
            start: () => mapper.start(),
            message: (data) => {
              const chunk = events.event(data as Record<string, any>);
              return chunk ? mapper.chunk(chunk) : [];
            },
            whole: (body) => mapper.chunk(events.whole(body as Record<string, any>)),
            finish: (cleanEnd) => (cleanEnd || events.done || mapper.finishReason ? mapper.finish()
              : mapper.fail("stream_error", "stream error: the provider closed the stream before message_stop")),
            fail: (code, message) => mapper.fail(code, message),
          };
        },
      };
    },
  };
}
