// A Gemini reply as one Responses stream, including the bounded auto-continue after MAX_TOKENS: the
// answer stays open, a follow-up request asks Gemini to go on, and its text lands in the same message.
// Pure; one instance per Codex request.
import type { ReplyTranslator, ResponsesEvent, UpstreamCall } from "../contract.js";
import { ChatToResponsesStream, type ChatChunk, type ChatUsage, type StreamContext } from "../chat/stream.js";
import { GeminiEvents } from "./events.js";

/** The seed's auto-continue was bounded; three follow-ups (four replies in all) at most. */
export const MAX_CONTINUATIONS = 3;

export interface GeminiReplyOptions {
  context: StreamContext;
  /** The follow-up call after a MAX_TOKENS stop, given all the text written so far. */
  continueWith?: (textSoFar: string) => UpstreamCall;
  maxContinuations?: number;
}

function addUsage(a: ChatUsage | null, b: ChatUsage | null): ChatUsage | null {
  if (!a) return b;
  if (!b) return a;
  return {
    prompt_tokens: (a.prompt_tokens ?? 0) + (b.prompt_tokens ?? 0),
    completion_tokens: (a.completion_tokens ?? 0) + (b.completion_tokens ?? 0),
    total_tokens: (a.total_tokens ?? 0) + (b.total_tokens ?? 0),
    prompt_tokens_details: { cached_tokens: (a.prompt_tokens_details?.cached_tokens ?? 0) + (b.prompt_tokens_details?.cached_tokens ?? 0) },
    completion_tokens_details: { reasoning_tokens: (a.completion_tokens_details?.reasoning_tokens ?? 0) + (b.completion_tokens_details?.reasoning_tokens ?? 0) },
  };
}

export class GeminiReplyTranslator implements ReplyTranslator {
  readonly #mapper: ChatToResponsesStream;
  readonly #events = new GeminiEvents();
  /** Usage of the replies before the current one (each follow-up is billed on its own). */
  #earlierUsage: ChatUsage | null = null;
  #roundStartText = 0;
  #continued = 0;
  #wantsMore = false;

  constructor(private readonly options: GeminiReplyOptions) {
    this.#mapper = new ChatToResponsesStream(options.context);
  }

  get response() {
    return this.#mapper.response;
  }

  get ended(): boolean {
    return this.#mapper.ended;
  }

  /** How many follow-up requests this answer needed. */
  get continuations(): number {
    return this.#continued;
  }

  start(): ResponsesEvent[] {
    return this.#mapper.start();
  }

  message(data: unknown): ResponsesEvent[] {
    const chunk = this.#events.chunk(data);
    return chunk ? this.#forward(chunk) : [];
  }

  /** A non-streamed reply: one object, or the JSON array streamGenerateContent sends without alt=sse. */
  whole(body: unknown): ResponsesEvent[] {
    return (Array.isArray(body) ? body : [body]).flatMap((b) => this.message(b));
  }

  #forward(chunk: ChatChunk): ResponsesEvent[] {
    // The finish reason is held back: after MAX_TOKENS the answer may go on in a follow-up.
    const choices = chunk.choices?.map((c) => ({ ...c, finish_reason: null }));
    const usage = chunk.usage ? addUsage(this.#earlierUsage, chunk.usage) : undefined;
    return this.#mapper.chunk({ ...chunk, ...(choices ? { choices } : {}), ...(usage ? { usage } : {}) });
  }

  finish(cleanEnd: boolean): ResponsesEvent[] {
    if (this.ended) return [];
    const reason = this.#events.finishReason;
    // Gemini's SSE has no end marker; its finishReason says the answer is whole.
    if (!reason && !cleanEnd) return this.#mapper.fail("stream_error", "stream error: Gemini closed the stream before a finishReason");
    const wroteText = this.#events.text.length > this.#roundStartText;
    if (reason === "MAX_TOKENS" && this.#events.calls === 0 && wroteText && this.options.continueWith &&
      this.#continued < (this.options.maxContinuations ?? MAX_CONTINUATIONS)) {
      this.#wantsMore = true;
      return []; // left open: the route asks continuation() for the follow-up
    }
    const finish = this.#events.calls > 0 ? "tool_calls" : reason === "MAX_TOKENS" ? "length"
      : ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"].includes(reason ?? "") ? "content_filter" : "stop";
    return [...this.#mapper.chunk({ choices: [{ index: 0, delta: {}, finish_reason: finish }] }), ...this.#mapper.finish()];
  }

  fail(code: string, message: string): ResponsesEvent[] {
    return this.#mapper.fail(code, message);
  }

  continuation(): UpstreamCall | null {
    if (!this.#wantsMore || !this.options.continueWith) return null;
    this.#wantsMore = false;
    this.#continued++;
    this.#earlierUsage = addUsage(this.#earlierUsage, this.#events.usage);
    this.#events.usage = null;
    this.#events.finishReason = null;
    this.#roundStartText = this.#events.text.length;
    return this.options.continueWith(this.#events.text);
  }
}
