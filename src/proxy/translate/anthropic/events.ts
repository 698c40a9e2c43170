// Anthropic stream events (and a whole Messages reply) → Chat Completions chunks, so the one
// Chat→Responses mapper serves both. Pure; one instance per response (it keeps the usage).
import type { ChatChunk, ChatUsage } from "../chat/stream.js";

const FINISH: Record<string, string> = { end_turn: "stop", stop_sequence: "stop", tool_use: "tool_calls", max_tokens: "length", refusal: "content_filter", pause_turn: "stop" };

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export class AnthropicEvents {
  #input = 0;
  #cached = 0;
  #output = 0;
  /** Set by message_stop: the stream ended as Anthropic meant it to. */
  done = false;

  #usage(): ChatUsage {
    return { prompt_tokens: this.#input + this.#cached, completion_tokens: this.#output, total_tokens: this.#input + this.#cached + this.#output,
      prompt_tokens_details: { cached_tokens: this.#cached } };
  }

  #take(u: AnthropicUsage | undefined): void {
    if (!u) return;
    if (typeof u.input_tokens === "number") this.#input = u.input_tokens + (u.cache_creation_input_tokens ?? 0);
    if (typeof u.cache_read_input_tokens === "number") this.#cached = u.cache_read_input_tokens;
    if (typeof u.output_tokens === "number") this.#output = u.output_tokens;
  }

  /** One SSE event; null when it carries nothing for the client (ping, block stops). */
  event(data: Record<string, any>): ChatChunk | null {
    switch (data.type) {
      case "message_start":
        this.#take(data.message?.usage);
        return { model: data.message?.model };
      case "content_block_start": {
        const block = data.content_block ?? {};
        if (block.type === "tool_use")
          return { choices: [{ index: 0, delta: { tool_calls: [{ index: data.index, id: block.id, type: "function", function: { name: block.name, arguments: "" } }] } }] };
        if (block.type === "text" && block.text) return { choices: [{ index: 0, delta: { content: block.text } }] };
        return null;
      }
      case "content_block_delta": {
        const d = data.delta ?? {};
        if (d.type === "text_delta") return { choices: [{ index: 0, delta: { content: d.text } }] };
        if (d.type === "thinking_delta") return { choices: [{ index: 0, delta: { reasoning_content: d.thinking } }] };
        if (d.type === "input_json_delta") return { choices: [{ index: 0, delta: { tool_calls: [{ index: data.index, function: { arguments: d.partial_json } }] } }] };
        return null; // signature_delta and future kinds
      }
      case "message_delta":
        this.#take(data.usage);
        return { choices: [{ index: 0, delta: {}, finish_reason: FINISH[data.delta?.stop_reason] ?? "stop" }], usage: this.#usage() };
      case "message_stop":
        this.done = true;
        return null;
      case "error":
        return { error: { message: data.error?.message ?? "Anthropic stream error", type: data.error?.type, code: data.error?.type } };
      default:
        return null; // ping, content_block_stop
    }
  }

  /** A non-streamed Messages reply as one chunk. */
  whole(body: Record<string, any>): ChatChunk {
    if (body.type === "error" || body.error) return { error: { message: body.error?.message ?? "Anthropic error", code: body.error?.type } };
    this.#take(body.usage);
    const blocks: any[] = Array.isArray(body.content) ? body.content : [];
    let toolIndex = 0;
    return {
      model: body.model,
      choices: [{
        index: 0,
        delta: {
          content: blocks.filter((b) => b.type === "text").map((b) => b.text).join("") || null,
          reasoning_content: blocks.filter((b) => b.type === "thinking").map((b) => b.thinking).join("") || null,
          tool_calls: blocks.filter((b) => b.type === "tool_use").map((b) => ({ index: toolIndex++, id: b.id, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } })),
        },
        finish_reason: FINISH[body.stop_reason] ?? "stop",
      }],
      usage: this.#usage(),
    };
  }
}
