// A generated corpus of malformed Responses requests, from a real Codex request: wrong types in every
// field the proxy reads, broken items and tools, truncations, invalid UTF-8, deep nesting, huge strings,
// junk. Deterministic (a seeded generator), so a failure names the case that caused it.
//
// Pure (no gi://): it is also bundled for node (build/test/helpers/fuzz-corpus.mjs), where
// raw-http-batch.mjs generates and sends the cases, so their 100+ MB never sit in the gjs test process.

export interface FuzzCase {
  name: string;
  body: Uint8Array;
  /** Extra header lines (huge or many headers). */
  headers?: string[];
}

const encoder = new TextEncoder();
const WRONG_VALUES: unknown[] = [42, -1, 1.5, "str", true, null, {}, [], [null], [1, 2], { a: { b: [] } }];

/** `base` is a real Codex request body (the cases are variations of it). */
export function fuzzCorpus(base: Record<string, unknown>): FuzzCase[] {
  const json = (name: string, value: unknown): FuzzCase => ({ name, body: encoder.encode(JSON.stringify(value)) });
  const cases: FuzzCase[] = [];
  const fields = ["model", "input", "tools", "tool_choice", "parallel_tool_calls", "stream", "store", "max_output_tokens", "temperature", "top_p",
    "reasoning", "text", "previous_response_id", "instructions", "include", "metadata", "prompt_cache_key", "client_metadata"];
  for (const field of fields)
    WRONG_VALUES.forEach((v, i) => cases.push(json(`${field} = ${JSON.stringify(v)} (#${i})`, { ...base, [field]: v })));
  const input = base.input as unknown[];
  const badItems: unknown[] = [null, 1, "x", [], { type: 5 }, { role: 7, content: "x" }, { type: "message", content: 5 }, { type: "message", content: [null] },
    { type: "message", content: [{ type: 5 }] }, { type: "function_call_output", output: {} }, { type: "function_call", arguments: {} },
    { type: "function_call_output", call_id: 5, output: "x" }, { type: "message", role: "robot", content: "x" }, { type: "message", content: [{ type: "input_image", image_url: 7 }] }];
  for (let at = 0; at < 3; at++)
    badItems.forEach((item, i) => cases.push(json(`input[${at}] = bad item #${i}`, { ...base, input: input.map((x, j) => (j === at ? item : x)) })));
  const badTools: unknown[] = [[null], [1], [{}], [{ type: 5 }], [{ type: "function", parameters: "x" }], [{ type: "namespace", tools: "x" }],
    [{ type: "namespace", tools: [null] }], [{ type: "function", name: 5 }], [{ type: "custom", format: "lark" }], [{ type: "function", strict: "yes" }],
    [{ type: "namespace", name: "n", tools: [{ type: "namespace", tools: [{ type: "namespace", tools: [{ type: "namespace", tools: [{ type: "namespace", tools: [{ type: "function", name: "deep" }] }] }] }] }] }]];
  badTools.forEach((tools, i) => cases.push(json(`tools = bad #${i}`, { ...base, tools })));
  const nested: unknown[] = [{ effort: 5 }, { effort: ["high"] }, { summary: {} }];
  nested.forEach((reasoning, i) => cases.push(json(`reasoning nested #${i}`, { ...base, reasoning })));
  [{ format: 5 }, { format: { type: 7 } }, { verbosity: {} }].forEach((text, i) => cases.push(json(`text nested #${i}`, { ...base, text })));
  [{ type: 5 }, { type: "function", name: {} }, { type: "allowed_tools", tools: "x" }].forEach((tc, i) => cases.push(json(`tool_choice nested #${i}`, { ...base, tool_choice: tc })));
  // Truncations of the whole request at evenly spaced points.
  const whole = encoder.encode(JSON.stringify(base));
  for (let i = 1; i <= 80; i++) cases.push({ name: `truncated at ${i}/81`, body: whole.slice(0, Math.floor((whole.length * i) / 81)) });
  // Invalid UTF-8 spliced in at 20 places.
  for (let i = 0; i < 20; i++) {
    const at = Math.floor((whole.length * (i + 0.5)) / 20);
    cases.push({ name: `invalid UTF-8 at ${at}`, body: new Uint8Array([...whole.slice(0, at), 0xff, 0xfe, 0xc3, ...whole.slice(at)]) });
  }
  // Deep nesting, alone and inside a valid request.
  // Up to 4 MB of nesting here; the 8 MB nested body has its own spec (hostile-input.spec.ts).
  for (const depth of [100, 129, 130, 1000, 100_000, 800_000, 4_000_000]) {
    cases.push({ name: `[ nested ${depth}`, body: encoder.encode("[".repeat(depth)) });
    if (depth <= 800_000) cases.push({ name: `{"a": nested ${depth}`, body: encoder.encode("{\"a\":".repeat(depth)) });
  }
  cases.push(json("metadata nested 200 deep", { ...base, metadata: JSON.parse(`${"{\"a\":".repeat(200)}1${"}".repeat(200)}`) }));
  cases.push({ name: "strings with brackets inside stay shallow but a real deep value does not", body: encoder.encode(`{"model":"[[[[","input":${"[".repeat(150)}${"]".repeat(150)}}`) });
  // Huge strings and bodies.
  cases.push(json("5 MB model name", { ...base, model: "m".repeat(5 * 1024 * 1024) }));
  cases.push(json("5 MB of escapes", { ...base, input: "\\u0000".repeat(1024 * 1024) }));
  cases.push({ name: "33 MB body (over the 32 MB limit)", body: new Uint8Array(33 * 1024 * 1024).fill(0x20) });
  // Non-objects and junk.
  for (const text of ["1", "\"x\"", "[]", "null", "true", "", " ", "{", "}", "{\"model\":}", "{\"model\":\"m\",}", "{'model':'m'}"]) cases.push({ name: `body ${JSON.stringify(text)}`, body: encoder.encode(text) });
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 120; i++) {
    const junk = new Uint8Array(Math.floor(random() * 2000) + 1);
    for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(random() * 256);
    cases.push({ name: `random junk #${i} (${junk.length} bytes)`, body: junk });
  }
  // Huge and many headers.
  const valid = encoder.encode(JSON.stringify({ model: "m", input: "hi" }));
  cases.push({ name: "60 KB header", body: valid, headers: [`X-Big: ${"a".repeat(60_000)}`] });
  cases.push({ name: "100 KB header", body: valid, headers: [`X-Big: ${"a".repeat(100_000)}`] });
  cases.push({ name: "300 headers", body: valid, headers: Array.from({ length: 300 }, (_, i) => `X-H${i}: y`) });
  return cases;
}
