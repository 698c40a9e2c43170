// The anthropic backend: the Messages API (api.anthropic.com, and gateways that speak it).
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import { chatReplyTranslator } from "../chat/reply.js";
import { DEFAULT_CHAT_OPTIONS, type ChatRequestOptions } from "../chat/request.js";
import type { BackendAdapter, BackendDefinition } from "../contract.js";
import { AnthropicEvents } from "./events.js";
import { responsesToAnthropic } from "./request.js";

export function anthropicAdapter(options: ChatRequestOptions): BackendAdapter {
  return {
    name: "anthropic",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      const translation = responsesToAnthropic({ ...request, input, stream }, options);
      return {
        path: "messages",
        body: translation.body,
        notes: translation.notes,
        translator: () => {
          const events = new AnthropicEvents();
          return chatReplyTranslator({ model: translation.body.model, origins: translation.origins,
            parallelToolCalls: request.parallel_tool_calls ?? true, toolChoice: (request.tool_choice ?? "auto") as Json }, {
            chunk: (data) => events.event(data as Record<string, any>),
            whole: (body) => events.whole(body as Record<string, any>),
            done: () => events.done,
            endMarker: "message_stop",
          });
        },
      };
    },
  };
}

export const ANTHROPIC_VERSION = "2023-06-01";

export const anthropicBackend: BackendDefinition = {
  // Anthropic takes its key in x-api-key (not Bearer) and wants the API version on every request.
  headers: (apiKey) => ({ "anthropic-version": ANTHROPIC_VERSION, ...(apiKey ? { "x-api-key": apiKey } : {}) }),
  modelsPath: "models",
  create: () => anthropicAdapter(DEFAULT_CHAT_OPTIONS),
};
