// The native backend: providers that speak the Responses API themselves (OpenAI). Events pass through;
// the translator only watches for the end of the response and its usage.
import { randomId } from "../../../lib/ids.js";
import type { InputItem, ResponseObject, ResponsesRequest } from "../../responses/types.js";
import { bearerHeaders, type BackendAdapter, type BackendDefinition, type ReplyTranslator, type ResponsesEvent } from "../contract.js";

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

export function nativeAdapter(): BackendAdapter {
  return {
    name: "native",
    prepare(request: ResponsesRequest, input: InputItem[], stream: boolean) {
      // previous_response_id was resolved by the proxy's own store, so the provider gets full input.
      const { previous_response_id: _dropped, ...rest } = request;
      const body = { ...rest, input, stream };
      return { path: "responses", body, notes: [], translator: () => new PassthroughTranslator(request.model ?? "") };
    },
  };
}

class PassthroughTranslator implements ReplyTranslator {
  response: ResponseObject;
  ended = false;
  #seq = 0;

  constructor(model: string) {
    this.response = { id: randomId("resp"), object: "response", created_at: Math.floor(Date.now() / 1000), status: "in_progress",
      model, output: [], parallel_tool_calls: true, tool_choice: "auto", tools: [], error: null, incomplete_details: null, usage: null };
  }

  start(): ResponsesEvent[] {
    return [];
  }

  message(data: unknown, event: string | null): ResponsesEvent[] {
    const e = data as ResponsesEvent & { response?: ResponseObject };
    if (!e || typeof e !== "object") return [];
    const type = typeof e.type === "string" ? e.type : event ?? "message";
    this.#seq = typeof e.sequence_number === "number" ? e.sequence_number + 1 : this.#seq + 1;
    if (e.response && typeof e.response === "object") this.response = e.response;
    if (TERMINAL.has(type)) this.ended = true;
    return [{ ...e, type }];
  }

  whole(body: unknown): ResponsesEvent[] {
    if (body && typeof body === "object" && (body as ResponseObject).object === "response") this.response = body as ResponseObject;
    this.ended = true;
    return [];
  }

  finish(_cleanEnd: boolean): ResponsesEvent[] {
    if (this.ended) return [];
    return this.fail("stream_incomplete", "upstream stream closed before response.completed");
  }

  fail(code: string, message: string): ResponsesEvent[] {
    if (this.ended) return [];
    this.ended = true;
    this.response = { ...this.response, status: "failed", error: { code, message } };
    return [{ type: "response.failed", sequence_number: this.#seq++, response: this.response }];
  }
}

export const nativeBackend: BackendDefinition = { headers: bearerHeaders, modelsPath: "models", create: () => nativeAdapter() };
