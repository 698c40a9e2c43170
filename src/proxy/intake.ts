// POST /v1/responses intake: the body's bytes → a validated Responses request, or the client's error
// (4xx). Pure. Untrusted input is checked before it can cost the event loop anything: nesting depth
// with a byte scan before JSON.parse (gjs 1.74's parser is pathologically slow on deep nesting), then
// the types of every field the proxy reads, so a malformed shape is a 400 and never an exception deep
// in a translator.
import type { InputItem, ResponsesRequest } from "./responses/types.js";

export interface IntakeLimits {
  maxBodyBytes: number;
  /** Deepest [ / { nesting accepted (Codex's own requests, tool schemas included, stay far below). */
  maxDepth: number;
}

export const DEFAULT_MAX_DEPTH = 128;

export type Intake =
  | { ok: true; request: ResponsesRequest; input: InputItem[] }
  | { ok: false; status: number; code: string; message: string };

function refuse(status: number, code: string, message: string): Intake {
  return { ok: false, status, code, message };
}

/**
 * Nesting depth of arrays/objects in a JSON text fed in pieces (the body's chunks as they are stored),
 * counting only brackets outside strings. A hostile body is judged without ever being copied whole.
 */
export class NestingScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;
  deepest = 0;

  /** Feeds the next piece; false as soon as the depth passes `limit` (the rest need not be read). */
  feed(bytes: Uint8Array, limit = Infinity): boolean {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (this.#escaped) this.#escaped = false;
      else if (this.#inString) {
        if (b === 0x5c) this.#escaped = true; // backslash: the next byte is escaped
        else if (b === 0x22) this.#inString = false;
      } else if (b === 0x22) this.#inString = true;
      else if (b === 0x5b || b === 0x7b) {
        if (++this.#depth > this.deepest) {
          this.deepest = this.#depth;
          if (this.deepest > limit) return false;
        }
      } else if (b === 0x5d || b === 0x7d) this.#depth--;
    }
    return true;
  }
}

/** The deepest nesting of a whole JSON text; stops as soon as `limit` is passed. */
export function jsonNestingDepth(bytes: Uint8Array, limit = Infinity): number {
  const scanner = new NestingScanner();
  scanner.feed(bytes, limit);
  return scanner.deepest;
}

type Checker = (value: unknown, where: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function optional(check: Checker): Checker {
  return (v, where) => (v === undefined || v === null ? null : check(v, where));
}
const string: Checker = (v, where) => (typeof v === "string" ? null : `${where} must be a string`);
const boolean: Checker = (v, where) => (typeof v === "boolean" ? null : `${where} must be true or false`);
const number: Checker = (v, where) => (typeof v === "number" && Number.isFinite(v) ? null : `${where} must be a number`);
const positiveInteger: Checker = (v, where) => (Number.isInteger(v) && (v as number) > 0 ? null : `${where} must be a positive whole number`);
const object: Checker = (v, where) => (isObject(v) ? null : `${where} must be an object`);

function fields(spec: Record<string, Checker>): Checker {
  return (v, where) => {
    if (!isObject(v)) return `${where} must be an object`;
    for (const [key, check] of Object.entries(spec)) {
      const problem = check(v[key], `${where}.${key}`);
      if (problem) return problem;
    }
    return null;
  };
}

function arrayOf(check: Checker): Checker {
  return (v, where) => {
    if (!Array.isArray(v)) return `${where} must be an array`;
    for (let i = 0; i < v.length; i++) {
      const problem = check(v[i], `${where}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
}

function oneOf(...checks: Checker[]): (message: string) => Checker {
  return (message) => (v, where) => (checks.some((c) => c(v, where) === null) ? null : `${where} ${message}`);
}

const contentPart = fields({
  type: string, text: optional(string), refusal: optional(string), file_id: optional(string), detail: optional(string),
  image_url: optional(oneOf(string, fields({ url: string }))("must be a URL string or {url}")),
});
const content = oneOf(string, arrayOf(contentPart))("must be a string or an array of content parts");

const inputItem = fields({
  type: optional(string), role: optional(string), id: optional(string), status: optional(string), name: optional(string),
  namespace: optional(string), call_id: optional(string), arguments: optional(string), input: optional(string),
  content: optional(content), output: optional(content), summary: optional(arrayOf(contentPart)),
  encrypted_content: optional(string),
  tools: optional(arrayOf(object)), // the additional_tools item of Codex's "responses lite" form
});

function toolSpec(depth: number): Checker {
  return (v, where) => {
    const base = fields({ type: string, name: optional(string), description: optional(string), strict: optional(boolean),
      parameters: optional(object), format: optional(object) })(v, where);
    if (base) return base;
    const tools = (v as Record<string, unknown>).tools;
    if (tools === undefined || tools === null) return null;
    if (depth >= 4) return `${where}.tools nests too deep`;
    return arrayOf(toolSpec(depth + 1))(tools, `${where}.tools`);
  };
}

/** Model names are short words; a megabyte of "model" is an attack, not a model. */
const modelName: Checker = (v, where) => (typeof v !== "string" ? `${where} must be a string` : v.length > 256 ? `${where} is longer than 256 characters` : null);

const REQUEST_FIELDS: Record<string, Checker> = {
  model: modelName,
  instructions: optional(string),
  input: optional(oneOf(string, arrayOf(inputItem))("must be a string or an array of items")),
  tools: optional(arrayOf(toolSpec(0))),
  tool_choice: optional(oneOf(string, fields({ type: string, name: optional(string) }))("must be a string or an object with a string type")),
  parallel_tool_calls: optional(boolean),
  stream: optional(boolean),
  store: optional(boolean),
  max_output_tokens: optional(positiveInteger),
  temperature: optional(number),
  top_p: optional(number),
  reasoning: optional(object),
  text: optional(object),
  previous_response_id: optional(string),
  metadata: optional(object),
  include: optional(arrayOf(string)),
  prompt_cache_key: optional(string),
  client_metadata: optional(object),
};

/** The first problem with the request's shape, or null when every field the proxy reads has its type. */
export function validateResponsesRequest(request: Record<string, unknown>): string | null {
  for (const [key, check] of Object.entries(REQUEST_FIELDS)) {
    const problem = check(request[key], key);
    if (problem) return problem.replace(/^([^ ]+)/, "'$1'");
  }
  return null;
}

/** Bytes → request, or the 4xx the client gets. `forceModel` replaces the model before validation. */
export function parseResponsesBody(bytes: Uint8Array, limits: IntakeLimits, forceModel?: string): Intake {
  if (bytes.length > limits.maxBodyBytes) return refuse(413, "request_too_large", `request body is ${bytes.length} bytes; the limit is ${limits.maxBodyBytes}`);
  if (bytes.length === 0) return refuse(400, "invalid_json", "request body is empty; send a JSON object");
  const depth = jsonNestingDepth(bytes, limits.maxDepth);
  if (depth > limits.maxDepth) return refuse(400, "invalid_request", `request body nests deeper than ${limits.maxDepth} levels`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuse(400, "invalid_json", "request body is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return refuse(400, "invalid_json", `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) return refuse(400, "invalid_request", "request body must be a JSON object");
  if (forceModel) parsed.model = forceModel;
  const problem = validateResponsesRequest(parsed);
  if (problem) return refuse(400, "invalid_request", problem);
  const request = parsed as ResponsesRequest;
  const input: InputItem[] = typeof request.input === "string" ? [{ type: "message", role: "user", content: request.input }]
    : Array.isArray(request.input) ? request.input : [];
  return { ok: true, request, input };
}
