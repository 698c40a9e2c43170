// Responses ↔ Gemini (Code Assist) translation, pure: the schema sanitizer, the request mapping, the
// stream mapping with hidden thoughts and kept signatures, auto-continue, the login's refresh rules,
// and thought signatures through the shared Chat pivot (Gemini's OpenAI-compatible API).
import { responsesToChat, DEFAULT_CHAT_OPTIONS } from "../../src/proxy/translate/chat/request.js";
import { ChatToResponsesStream } from "../../src/proxy/translate/chat/stream.js";
import { AdapterError, type AdapterHttpRequest, type LoginFile, type UpstreamCall } from "../../src/proxy/translate/contract.js";
import { CodeAssistAdapter, ANTIGRAVITY_FALLBACK_URL } from "../../src/proxy/translate/gemini/code-assist.js";
import { GeminiEvents } from "../../src/proxy/translate/gemini/events.js";
import { GoogleLogin } from "../../src/proxy/translate/gemini/google-login.js";
import { GeminiReplyTranslator } from "../../src/proxy/translate/gemini/reply.js";
import { responsesToGemini, thinkingConfig } from "../../src/proxy/translate/gemini/request.js";
import { geminiParameters } from "../../src/proxy/translate/gemini/schema.js";
import { idWithSignature, signatureFromId, SKIP_SIGNATURE } from "../../src/proxy/translate/thought-signature.js";
import { captureBody, FIRST_TURN, FOLLOWUP_APPLY_PATCH, FOLLOWUP_FUNCTION } from "../helpers/captures.js";

const ALLOWED = new Set(["type", "format", "description", "title", "nullable", "enum", "properties", "required", "items", "anyOf", "minItems", "maxItems",
  "minLength", "maxLength", "pattern", "minimum", "maximum", "minProperties", "maxProperties", "propertyOrdering", "example", "default"]);

/** Every key Gemini would see, walking schemas (not the names inside `properties`). */
function unknownKeys(schema: any, path = "$"): string[] {
  if (!schema || typeof schema !== "object") return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (!ALLOWED.has(k)) out.push(`${path}.${k}`);
    if (k === "properties") for (const [name, sub] of Object.entries(v as object)) out.push(...unknownKeys(sub, `${path}.properties.${name}`));
    if (k === "items") out.push(...unknownKeys(v, `${path}.items`));
    if (k === "anyOf") (v as any[]).forEach((sub, i) => out.push(...unknownKeys(sub, `${path}.anyOf[${i}]`)));
  }
  return out;
}

describe("JSON Schema → Gemini parameters", () => {
  it("rebuilds schemas from what Gemini accepts", () => {
    const out = geminiParameters({
      $schema: "http://json-schema.org/draft-07/schema#", type: "object", additionalProperties: false,
      properties: {
        path: { type: ["string", "null"], format: "uri", description: "Where" },
        mode: { const: "fast" },
        level: { enum: [1, 2, 3], type: "integer" },
        tags: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
        choice: { oneOf: [{ type: "string" }, { type: "number" }] },
        maybe: { anyOf: [{ type: "boolean" }, { type: "null" }] },
        when: { type: "string", format: "date-time" },
      },
      required: ["path", "ghost"],
    })!;
    expect(out.properties).toEqual({
      path: { type: "string", nullable: true, description: "Where (format: uri)" },
      mode: { type: "string", enum: ["fast"] },
      level: { type: "integer", description: "(one of: 1, 2, 3)" },
      tags: { type: "array", items: { type: "string", minLength: 1 } },
      choice: { anyOf: [{ type: "string" }, { type: "number" }] },
      maybe: { type: "boolean", nullable: true },
      when: { type: "string", format: "date-time" },
    } as any);
    expect(out.required).toEqual(["path"]);
    expect(unknownKeys(out)).toEqual([]);
  });

  it("inlines $ref from $defs, cuts recursion, merges allOf, and leaves out empty parameters", () => {
    const out = geminiParameters({
      type: "object",
      $defs: { node: { type: "object", properties: { name: { type: "string" }, child: { $ref: "#/$defs/node" } } } },
      properties: { root: { $ref: "#/$defs/node" }, both: { allOf: [{ properties: { a: { type: "string" } }, required: ["a"] }, { properties: { b: { type: "number" } } }] } },
    })!;
    expect((out.properties as any).root.properties.name).toEqual({ type: "string" });
    expect((out.properties as any).root.properties.child).toEqual({ type: "string", description: "(JSON value)" });
    expect((out.properties as any).both).toEqual({ type: "object", properties: { a: { type: "string" }, b: { type: "number" } }, required: ["a"] } as any);
    expect(unknownKeys(out)).toEqual([]);
    expect(geminiParameters({ type: "object", properties: {} })).toBeNull();
    expect(geminiParameters(undefined)).toBeNull();
  });

  it("leaves nothing Gemini rejects in any tool Codex 0.169 sends", () => {
    for (const name of [FIRST_TURN, FOLLOWUP_APPLY_PATCH]) {
      const { request } = responsesToGemini(captureBody(name), "gemini-2.5-pro");
      for (const decl of request.tools![0].functionDeclarations) expect(unknownKeys(decl.parameters)).withContext(decl.name).toEqual([]);
      expect(request.tools![0].functionDeclarations.map((d) => d.name)).toContain("exec_command");
    }
  });
});

describe("Responses → Gemini request", () => {
  it("puts developer messages in systemInstruction and keeps user/model turns alternating, starting and ending with the user", () => {
    const { request } = responsesToGemini(captureBody(FIRST_TURN), "gemini-2.5-flash");
    expect(request.systemInstruction!.parts[0].text).toContain("Codex");
    expect(request.contents.map((c) => c.role)).toEqual(["user"]);
    expect(request.contents[0].parts.map((p) => p.text)).toEqual([jasmine.stringContaining("<environment_context>"), "run echo"]);
    const history = responsesToGemini({ model: "m", input: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "earlier" }] }] }, "gemini-2.5-flash");
    expect(history.request.contents.map((c) => c.role)).toEqual(["user", "model", "user"]);
  });

  it("maps a tool round trip: functionCall with the call id and its signature, functionResponse named after the call", () => {
    const capture = captureBody(FOLLOWUP_FUNCTION);
    const call = (capture.input as any[]).find((i) => i.type === "function_call");
    call.id = idWithSignature(call.id, "c2lnbmVk");
    const { request } = responsesToGemini(capture, "gemini-3-pro-preview");
    const [model, answer] = request.contents.slice(-2);
    expect(model).toEqual({ role: "model", parts: [{ functionCall: { name: "exec_command", args: JSON.parse(call.arguments), id: call.call_id }, thoughtSignature: "c2lnbmVk" }] });
    expect(answer.role).toBe("user");
    expect(answer.parts[0].functionResponse).toEqual({ name: "exec_command", id: call.call_id, response: { result: jasmine.stringContaining("hello-from-fake-upstream") } as any });
  });

  it("gives Gemini 3 the skip value for a call it did not sign, and nothing to 2.5", () => {
    const capture = captureBody(FOLLOWUP_FUNCTION);
    const three = responsesToGemini(capture, "gemini-3-pro-preview");
    expect(three.request.contents.find((c) => c.role === "model")!.parts[0].thoughtSignature).toBe(SKIP_SIGNATURE);
    expect(three.notes.some((n) => n.includes("skip value"))).toBeTrue();
    const two = responsesToGemini(capture, "gemini-2.5-pro");
    expect(two.request.contents.find((c) => c.role === "model")!.parts[0].thoughtSignature).toBeUndefined();
  });

  it("sends apply_patch as a one-string function and its history as {input}", () => {
    const capture = captureBody(FOLLOWUP_APPLY_PATCH);
    const custom = (capture.input as any[]).find((i) => i.type === "custom_tool_call");
    const { request, origins } = responsesToGemini(capture, "gemini-2.5-pro");
    expect(origins.get("apply_patch")?.kind).toBe("custom");
    const call = request.contents.find((c) => c.role === "model")!.parts.find((p) => p.functionCall)!;
    expect(call.functionCall!.args).toEqual({ input: custom.input });
  });

  it("maps thinking effort to budgets, tool_choice to functionCallingConfig, images to inline data", () => {
    expect(thinkingConfig("gemini-2.5-pro", "low")).toEqual({ includeThoughts: true, thinkingBudget: 2048 });
    expect(thinkingConfig("gemini-2.5-flash", "medium")).toEqual({ includeThoughts: true, thinkingBudget: 8192 });
    expect(thinkingConfig("gemini-3-pro-preview", "high")).toEqual({ includeThoughts: true, thinkingBudget: 24576 });
    expect(thinkingConfig("gemini-2.5-flash", undefined)).toEqual({ includeThoughts: true });
    expect(thinkingConfig("gemini-2.5-flash", "none")).toEqual({ includeThoughts: false, thinkingBudget: 0 });
    expect(thinkingConfig("gemini-2.0-flash", "high")).toBeUndefined();
    const tools = [{ type: "function", name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } }];
    const input: any[] = [{ type: "message", role: "user", content: [{ type: "input_text", text: "look" }, { type: "input_image", image_url: "data:image/png;base64,iVBORw0=" }] }];
    const required = responsesToGemini({ model: "m", tools, tool_choice: "required", input, max_output_tokens: 500, temperature: 0.2 }, "gemini-2.5-flash");
    expect(required.request.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(required.request.contents[0].parts[1]).toEqual({ inlineData: { mimeType: "image/png", data: "iVBORw0=" } });
    expect(required.request.generationConfig).toEqual(jasmine.objectContaining({ maxOutputTokens: 500, temperature: 0.2 }));
    const named = responsesToGemini({ model: "m", tools, tool_choice: { type: "function", name: "f" }, input }, "gemini-2.5-flash");
    expect(named.request.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
  });
});

describe("Gemini replies → Responses events", () => {
  const ctx = { model: "gemini-2.5-pro", origins: new Map(), parallelToolCalls: true, toolChoice: "auto" as const };

  it("hides thoughts, keeps a thought part's signature for the call after it, and reads usageMetadata", () => {
    const events = new GeminiEvents();
    expect(events.chunk({ response: { candidates: [{ content: { parts: [{ text: "secret plan", thought: true, thoughtSignature: "c2ln" }] } }] } })).toBeNull();
    const chunk = events.chunk({ response: { candidates: [{ content: { parts: [{ text: "Running it." }, { functionCall: { name: "exec_command", args: { cmd: "ls" } } }] },
      finishReason: "STOP" }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 7, totalTokenCount: 22, cachedContentTokenCount: 4 } } })!;
    const delta = chunk.choices![0].delta!;
    expect(delta.content).toBe("Running it.");
    expect(delta.tool_calls![0]).toEqual(jasmine.objectContaining({ index: 0, function: { name: "exec_command", arguments: '{"cmd":"ls"}' },
      extra_content: { google: { thought_signature: "c2ln" } } }));
    expect(chunk.choices![0].finish_reason).toBe("tool_calls");
    expect(chunk.usage).toEqual({ prompt_tokens: 10, completion_tokens: 12, total_tokens: 22, prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 7 } });
    expect(events.chunk({ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } })).toEqual({ error: { message: "quota", code: "RESOURCE_EXHAUSTED" } });
    expect(events.chunk({ candidates: [{ finishReason: "MALFORMED_FUNCTION_CALL" }] })!.error!.code).toBe("malformed_function_call");
  });

  it("puts the signature in the function_call item's id, where Codex sends it back", () => {
    const reply = new GeminiReplyTranslator({ context: ctx });
    reply.start();
    reply.message({ response: { candidates: [{ content: { parts: [{ functionCall: { name: "exec_command", args: { cmd: "ls" } }, thoughtSignature: "QUJD" }] }, finishReason: "STOP" }] } });
    reply.finish(false);
    const item = reply.response.output[0] as any;
    expect(item.type).toBe("function_call");
    expect(signatureFromId(item.id)).toBe("QUJD");
    expect(item.id.startsWith("fc_")).toBeTrue();
    expect(reply.response.status).toBe("completed");
  });

  it("continues after MAX_TOKENS at most three times, then ends as incomplete; a stream cut without finishReason fails", () => {
    const asked: string[] = [];
    const reply = new GeminiReplyTranslator({ context: ctx, continueWith: (text) => {
      asked.push(text);
      return { path: "next", body: {}, notes: [], translator: () => reply } as UpstreamCall;
    } });
    reply.start();
    for (let n = 1; n <= 4; n++) {
      reply.message({ candidates: [{ content: { parts: [{ text: `p${n} ` }] }, finishReason: "MAX_TOKENS" }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2 } });
      reply.finish(false);
      if (n < 4) {
        expect(reply.ended).toBeFalse();
        expect(reply.continuation()).not.toBeNull();
      }
    }
    expect(asked).toEqual(["p1 ", "p1 p2 ", "p1 p2 p3 "]);
    expect(reply.ended).toBeTrue();
    expect(reply.response.status).toBe("incomplete");
    expect(reply.response.usage!.input_tokens).toBe(4);
    expect((reply.response.output[0] as any).content[0].text).toBe("p1 p2 p3 p4 ");

    const cut = new GeminiReplyTranslator({ context: ctx });
    cut.start();
    cut.message({ candidates: [{ content: { parts: [{ text: "half" }] } }] });
    cut.finish(false);
    expect(cut.response.status).toBe("failed");
  });
});

describe("thought signatures through the Chat pivot (Gemini's OpenAI-compatible API)", () => {
  it("keeps extra_content.google.thought_signature in the item id and sends it back on the tool call", () => {
    expect(signatureFromId(idWithSignature("fc_1", "YWJj+/=="))).toBe("YWJj+/==");
    expect(signatureFromId("fc_plain")).toBeNull();
    expect(idWithSignature("fc_1", null)).toBe("fc_1");
    const stream = new ChatToResponsesStream({ model: "m", origins: new Map(), parallelToolCalls: true, toolChoice: "auto" });
    stream.chunk({ choices: [{ delta: { tool_calls: [{ id: "function-call-1", function: { name: "f", arguments: "{}" }, extra_content: { google: { thought_signature: "U0lH" } } }] }, finish_reason: "tool_calls" }] });
    stream.finish();
    const item = stream.response.output[0] as any;
    expect(signatureFromId(item.id)).toBe("U0lH");
    const chat = responsesToChat({ model: "m", input: [{ type: "message", role: "user", content: "x" }, item, { type: "function_call_output", call_id: item.call_id, output: "ok" }] }, DEFAULT_CHAT_OPTIONS);
    expect(chat.body.messages[1].tool_calls![0]).toEqual({ id: "function-call-1", type: "function", function: { name: "f", arguments: "{}" },
      extra_content: { google: { thought_signature: "U0lH" } } });
  });
});

class MemoryLogin implements LoginFile {
  readonly path = "/memory/creds.json";
  writes = 0;
  constructor(public text: string | null) {}
  read(): string | null {
    return this.text;
  }
  write(text: string): void {
    this.text = text;
    this.writes++;
  }
}

function creds(access: string, refresh: string, expiry: number): string {
  return JSON.stringify({ access_token: access, refresh_token: refresh, expiry_date: expiry });
}

describe("the Google login in the proxy", () => {
  const now = 1_700_000_000_000;

  it("renews once for parallel requests, writes the new token back, and remembers a refused login until the file changes", async () => {
    const file = new MemoryLogin(creds("ya29.old", "1//r1", now - 1));
    const sent: AdapterHttpRequest[] = [];
    let answer = { status: 200, text: JSON.stringify({ access_token: "ya29.new", expires_in: 3600 }) };
    // The OAuth client the launcher hands over in the proxy's environment.
    const env = (name: string) => ({ CODEX_LAUNCHER_GOOGLE_CLIENT_ID: "1-unit.apps.googleusercontent.com", CODEX_LAUNCHER_GOOGLE_CLIENT_SECRET: "unit-secret" })[name];
    const login = new GoogleLogin({ file, http: async (r) => (sent.push(r), answer), tokenUrl: "http://127.0.0.1:9/token", env, now: () => now, log: () => {},
      secret: () => {} });
    const tokens = await Promise.all([login.accessToken(), login.accessToken(), login.accessToken()]);
    expect(tokens).toEqual(["ya29.new", "ya29.new", "ya29.new"]);
    expect(sent.length).toBe(1);
    expect(sent[0].contentType).toBe("application/x-www-form-urlencoded");
    expect(String(sent[0].body)).toContain("client_secret=unit-secret");
    expect(JSON.parse(file.text!)).toEqual(jasmine.objectContaining({ access_token: "ya29.new", refresh_token: "1//r1", expiry_date: now + 3600_000 }));
    expect(await login.accessToken()).toBe("ya29.new"); // valid: no second refresh
    expect(sent.length).toBe(1);

    answer = { status: 400, text: JSON.stringify({ error: "invalid_grant", error_description: "Token has been expired or revoked." }) };
    await expectAsync(login.renewAfterRejection("ya29.new")).toBeRejectedWith(jasmine.objectContaining({ status: 401, code: "login_expired" }));
    await expectAsync(login.accessToken()).toBeRejectedWith(jasmine.any(AdapterError));
    expect(sent.length).toBe(2); // the dead login is not sent to Google again
    file.text = creds("ya29.fresh", "1//r2", now + 3600_000); // signed in again
    expect(await login.accessToken()).toBe("ya29.fresh");
  });

  it("says how to sign in when there is no usable login", async () => {
    const none = new GoogleLogin({ file: new MemoryLogin(null), http: undefined, now: () => now, log: () => {}, secret: () => {} });
    await expectAsync(none.accessToken()).toBeRejectedWith(jasmine.objectContaining({ code: "login_required", message: jasmine.stringContaining("Not signed in to Google") }));
    const broken = new GoogleLogin({ file: new MemoryLogin("{}"), http: undefined, now: () => now, log: () => {}, secret: () => {} });
    await expectAsync(broken.accessToken()).toBeRejectedWith(jasmine.objectContaining({ code: "login_required", message: jasmine.stringContaining("no refresh_token") }));
    // An expired access token and no OAuth client to renew it with: said plainly, and Google is not asked.
    const sent: AdapterHttpRequest[] = [];
    const noClient = new GoogleLogin({ file: new MemoryLogin(creds("ya29.old", "1//r1", now - 1)), http: async (r) => (sent.push(r), { status: 200, text: "{}" }),
      env: () => undefined, now: () => now, log: () => {}, secret: () => {} });
    await expectAsync(noClient.accessToken()).toBeRejectedWith(jasmine.objectContaining({ code: "token_refresh_failed",
      message: jasmine.stringContaining("CODEX_LAUNCHER_GOOGLE_CLIENT_ID") }));
    expect(sent.length).toBe(0);
  });
});

describe("the Code Assist adapter", () => {
  const now = 1_700_000_000_000;

  function adapter(flavour: "gemini-cli" | "antigravity", targetUrl: string) {
    const calls: AdapterHttpRequest[] = [];
    const a = new CodeAssistAdapter(flavour, {
      targetUrl, quirks: { quirksFor: () => new Set(), learn: () => {}, forget: () => {} }, now: () => now,
      login: new MemoryLogin(creds("ya29.ok", "1//r", now + 3600_000)),
      http: async (r) => {
        calls.push(r);
        return { status: 200, text: JSON.stringify({ currentTier: { id: "free-tier" }, cloudaicompanionProject: "p-1" }) };
      },
    });
    return { a, calls };
  }

  it("wraps the request in Code Assist's envelope with the discovered project, cached for the next request", async () => {
    const { a, calls } = adapter("gemini-cli", "http://127.0.0.1:9");
    const call = await a.prepare({ model: "gemini-2.5-pro", prompt_cache_key: "sess-1" }, [{ type: "message", role: "user", content: "hi" }], true);
    await a.prepare({ model: "gemini-2.5-pro" }, [{ type: "message", role: "user", content: "again" }], false);
    expect(calls.map((c) => c.url)).toEqual(["http://127.0.0.1:9/v1internal:loadCodeAssist"]);
    expect(call.path).toBe("v1internal:streamGenerateContent?alt=sse");
    expect(call.headers!.Authorization).toBe("Bearer ya29.ok");
    const body = call.body as any;
    expect(body).toEqual(jasmine.objectContaining({ model: "gemini-2.5-pro", project: "p-1" }));
    expect(body.user_prompt_id).toMatch(/^prompt_/);
    expect(body.request.session_id).toBe("sess-1");
    expect(body.request.contents).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
  });

  it("falls back to the daily endpoint for Antigravity when production fails, once, and only for Google's own base", async () => {
    const prod = adapter("antigravity", "https://cloudcode-pa.googleapis.com");
    const call = await prod.a.prepare({ model: "antigravity-gemini-3-flash" }, [{ type: "message", role: "user", content: "hi" }], true);
    expect((call.body as any).model).toBe("gemini-3-flash");
    const fallback = await call.retryAfterError!(503, "overloaded");
    expect(fallback!.call.url).toBe(`${ANTIGRAVITY_FALLBACK_URL}/v1internal:streamGenerateContent?alt=sse`);
    expect(await fallback!.call.retryAfterError!(503, "still")).toBeNull();
    const local = adapter("antigravity", "http://127.0.0.1:9");
    const localCall = await local.a.prepare({ model: "gemini-3-flash" }, [{ type: "message", role: "user", content: "hi" }], true);
    expect(await localCall.retryAfterError!(503, "overloaded")).toBeNull();
  });
});
