// A scriptable fake Chat Completions provider on 127.0.0.1 (a real libsoup server in the test process).
// Each request takes the next scripted reply; every request is recorded for assertions.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { GcScheduler } from "../../src/lib/gc-scheduler.js";
import { statusPhrase } from "../../src/proxy/errors.js";

/** `signature`: a Gemini thought signature sent as extra_content.google.thought_signature (Gemini's OpenAI-compatible API). */
export type ToolCallSpec = { name: string; arguments: string; id?: string; signature?: string };

export type Reply =
  | { kind: "text"; text: string; chunkSize?: number; delayMs?: number; reasoning?: string; usage?: { prompt: number; completion: number; cached?: number } | null;
      /** Nothing at all (not even the status line) for this long: a slow first byte. */
      firstByteDelayMs?: number }
  | { kind: "tools"; calls: ToolCallSpec[]; text?: string; reasoning?: string; usage?: { prompt: number; completion: number } }
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "cut"; text: string; partialCall?: ToolCallSpec } // some deltas (maybe half a tool call), then the TCP connection is dropped
  | { kind: "silence"; text?: string; beforeFirstByte?: boolean } // headers (and maybe a delta, or not one byte of body), then nothing
  | { kind: "die" } // the provider is killed as the request comes in: the connection closes unanswered, nothing listens any more
  | { kind: "stall" } // not even response headers: the connection stays open, silent
  | { kind: "truncated"; text: string } // some deltas, then a clean end of the body without finish_reason or [DONE]
  | { kind: "error_event"; text: string; error: Record<string, unknown> } // some deltas, then an error object in the stream (OpenRouter style)
  | { kind: "dynamic"; reply: (body: any) => Reply } // decided from the request body (a provider's own rules)
  | { kind: "json"; body: unknown } // a non-streamed chat.completion
  | { kind: "sse"; frames: string[] } // raw SSE frames, written as given
  | { kind: "rejects"; param: string; then: Reply } // 400 naming `param` while the request carries it
  | { kind: "anthropic"; text?: string; thinking?: string; calls?: ToolCallSpec[]; usage?: { input: number; output: number } }; // an Anthropic Messages stream

export interface Recorded {
  method: string;
  path: string;
  /** The query string, when the request had one. */
  query: string | null;
  headers: Record<string, string>;
  body: any;
  remotePort: number;
  /** Set when the client closed the connection before the reply was finished. */
  clientGone: boolean;
  /** Set once the whole reply was handed to libsoup. */
  replied?: boolean;
}

const encoder = new TextEncoder();

function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model: "fake-upstream",
    choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
}

function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts.length ? parts : [""];
}

function anthropicEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The event sequence the Anthropic Messages API streams. */
function anthropicFrames(reply: { text?: string; thinking?: string; calls?: ToolCallSpec[]; usage?: { input: number; output: number } }): string[] {
  const frames = [anthropicEvent("message_start", { message: { id: "msg_fake", type: "message", role: "assistant", model: "claude-fake", content: [],
    usage: { input_tokens: reply.usage?.input ?? 30, cache_read_input_tokens: 12, output_tokens: 1 } } })];
  let index = 0;
  if (reply.thinking) {
    frames.push(anthropicEvent("content_block_start", { index, content_block: { type: "thinking", thinking: "" } }));
    frames.push(anthropicEvent("content_block_delta", { index, delta: { type: "thinking_delta", thinking: reply.thinking } }));
    frames.push(anthropicEvent("content_block_stop", { index: index++ }));
  }
  if (reply.text) {
    frames.push(anthropicEvent("content_block_start", { index, content_block: { type: "text", text: "" } }));
    for (const part of splitText(reply.text, 5)) frames.push(anthropicEvent("content_block_delta", { index, delta: { type: "text_delta", text: part } }));
    frames.push(anthropicEvent("content_block_stop", { index: index++ }));
  }
  for (const call of reply.calls ?? []) {
    frames.push(anthropicEvent("content_block_start", { index, content_block: { type: "tool_use", id: call.id ?? `toolu_${index}`, name: call.name, input: {} } }));
    for (const part of splitText(call.arguments, 12)) frames.push(anthropicEvent("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: part } }));
    frames.push(anthropicEvent("content_block_stop", { index: index++ }));
  }
  frames.push(anthropicEvent("ping", {}));
  frames.push(anthropicEvent("message_delta", { delta: { stop_reason: reply.calls?.length ? "tool_use" : "end_turn" }, usage: { output_tokens: reply.usage?.output ?? 17 } }));
  frames.push(anthropicEvent("message_stop", {}));
  return frames;
}

/** The same answer as one non-streamed chat.completion (a provider that ignores `stream: true`). */
function wholeCompletion(reply: Reply): Reply {
  if (reply.kind !== "text" && reply.kind !== "tools") return reply;
  const message = reply.kind === "text" ? { role: "assistant", content: reply.text }
    : { role: "assistant", content: reply.text ?? null, tool_calls: reply.calls.map((c, i) => ({ id: c.id ?? `call_${i}`, type: "function", function: { name: c.name, arguments: c.arguments } })) };
  return { kind: "json", body: { id: "chatcmpl-whole", object: "chat.completion", created: 1, model: "fake-upstream",
    choices: [{ index: 0, message, finish_reason: reply.kind === "text" ? "stop" : "tool_calls" }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } } };
}

export class FakeProvider {
  readonly requests: Recorded[] = [];
  readonly script: Reply[] = [];
  readonly #server = new Soup.Server({});
  readonly #gc = new GcScheduler();
  #fallback: Reply = { kind: "text", text: "ok" };
  #requiredKey: string | null = null;
  #models = ["fake-a", "fake-b"];
  #streams = true;
  #callsTools = false;
  port = 0;

  constructor() {
    this.#server.add_handler(null, (_s, msg, path) => this.#handle(msg, path));
    // Small full collections as requests end, as the proxy does (src/lib/gc-scheduler.ts): an incremental
    // sweep of a heap grown by big request bodies would drop this test process's async callbacks.
    this.#server.connect("request-finished", () => this.#gc.workDone());
    this.#server.listen(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), 0 as Soup.ServerListenOptions);
    this.port = this.#server.get_uris()[0].get_port();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Queues replies for the next requests, in order. */
  then(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** The reply used once the script is empty. */
  otherwise(reply: Reply): this {
    this.#fallback = reply;
    return this;
  }

  /** Every request without `Authorization: Bearer <key>` gets a 401 (as a provider refusing a key). */
  requireKey(key: string): this {
    this.#requiredKey = key;
    return this;
  }

  /** What GET /models lists. */
  listModels(ids: string[]): this {
    this.#models = ids;
    return this;
  }

  /** false: a provider without SSE — a request asking to stream gets one whole chat.completion JSON. */
  streams(on: boolean): this {
    this.#streams = on;
    return this;
  }

  /** true: a request offering tools (with nothing scripted) is answered by a call of its first tool. */
  callsTools(on: boolean): this {
    this.#callsTools = on;
    return this;
  }

  chatRequests(): Recorded[] {
    return this.requests.filter((r) => r.path.endsWith("/chat/completions") || r.path.endsWith("/messages"));
  }

  stop(): void {
    this.#server.disconnect();
  }

  #handle(msg: Soup.ServerMessage, path: string): void {
    const headers: Record<string, string> = {};
    msg.get_request_headers().foreach((n, v) => (headers[n.toLowerCase()] = v));
    // toArray(), not get_data(): in gjs 1.74 get_data() keeps the whole buffer alive for good.
    const raw = new TextDecoder().decode(msg.get_request_body().flatten().toArray());
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      // recorded as text
    }
    const address = msg.get_remote_address() as Gio.InetSocketAddress | null;
    const record: Recorded = { method: msg.get_method(), path, query: msg.get_uri().get_query(), headers, body, remotePort: address?.get_port() ?? 0, clientGone: false };
    this.requests.push(record);
    if (this.#requiredKey !== null && headers.authorization !== `Bearer ${this.#requiredKey}`) {
      this.#json(msg, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
      return;
    }
    if (path.endsWith("/models")) {
      this.#json(msg, 200, { object: "list", data: this.#models.map((id) => ({ id, object: "model" })) });
      return;
    }
    const offered = (body as { tools?: { function?: { name?: string }; name?: string }[] } | null)?.tools ?? [];
    let reply = this.script.shift() ?? (this.#callsTools && offered.length
      ? { kind: "tools", calls: [{ name: offered[0].function?.name ?? offered[0].name ?? "tool", arguments: "{}" }] } : this.#fallback);
    if (!this.#streams && (body as { stream?: boolean } | null)?.stream) reply = wholeCompletion(reply);
    msg.connect("disconnected", () => (record.clientGone = true));
    // A write that fails ends the exchange with "finished" (not always "disconnected"): finished before
    // the whole reply was written means the client hung up.
    msg.connect("finished", () => {
      if (!record.replied) record.clientGone = true;
    });
    void this.#reply(msg, reply, record).finally(() => (record.replied = true));
  }

  #json(msg: Soup.ServerMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
    msg.set_status(status, statusPhrase(status));
    for (const [k, v] of Object.entries(headers)) msg.get_response_headers().replace(k, v);
    msg.set_response("application/json", Soup.MemoryUse.COPY, encoder.encode(typeof body === "string" ? body : JSON.stringify(body)));
  }

  async #reply(msg: Soup.ServerMessage, reply: Reply, record: Recorded): Promise<void> {
    if (reply.kind === "dynamic") reply = reply.reply(record.body);
    if (reply.kind === "rejects") {
      if (reply.param in (record.body ?? {})) {
        this.#json(msg, 400, { error: { message: `Unrecognized request argument supplied: ${reply.param}`, type: "invalid_request_error" } });
        this.script.unshift(reply); // keep rejecting until the parameter is gone
        return;
      }
      reply = reply.then;
    }
    switch (reply.kind) {
      case "status":
        this.#json(msg, reply.status, reply.body ?? { error: { message: `fake ${reply.status}`, type: "fake_error" } }, reply.headers);
        return;
      case "json":
        this.#json(msg, 200, reply.body);
        return;
      case "cut":
      case "silence":
      case "stall":
        await this.#raw(msg, reply, record);
        return;
      case "die":
        msg.steal_connection().close(null);
        this.stop();
        return;
    }
    const frames: string[] = [];
    if (reply.kind === "anthropic") {
      frames.push(...anthropicFrames(reply));
      return this.#stream(msg, frames, 0, record);
    }
    if (reply.kind === "text") {
      if (reply.firstByteDelayMs) {
        msg.pause(); // no reply until the delay is over
        await new Promise((r) => setTimeout(r, reply.firstByteDelayMs));
        if (record.clientGone) return;
      }
      frames.push(chunk({ role: "assistant", content: "" }));
      if (reply.reasoning) frames.push(chunk({ reasoning_content: reply.reasoning }));
      for (const part of splitText(reply.text, reply.chunkSize ?? 4)) frames.push(chunk({ content: part }));
      frames.push(chunk({}, "stop"));
      // usage: null — a provider that reports none.
      const usage = reply.usage === undefined ? { prompt: 11, completion: 7 } : reply.usage;
      if (usage) frames.push(`data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", choices: [],
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion,
          ...(usage.cached ? { prompt_tokens_details: { cached_tokens: usage.cached } } : {}) } })}\n\n`);
    } else if (reply.kind === "tools") {
      if (reply.reasoning) frames.push(chunk({ role: "assistant", content: null, reasoning_content: reply.reasoning }));
      frames.push(chunk({ role: "assistant", content: reply.text ?? null }));
      reply.calls.forEach((call, index) => {
        frames.push(chunk({ tool_calls: [{ index, id: call.id ?? `call_fake_${index}_${GLib.uuid_string_random().slice(0, 8)}`, type: "function",
          function: { name: call.name, arguments: "" }, ...(call.signature ? { extra_content: { google: { thought_signature: call.signature } } } : {}) }] }));
        for (const part of splitText(call.arguments, 16)) frames.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
      });
      frames.push(chunk({}, "tool_calls"));
      const usage = reply.usage ?? { prompt: 20, completion: 9 };
      frames.push(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } })}\n\n`);
    } else if (reply.kind === "sse") frames.push(...reply.frames);
    else if (reply.kind === "truncated" || reply.kind === "error_event") {
      frames.push(chunk({ role: "assistant", content: "" }));
      for (const part of splitText(reply.text, 4)) frames.push(chunk({ content: part }));
      // A clean end of the body with no finish_reason and no [DONE]: the provider stopped mid-answer.
      if (reply.kind === "truncated") return this.#stream(msg, frames, 0, record);
      frames.push(`data: ${JSON.stringify({ error: reply.error })}\n\n`);
    }
    frames.push("data: [DONE]\n\n");
    return this.#stream(msg, frames, reply.kind === "text" ? reply.delayMs ?? 0 : 0, record);
  }

  async #stream(msg: Soup.ServerMessage, frames: string[], delay: number, record: Recorded): Promise<void> {
    msg.set_status(200, null);
    const h = msg.get_response_headers();
    h.set_encoding(Soup.Encoding.CHUNKED);
    h.set_content_type("text/event-stream", null);
    msg.get_response_body().set_accumulate(false);
    msg.pause();
    for (const frame of frames) {
      if (record.clientGone) return;
      msg.get_response_body().append_bytes(new GLib.Bytes(encoder.encode(frame)));
      msg.unpause();
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
    msg.get_response_body().complete();
    msg.unpause();
  }

  /** Writes the HTTP response by hand on the stolen connection, to cut it or leave it silent. */
  async #raw(msg: Soup.ServerMessage, reply: Extract<Reply, { kind: "cut" | "silence" | "stall" }>, record: Recorded): Promise<void> {
    const stream = msg.steal_connection();
    if (reply.kind === "stall") {
      stream.get_input_stream().read_bytes_async(1, GLib.PRIORITY_DEFAULT, null, () => {
        record.clientGone = true;
        stream.close(null);
      });
      return;
    }
    const out = stream.get_output_stream();
    const hex = (s: string) => `${encoder.encode(s).length.toString(16)}\r\n${s}\r\n`;
    let text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (!(reply.kind === "silence" && reply.beforeFirstByte)) {
      text += hex(chunk({ role: "assistant", content: "" }));
      if (reply.text) text += hex(chunk({ content: reply.text }));
      if (reply.kind === "cut" && reply.partialCall) {
        const call = reply.partialCall;
        text += hex(chunk({ tool_calls: [{ index: 0, id: call.id ?? "call_cut_0", type: "function", function: { name: call.name, arguments: "" } }] }));
        text += hex(chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(0, Math.ceil(call.arguments.length / 2)) } }] }));
      }
    }
    out.write_all(encoder.encode(text), null);
    out.flush(null);
    if (reply.kind === "cut") {
      // A chunk announced and not delivered: the connection drops mid-body (libsoup: PARTIAL_INPUT). A
      // drop between two chunks reads as a clean end of the body instead ("truncated" covers that).
      out.write_all(encoder.encode(`400\r\ndata: {"choices":[{"index":0,"delta":{"content":"never fini`), null);
      out.flush(null);
      await new Promise((r) => setTimeout(r, 50));
      stream.close(null);
      return;
    }
    // Silence: keep the connection open until the client gives up.
    const input = stream.get_input_stream();
    input.read_bytes_async(1, GLib.PRIORITY_DEFAULT, null, () => {
      record.clientGone = true;
      stream.close(null);
    });
  }
}
