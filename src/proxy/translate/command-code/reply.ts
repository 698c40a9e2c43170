// A Command Code reply → Responses events. Text streams live (held back only from where tool-call
// markup may begin); at the end the parser chain recovers the calls, which become function_call
// items after the message, and cc-debug.log gets the lines the watchdog reads. Pure: the debug sink
// and the session state are passed in.
import type { Json, ResponseObject } from "../../responses/types.js";
import { ChatToResponsesStream, type ChatChunk } from "../chat/stream.js";
import type { ReplyTranslator, ResponsesEvent } from "../contract.js";
import { messageText, recoveredBy, recoverToolCalls, surfacedNote, type Recovery } from "./parser/chain.js";
import { argumentsObject, canonicalCall } from "./parser/calls.js";
import type { ParsedCall } from "./parser/types.js";
import { LiveText } from "./live-text.js";
import { sanitizerLine, streamEndLine, stuckLimitLine, stuckRecoveryLine, summaryLine, tame, type LineContext } from "./debug-lines.js";
import { readPart, type CcUsage } from "./stream-parts.js";
import { MAX_STUCK_RECOVERIES, type SessionState } from "./session.js";
import { fitCall, type ToolIndex } from "./tool-fit.js";

export interface CommandCodeReplyContext {
  model: string;
  tools: ToolIndex;
  parallelToolCalls: boolean;
  toolChoice: Json;
  session: SessionState;
  /** One cc-debug.log line. */
  debug: (line: string) => void;
}

export class CommandCodeReply implements ReplyTranslator {
  readonly #mapper: ChatToResponsesStream;
  readonly #live = new LiveText();
  readonly #native: ParsedCall[] = [];
  #stepUsage: CcUsage = { input: 0, output: 0, cached: 0 };
  #totalUsage: CcUsage | null = null;
  #sawEnd = false;
  #finishReason: string | null = null;

  constructor(private readonly ctx: CommandCodeReplyContext) {
    this.#mapper = new ChatToResponsesStream({ model: ctx.model, origins: ctx.tools.origins, parallelToolCalls: ctx.parallelToolCalls, toolChoice: ctx.toolChoice });
  }

  get response(): ResponseObject {
    return this.#mapper.response;
  }

  get ended(): boolean {
    return this.#mapper.ended;
  }

  get #lineContext(): LineContext {
    return { responseId: this.#mapper.response.id, session: this.ctx.session.id };
  }

  start(): ResponsesEvent[] {
    return this.#mapper.start();
  }

  message(data: unknown): ResponsesEvent[] {
    const events: ResponsesEvent[] = [];
    for (const part of readPart(data)) {
      switch (part.kind) {
        case "text": {
          const shown = this.#live.push(part.text);
          if (shown) events.push(...this.#mapper.chunk(content(shown)));
          break;
        }
        case "reasoning":
          if (part.text) events.push(...this.#mapper.chunk({ choices: [{ index: 0, delta: { reasoning_content: part.text } }] }));
          break;
        case "step":
          this.#sawEnd = true;
          if (part.usage) {
            this.#stepUsage = { input: this.#stepUsage.input + part.usage.input, output: this.#stepUsage.output + part.usage.output,
              cached: this.#stepUsage.cached + part.usage.cached };
          }
          this.#finishReason = part.reason ?? this.#finishReason;
          break;
        case "end":
          this.#sawEnd = true;
          if (part.usage && (part.usage.input || part.usage.output)) this.#totalUsage = part.usage;
          this.#finishReason = part.reason ?? this.#finishReason;
          break;
        case "tool-call":
          this.#native.push(canonicalCall(part.name, argumentsObject(part.args) ?? part.args, "native"));
          break;
        case "error":
          this.ctx.debug(streamEndLine(this.#lineContext, `stream error reported by Command Code: code=${tame(part.code)}`));
          events.push(...this.#mapper.fail(part.code, `Command Code error: ${part.message}`));
          return events;
      }
    }
    return events;
  }

  /** A non-streamed reply: `{text, usage}` or an error object. */
  whole(body: unknown): ResponsesEvent[] {
    const record = (body ?? {}) as Record<string, unknown>;
    if (record.error !== undefined) return this.message({ type: "error", error: record.error });
    const events = this.message({ type: "text-delta", text: typeof record.text === "string" ? record.text : "" });
    events.push(...this.message({ type: "finish", usage: record.usage }));
    return events;
  }

  finish(cleanEnd: boolean): ResponsesEvent[] {
    if (this.ended) return [];
    if (!cleanEnd && !this.#sawEnd && !this.#live.text) {
      this.ctx.debug(streamEndLine(this.#lineContext, "stream ended before any text or finish-step"));
      return this.#mapper.fail("stream_error", "stream error: Command Code closed the stream before finish-step");
    }
    if (!this.#sawEnd) this.ctx.debug(streamEndLine(this.#lineContext, "stream ended without finish-step; the answer is taken as it stands"));
    return this.#complete();
  }

  fail(code: string, message: string): ResponsesEvent[] {
    return this.#mapper.fail(code, message);
  }

  #complete(): ResponsesEvent[] {
    const { session } = this.ctx;
    const text = this.#live.text;
    // Reasoning in <think> blocks is not an answer: calls are looked for outside it (same positions).
    const outsideThinking = text.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, (m) => " ".repeat(m.length));
    const recovery = recoverToolCalls({ text: outsideThinking, userUrls: session.urls,
      stuckRecoveriesLeft: MAX_STUCK_RECOVERIES - session.stuckRecoveries, native: this.#native });
    if (recovery.layer3) session.stuckRecoveries++;
    this.#log(text, recovery);

    const events: ResponsesEvent[] = [];
    const texts: string[] = [];
    const tail = messageText(text, recovery.spans, this.#live.shownUpTo);
    if (tail.trim()) texts.push(this.#live.shownUpTo > 0 ? tail : tail.trimStart());
    const calls: { name: string; arguments: string }[] = [];
    for (const call of recovery.calls) {
      const fitted = fitCall(call, this.ctx.tools);
      if (fitted.kind === "text") texts.push(`\n\n${fitted.text}`);
      else calls.push(fitted);
    }
    const note = surfacedNote(recovery);
    if (note) texts.push(`${text.trim() ? "\n\n" : ""}${note}`);
    const joined = texts.join("").replace(/\s+$/, "");
    if (joined) events.push(...this.#mapper.chunk(content(joined)));
    if (calls.length)
      events.push(...this.#mapper.chunk({ choices: [{ index: 0, delta: { tool_calls: calls.map((c, index) => ({ index, function: { name: c.name, arguments: c.arguments } })) } }] }));
    const usage = this.#totalUsage ?? this.#stepUsage;
    events.push(...this.#mapper.chunk({
      choices: [{ index: 0, delta: {}, finish_reason: this.#finishReason === "length" ? "length" : calls.length ? "tool_calls" : "stop" }],
      usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output, prompt_tokens_details: { cached_tokens: usage.cached } },
    }));
    events.push(...this.#mapper.finish());
    return events;
  }

  #log(text: string, recovery: Recovery): void {
    const c = this.#lineContext;
    const { session } = this.ctx;
    for (const note of recovery.sanitizer) this.ctx.debug(sanitizerLine(c, note.index, "exec_command", note.flag, note.preview));
    if (recovery.layer3) this.ctx.debug(stuckRecoveryLine(c, recovery.layer3.stage, session.stuckRecoveries, MAX_STUCK_RECOVERIES, String(recovery.layer3.args.cmd ?? "")));
    if (recovery.stuckLimited) this.ctx.debug(stuckLimitLine(c, MAX_STUCK_RECOVERIES, text));
    this.ctx.debug(summaryLine(c, text, recovery, recoveredBy(recovery), session.stuckRecoveries, MAX_STUCK_RECOVERIES));
  }
}

function content(text: string): ChatChunk {
  return { choices: [{ index: 0, delta: { content: text } }] };
}
