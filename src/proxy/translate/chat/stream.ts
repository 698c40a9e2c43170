// Chat Completions stream chunks → Responses API stream events. Pure; one instance per response.
import { randomId } from "../../../lib/ids.js";
import type { Json, OutputItem, ResponseObject, Usage } from "../../responses/types.js";
import type { ResponsesEvent } from "../contract.js";
import { isContextLengthError } from "../../errors.js";
import { idWithSignature } from "../thought-signature.js";
import { callFromChat, type ToolOrigin } from "../tools.js";
import { ThinkSplitter } from "./think-splitter.js";

export interface ChatChunk {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    delta?: {
      role?: string;
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: ChatToolCallDelta[];
      refusal?: string | null;
    };
    finish_reason?: string | null;
  }[];
  usage?: ChatUsage | null;
  error?: { message?: string; code?: string | number; type?: string };
}

/** Gemini's OpenAI-compatible endpoint puts a call's thought signature in extra_content.google. */
export interface ChatExtraContent {
  google?: { thought_signature?: string };
}

export interface ChatToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
  extra_content?: ChatExtraContent;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  prompt_cache_hit_tokens?: number;
}

export interface StreamContext {
  model: string;
  origins: ReadonlyMap<string, ToolOrigin>;
  parallelToolCalls: boolean;
  toolChoice: Json;
  responseId?: string;
  createdAt?: number;
}

interface OpenText {
  kind: "text" | "reasoning";
  id: string;
  outputIndex: number;
  text: string;
}

interface OpenCall {
  chatIndex: number;
  id: string;
  callId: string;
  name: string;
  args: string;
  outputIndex: number;
  /** Freeform tools are announced when complete: their input is unwrapped from the JSON arguments. */
  custom: boolean;
  announced: boolean;
  /** Gemini's thought signature, replayed through the item id (thought-signature.ts). */
  signature: string | null;
}

export function chatUsageToResponses(usage: ChatUsage): Usage {
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

export class ChatToResponsesStream {
  readonly response: ResponseObject;
  #seq = 0;
  #open: OpenText | null = null;
  #calls = new Map<number, OpenCall>();
  #items: { index: number; item: OutputItem }[] = [];
  #nextOutputIndex = 0;
  #finishReason: string | null = null;
  #splitter = new ThinkSplitter();
  #ended = false;

  constructor(private readonly ctx: StreamContext) {
    this.response = {
      id: ctx.responseId ?? randomId("resp"),
      object: "response",
      created_at: ctx.createdAt ?? Math.floor(Date.now() / 1000),
      status: "in_progress",
      model: ctx.model,
      output: [],
      parallel_tool_calls: ctx.parallelToolCalls,
      tool_choice: ctx.toolChoice,
      tools: [],
      error: null,
      incomplete_details: null,
      usage: null,
    };
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The provider's finish_reason, once it sent one. */
  get finishReason(): string | null {
    return this.#finishReason;
  }

  start(): ResponsesEvent[] {
    const snapshot = { ...this.response, output: [] };
    return [this.#event("response.created", { response: snapshot }), this.#event("response.in_progress", { response: snapshot })];
  }

  chunk(chunk: ChatChunk): ResponsesEvent[] {
    const events: ResponsesEvent[] = [];
    if (chunk.error) {
      const message = chunk.error.message ?? "upstream error";
      const code = String(chunk.error.code ?? chunk.error.type ?? "upstream_error");
      // Codex knows a full context window only by this code (it then says so and stops retrying).
      events.push(...this.fail(isContextLengthError(0, code, message) ? "context_length_exceeded" : code, message));
      return events;
    }
    if (chunk.model && this.response.model !== chunk.model) this.response.model = chunk.model;
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue; // n > 1 is not something Codex asks for
      const delta = choice.delta ?? {};
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) this.#appendText("reasoning", reasoning, events);
      const content = (delta.content ?? "") + (delta.refusal ?? "");
      if (content) {
        const piece = this.#splitter.push(content);
        if (piece.reasoning) this.#appendText("reasoning", piece.reasoning, events);
        if (piece.text) this.#appendText("text", piece.text, events);
      }
      const toolCalls = delta.tool_calls;
      if (toolCalls) for (let position = 0; position < toolCalls.length; position++) this.#toolCallDelta(toolCalls[position], position, events);
      if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    }
    if (chunk.usage) this.response.usage = chatUsageToResponses(chunk.usage);
    return events;
  }

  /** Closes every open item and ends the response as completed (or incomplete when cut by length). */
  finish(): ResponsesEvent[] {
    if (this.#ended) return [];
    const events: ResponsesEvent[] = [];
    const rest = this.#splitter.flush();
    if (rest.reasoning) this.#appendText("reasoning", rest.reasoning, events);
    if (rest.text) this.#appendText("text", rest.text, events);
    this.#closeText(events);
    for (const call of [...this.#calls.values()].sort((a, b) => a.outputIndex - b.outputIndex)) this.#closeCall(call, events);
    this.#calls.clear();
    this.response.output = this.#sortedItems();
    this.#ended = true;
    if (this.#finishReason === "length" || this.#finishReason === "content_filter") {
      this.response.status = "incomplete";
      this.response.incomplete_details = { reason: this.#finishReason === "length" ? "max_output_tokens" : "content_filter" };
      events.push(this.#event("response.incomplete", { response: this.response }));
    } else {
      this.response.status = "completed";
      events.push(this.#event("response.completed", { response: this.response }));
    }
    return events;
  }

  /** Ends the response as failed; Codex reports the message and may retry the turn. */
  fail(code: string, message: string): ResponsesEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    this.response.status = "failed";
    this.response.error = { code, message };
    this.response.output = this.#sortedItems();
    return [this.#event("response.failed", { response: this.response })];
  }

  #event(type: string, fields: Record<string, unknown>): ResponsesEvent {
    return { type, sequence_number: this.#seq++, ...fields };
  }

  #sortedItems(): OutputItem[] {
    return this.#items.sort((a, b) => a.index - b.index).map((e) => e.item);
  }

  #appendText(kind: OpenText["kind"], delta: string, events: ResponsesEvent[]): void {
    if (this.#open && this.#open.kind !== kind) this.#closeText(events);
    if (!this.#open) {
      const open: OpenText = { kind, id: randomId(kind === "text" ? "msg" : "rs"), outputIndex: this.#nextOutputIndex++, text: "" };
      this.#open = open;
      if (kind === "text") {
        events.push(this.#event("response.output_item.added", { output_index: open.outputIndex,
          item: { id: open.id, type: "message", status: "in_progress", role: "assistant", content: [] } }));
        events.push(this.#event("response.content_part.added", { item_id: open.id, output_index: open.outputIndex, content_index: 0,
          part: { type: "output_text", text: "", annotations: [] } }));
      } else {
        events.push(this.#event("response.output_item.added", { output_index: open.outputIndex,
          item: { id: open.id, type: "reasoning", summary: [] } }));
        events.push(this.#event("response.reasoning_summary_part.added", { item_id: open.id, output_index: open.outputIndex, summary_index: 0,
          part: { type: "summary_text", text: "" } }));
      }
    }
    const open = this.#open;
    open.text += delta;
    // The per-token events are built in one literal (same fields, same order as #event would give):
    // this runs for every token, and #event's spread makes two objects.
    if (kind === "text")
      events.push({ type: "response.output_text.delta", sequence_number: this.#seq++, item_id: open.id, output_index: open.outputIndex,
        content_index: 0, delta });
    else
      events.push({ type: "response.reasoning_summary_text.delta", sequence_number: this.#seq++, item_id: open.id,
        output_index: open.outputIndex, summary_index: 0, delta });
  }

  #closeText(events: ResponsesEvent[]): void {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    if (open.kind === "text") {
      const part = { type: "output_text" as const, text: open.text, annotations: [] };
      events.push(this.#event("response.output_text.done", { item_id: open.id, output_index: open.outputIndex, content_index: 0, text: open.text }));
      events.push(this.#event("response.content_part.done", { item_id: open.id, output_index: open.outputIndex, content_index: 0, part }));
      const item: OutputItem = { id: open.id, type: "message", status: "completed", role: "assistant", content: [part] };
      this.#items.push({ index: open.outputIndex, item });
      events.push(this.#event("response.output_item.done", { output_index: open.outputIndex, item }));
    } else {
      const part = { type: "summary_text" as const, text: open.text };
      events.push(this.#event("response.reasoning_summary_text.done", { item_id: open.id, output_index: open.outputIndex, summary_index: 0, text: open.text }));
      events.push(this.#event("response.reasoning_summary_part.done", { item_id: open.id, output_index: open.outputIndex, summary_index: 0, part }));
      const item: OutputItem = { id: open.id, type: "reasoning", summary: [part] };
      this.#items.push({ index: open.outputIndex, item });
      events.push(this.#event("response.output_item.done", { output_index: open.outputIndex, item }));
    }
  }

  #toolCallDelta(delta: ChatToolCallDelta, position: number, events: ResponsesEvent[]): void {
    // Providers that omit `index` send one call per entry; match by id when they repeat it.
    let chatIndex = delta.index;
    if (chatIndex === undefined) {
      const byId = delta.id ? [...this.#calls.values()].find((c) => c.callId === delta.id) : undefined;
      chatIndex = byId?.chatIndex ?? (delta.id || delta.function?.name ? this.#calls.size + position : Math.max(0, this.#calls.size - 1));
    }
    let call = this.#calls.get(chatIndex);
    if (!call) {
      this.#closeText(events); // text before a call is a finished thought
      call = { chatIndex, id: "", callId: delta.id || randomId("call"), name: "", args: "", outputIndex: this.#nextOutputIndex++, custom: false,
        announced: false, signature: null };
      this.#calls.set(chatIndex, call);
    }
    // Gemini sends it with the call's first delta, before the item is announced under its id.
    const signature = delta.extra_content?.google?.thought_signature;
    if (typeof signature === "string" && signature && !call.announced) call.signature = signature;
    if (delta.id && !call.announced) call.callId = delta.id;
    // The name comes whole in the first delta; some providers repeat it later, which must not append.
    if (delta.function?.name && !call.name) call.name = delta.function.name;
    const rawArgs = delta.function?.arguments as unknown;
    // Some providers send the arguments as a JSON object rather than a string.
    const args = typeof rawArgs === "string" ? rawArgs : rawArgs === undefined || rawArgs === null ? "" : JSON.stringify(rawArgs);
    if (!call.announced && call.name) {
      call.custom = this.ctx.origins.get(call.name)?.kind === "custom";
      if (!call.custom) {
        const mapped = callFromChat(call.name, "", this.ctx.origins);
        call.id = idWithSignature(randomId("fc"), call.signature);
        call.announced = true;
        events.push(this.#event("response.output_item.added", { output_index: call.outputIndex,
          item: { id: call.id, type: "function_call", status: "in_progress", arguments: "", call_id: call.callId, name: mapped.name,
            ...(mapped.type === "function_call" && mapped.namespace ? { namespace: mapped.namespace } : {}) } }));
        if (call.args) events.push(this.#event("response.function_call_arguments.delta", { item_id: call.id, output_index: call.outputIndex, delta: call.args }));
      }
    }
    if (args) {
      call.args += args;
      if (call.announced)
        events.push({ type: "response.function_call_arguments.delta", sequence_number: this.#seq++, item_id: call.id, output_index: call.outputIndex,
          delta: args });
    }
  }

  #closeCall(call: OpenCall, events: ResponsesEvent[]): void {
    if (!call.name) {
      // A call without a name cannot be run; keep the stream valid and say so in the text.
      call.name = "unnamed_tool";
    }
    const mapped = callFromChat(call.name, call.args, this.ctx.origins);
    let item: OutputItem;
    if (mapped.type === "custom_tool_call") {
      item = { id: idWithSignature(randomId("ctc"), call.signature), type: "custom_tool_call", status: "completed", call_id: call.callId, name: mapped.name, input: mapped.input,
        ...(mapped.namespace ? { namespace: mapped.namespace } : {}) };
      events.push(this.#event("response.output_item.added", { output_index: call.outputIndex, item: { ...item, status: "in_progress", input: "" } }));
      events.push(this.#event("response.custom_tool_call_input.delta", { item_id: item.id, output_index: call.outputIndex, delta: mapped.input }));
      events.push(this.#event("response.custom_tool_call_input.done", { item_id: item.id, output_index: call.outputIndex, input: mapped.input }));
    } else {
      if (!call.announced) {
        call.id = idWithSignature(randomId("fc"), call.signature);
        events.push(this.#event("response.output_item.added", { output_index: call.outputIndex,
          item: { id: call.id, type: "function_call", status: "in_progress", arguments: "", call_id: call.callId, name: mapped.name } }));
      }
      const args = call.args.trim() === "" ? "{}" : call.args;
      item = { id: call.id, type: "function_call", status: "completed", arguments: args, call_id: call.callId, name: mapped.name,
        ...(mapped.namespace ? { namespace: mapped.namespace } : {}) };
      events.push(this.#event("response.function_call_arguments.done", { item_id: call.id, output_index: call.outputIndex, arguments: args }));
    }
    this.#items.push({ index: call.outputIndex, item });
    events.push(this.#event("response.output_item.done", { output_index: call.outputIndex, item }));
  }
}

export interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; refusal?: string | null;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: string }; extra_content?: ChatExtraContent }[] }; finish_reason?: string | null }[];
  usage?: ChatUsage;
  error?: ChatChunk["error"];
}

/** A non-streamed chat.completion as one stream chunk, so both paths share a single mapping. */
export function completionAsChunk(completion: ChatCompletion): ChatChunk {
  if (completion.error) return { error: completion.error };
  const choice = completion.choices?.[0];
  const message = choice?.message ?? {};
  return {
    model: completion.model,
    choices: [{
      index: 0,
      delta: {
        content: message.content ?? null,
        reasoning_content: message.reasoning_content ?? message.reasoning ?? null,
        refusal: message.refusal ?? null,
        tool_calls: (message.tool_calls ?? []).map((c, index) => ({ index, id: c.id, function: c.function, ...(c.extra_content ? { extra_content: c.extra_content } : {}) })),
      },
      finish_reason: choice?.finish_reason ?? "stop",
    }],
    usage: completion.usage ?? null,
  };
}

/** A non-streamed chat.completion → the finished Responses object. */
export function chatCompletionToResponse(completion: ChatCompletion, ctx: StreamContext): ResponseObject {
  const stream = new ChatToResponsesStream(ctx);
  stream.chunk(completionAsChunk(completion));
  stream.finish();
  return stream.response;
}
