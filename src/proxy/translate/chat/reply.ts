// The one ReplyTranslator over the Chat→Responses mapper, shared by every backend whose replies are
// mapped to Chat Completions chunks first (openai-compat itself, Anthropic's events, ...).
import type { ReplyTranslator } from "../contract.js";
import { ChatToResponsesStream, type ChatChunk, type StreamContext } from "./stream.js";

/** How one provider's reply becomes Chat chunks. */
export interface ChatSource {
  /** One upstream stream message as a Chat chunk, or null when it carries nothing to map. */
  chunk(data: unknown, event: string | null): ChatChunk | null;
  /** A whole (non-streamed) reply body as one Chat chunk. */
  whole(body: unknown): ChatChunk;
  /** True once the provider said in its own way that the answer is complete (Anthropic's message_stop). */
  done?(): boolean;
  /** The provider's end marker, named in the error when a stream stops before it. */
  endMarker: string;
}

export function chatReplyTranslator(context: StreamContext, source: ChatSource): ReplyTranslator {
  const mapper = new ChatToResponsesStream(context);
  return {
    get response() {
      return mapper.response;
    },
    get ended() {
      return mapper.ended;
    },
    start: () => mapper.start(),
    message: (data, event) => {
      const chunk = source.chunk(data, event);
      return chunk ? mapper.chunk(chunk) : [];
    },
    whole: (body) => mapper.chunk(source.whole(body)),
    // No end marker and no finish_reason: the provider hung up mid-answer.
    finish: (cleanEnd) => (cleanEnd || source.done?.() || mapper.finishReason ? mapper.finish()
      : mapper.fail("stream_error", `stream error: the provider closed the stream before ${source.endMarker}`)),
    fail: (code, message) => mapper.fail(code, message),
  };
}
