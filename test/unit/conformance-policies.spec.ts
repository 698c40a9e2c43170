// Unit specs for the pure policies behind issue 11: quirk blame and learning, silence bounds, context-length
// errors, failure classes, tool history as text, provider-caps.json edits, and the watchdog's reading.
import { capsByProvider, splitCapsKey, withoutProvider, withoutQuirksOf, type CapsData } from "../../src/proxy/caps.js";
import { isContextLengthError } from "../../src/proxy/errors.js";
import { formatLogLine } from "../../src/proxy/log-lines.js";
import { failureClass, ProxyMetrics } from "../../src/proxy/metrics.js";
import { silenceBounds, validBound, SILENCE_DEFAULTS } from "../../src/proxy/silence.js";
import type { QuirkMemory, UpstreamCall } from "../../src/proxy/translate/contract.js";
import { responsesToChat, toolHistoryAsText, type ChatRequest } from "../../src/proxy/translate/chat/request.js";
import { ChatToResponsesStream } from "../../src/proxy/translate/chat/stream.js";
import { blamedQuirks } from "../../src/proxy/translate/openai-compat/quirks.js";
import { adaptiveCall } from "../../src/proxy/translate/quirk-learning.js";
import { classifyLine } from "../../src/watchdog/signals.js";

const body = (): ChatRequest => ({ model: "m", stream: true, stream_options: { include_usage: true }, reasoning_effort: "high", parallel_tool_calls: true,
  tool_choice: "auto", user: "u1", max_tokens: 100,
  messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{}" } }],
    reasoning_content: "r" }, { role: "tool", tool_call_id: "a", content: "ok" }],
  tools: [{ type: "function", function: { name: "f", parameters: {}, strict: true } }] });

describe("quirk blame (issue 11: only what the provider calls unsupported)", () => {
  it("never blames a parameter the error says is required or must be passed back", () => {
    expect(blamedQuirks("The reasoning_content in the thinking mode must be passed back to the API.", body())).toEqual([]);
    expect(blamedQuirks("Missing `reasoning_content` field in the assistant message at message index 1.", body())).toEqual([]);
    expect(blamedQuirks("tool_choice is required when tools are given", body())).toEqual([]);
    expect(blamedQuirks("parallel_tool_calls: field required", body())).toEqual([]);
  });

  it("blames what the provider's own words reject, clause by clause", () => {
    expect(blamedQuirks("Invalid JSON payload received. Unknown name \"parallel_tool_calls\": Cannot find field.", body())).toEqual(["parallel_tool_calls"]);
    expect(blamedQuirks("body.stream_options: Extra inputs are not permitted", body())).toEqual(["stream_options"]);
    expect(blamedQuirks("property 'reasoning_effort' is unsupported", body())).toEqual(["reasoning_effort"]);
    expect(blamedQuirks("reasoning_effort is not supported. The reasoning_content must be passed back.", body())).toEqual(["reasoning_effort"]);
    expect(blamedQuirks("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", body())).toEqual(["max_tokens"]);
  });

  it("takes short ordinary words as parameters only when the message says so", () => {
    expect(blamedQuirks("Unknown role user in message 3", body())).toEqual([]);
    expect(blamedQuirks("Unknown parameter: 'user'.", body())).toEqual(["user"]);
    expect(blamedQuirks("strict mode is unsupported for tools[0]", body())).toEqual([]);
    expect(blamedQuirks("Invalid 'tools[0].function': unknown field strict", body())).toEqual(["strict"]);
  });
});

/** A memory like provider-caps.json's, in a Map. */
function memory(): QuirkMemory & { data: Map<string, Set<string>>; log: string[] } {
  const data = new Map<string, Set<string>>();
  const log: string[] = [];
  return {
    data, log,
    quirksFor: (k) => new Set(data.get(k) ?? []),
    learn: (k, q) => {
      log.push(`learn ${q.join(",")}`);
      data.set(k, new Set([...(data.get(k) ?? []), ...q]));
    },
    forget: (k, q) => {
      log.push(`forget ${q.join(",")}`);
      data.set(k, new Set([...(data.get(k) ?? [])].filter((x) => !q.includes(x))));
    },
  };
}

const build = (applied: ReadonlySet<string>): UpstreamCall => ({ path: "p", body: [...applied].sort(), notes: [], translator: () => { throw new Error("unused"); } });
const lessons = (_s: number, message: string) => (/unknown (\w+)/.exec(message)?.[1] ? [/unknown (\w+)/.exec(message)![1]] : []);

describe("quirk learning (issue 11: learned only once answered, forgotten when refused)", () => {
  it("keeps a lesson only after the adjusted call's answer completed", async () => {
    const m = memory();
    const first = adaptiveCall({ memory: m, key: "k", build, lessons });
    const retry = (await first.retryAfterError!(400, "unknown alpha"))!;
    expect(retry.dropped).toEqual(["alpha"]);
    expect(retry.call.body).toEqual(["alpha"]);
    expect(m.log).toEqual([]);
    const second = (await retry.call.retryAfterError!(400, "unknown beta"))!;
    expect(second.call.body).toEqual(["alpha", "beta"]);
    second.call.succeeded!();
    expect([...m.data.get("k")!].sort()).toEqual(["alpha", "beta"]);
  });

  it("never keeps a lesson whose retry failed", async () => {
    const m = memory();
    const first = adaptiveCall({ memory: m, key: "k", build, lessons });
    const retry = (await first.retryAfterError!(400, "unknown alpha"))!;
    expect(await retry.call.retryAfterError!(400, "something else is wrong")).toBeNull();
    expect(m.log).toEqual([]);
  });

  it("forgets remembered lessons that coincide with a refusal and asks again as the client asked", async () => {
    const m = memory();
    m.data.set("k", new Set(["alpha"]));
    const first = adaptiveCall({ memory: m, key: "k", build, lessons });
    expect(first.body).toEqual(["alpha"]);
    const again = (await first.retryAfterError!(400, "something else is wrong"))!;
    expect(again.call.body).toEqual([]);
    expect(again.reason).toContain("forgot alpha");
    expect(m.log).toEqual(["forget alpha"]);
    expect([...m.data.get("k")!]).toEqual([]);
    // Only 400/422 are about the request: a 5xx or 429 says nothing of the lessons.
    m.data.set("k", new Set(["alpha"]));
    const other = adaptiveCall({ memory: m, key: "k", build, lessons });
    expect(await other.retryAfterError!(503, "overloaded")).toBeNull();
    expect(m.log).toEqual(["forget alpha"]);
  });

  it("hands errors it does not understand to the adapter's other adjustments", async () => {
    const m = memory();
    const call = adaptiveCall({ memory: m, key: "k", build, lessons, otherwise: (status) => (status === 401 ? { call: build(new Set(["token"])), dropped: [], reason: "token refreshed" } : null) });
    expect((await call.retryAfterError!(401, "expired"))!.reason).toBe("token refreshed");
    expect(await call.retryAfterError!(500, "x")).toBeNull();
  });
});

describe("silence bounds", () => {
  it("gives reasoning models longer and everything else 30 s, with overrides on top", () => {
    for (const model of ["o3-mini", "gpt-5.5", "deepseek-reasoner", "qwen3-235b-a22b-thinking", "DeepSeek-R1", "gemini-2.5-pro", "claude-opus-4-7", "sonar-deep-research"])
      expect(silenceBounds(model).className).withContext(model).toBe("reasoning");
    for (const model of ["deepseek-chat", "gpt-4o-mini", "fake-model", "glm-5.1", "claude-sonnet-4-5", "gemini-2.0-flash", "llama-3.3-70b"])
      expect(silenceBounds(model)).withContext(model).toEqual({ className: "standard", firstByteS: 30, idleS: 30 });
    expect(silenceBounds("o3", { idleS: 200 })).toEqual({ className: "reasoning", firstByteS: 90, idleS: 200 });
    expect(SILENCE_DEFAULTS.at(-1)!.pattern).toBeNull();
    expect([0, 1, 3600, 3601, 2.5, "30", null].map(validBound)).toEqual([undefined, 1, 3600, undefined, undefined, undefined, undefined]);
  });
});

describe("context-length errors", () => {
  it("recognises the providers' wordings and codes", () => {
    const yes: [number, string | null, string][] = [
      [400, "context_length_exceeded", "anything"],
      [400, "invalid_request_error", "This model's maximum context length is 65536 tokens. However, you requested 70001 tokens."],
      [400, null, "prompt is too long: 210000 tokens > 200000 maximum"],
      [400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."],
      [413, null, "Request too large: input is too long for the model's context window"],
      [0, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"],
    ];
    for (const [status, code, message] of yes) expect(isContextLengthError(status, code, message)).withContext(message).toBeTrue();
    const no: [number, string | null, string][] = [
      [400, null, "max_tokens: 64000 exceeds this model's limit of 32768"],
      [429, null, "too many tokens per minute"],
      [400, null, "Invalid API key"],
      [500, null, "maximum context length exceeded"],
    ];
    for (const [status, code, message] of no) expect(isContextLengthError(status, code, message)).withContext(message).toBeFalse();
  });

  it("maps a provider's error event about the context to Codex's code", () => {
    const stream = new ChatToResponsesStream({ model: "m", origins: new Map(), parallelToolCalls: true, toolChoice: "auto" });
    const events = stream.chunk({ error: { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error" } });
    expect(events[0].type).toBe("response.failed");
    expect(stream.response.error?.code).toBe("context_length_exceeded");
  });
});

describe("upstream failure classes", () => {
  it("counts every failure in reset, timeout, provider_error, unreachable or other; a client that left is none", () => {
    expect(["connection_reset", "cut"].map((k) => failureClass(k as any))).toEqual(["reset", "reset"]);
    expect(["timeout", "first_byte_timeout", "idle_timeout"].map((k) => failureClass(k as any))).toEqual(["timeout", "timeout", "timeout"]);
    expect(["http_429", "http_5xx", "provider_error"].map((k) => failureClass(k as any))).toEqual(["provider_error", "provider_error", "provider_error"]);
    expect(failureClass("connection_refused")).toBe("unreachable");
    expect(failureClass("client_gone")).toBeNull();
    const metrics = new ProxyMetrics();
    metrics.recordUpstreamError("cut", "x", 0);
    metrics.recordUpstreamError("first_byte_timeout", "x", 0);
    metrics.recordUpstreamError("client_gone", "x", 0);
    expect(metrics.snapshot(0).upstream_failures).toEqual({ reset: 1, timeout: 1, provider_error: 0, unreachable: 0, other: 0 });
  });

  it("gives the watchdog a signal for each stream failure the proxy writes", () => {
    const fault = (fields: Record<string, string>) => {
      const s = classifyLine(formatLogLine("req_1", "stream_error", fields), "proxy.log", 0);
      return s ? `${s.faultId}:${s.category}` : null;
    };
    expect(fault({ kind: "cut" })).toBe("B6:connection_reset");
    expect(fault({ kind: "connection_reset" })).toBe("B6:connection_reset");
    expect(fault({ kind: "provider_error", code: "server_error" })).toBe("B6:stream_error");
    expect(fault({ kind: "provider_error", code: "context_length_exceeded" })).toBe("D5:context_overflow");
    expect(fault({ kind: "first_byte_timeout" })).toBe("B5:timeout");
    expect(fault({ kind: "idle_timeout" })).toBe("B5:stream_idle");
  });
});

describe("tool history without tools (Codex's compaction turn)", () => {
  it("sends calls and outputs as text when the request offers no tools", () => {
    const input = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "run it" }] },
      { type: "function_call", call_id: "c1", name: "exec_command", arguments: "{\"cmd\":\"ls\"}" },
      { type: "function_call_output", call_id: "c1", output: "a.txt" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "summarise" }] },
    ];
    const withTools = responsesToChat({ model: "m", input, tools: [{ type: "function", name: "exec_command", parameters: {} }] } as any).body;
    expect(withTools.messages.some((m) => m.role === "tool")).toBeTrue();
    const without = responsesToChat({ model: "m", input, tools: [], tool_choice: "auto" } as any).body;
    expect(without.tool_choice).toBeUndefined();
    expect(without.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "user"]);
    expect(without.messages[1].content).toBe("[called exec_command (call c1) with {\"cmd\":\"ls\"}]");
    expect(without.messages[2].content).toBe("Tool output (call c1):\na.txt");
    expect(toolHistoryAsText([{ role: "user", content: "x" }])).toEqual([{ role: "user", content: "x" }]);
  });
});

describe("provider-caps.json edits", () => {
  const data: CapsData = { version: 1, entries: {
    "https://api.deepseek.com/v1|deepseek-chat": { drop: ["reasoning_content", "user"], learned_at: "2026-11-27T10:00:00.000Z" },
    "https://api.deepseek.com/v1|deepseek-reasoner": { drop: ["tool_choice"], learned_at: "2026-11-25T10:00:00.000Z" },
    "http://127.0.0.1:11434/v1|qwen3": { drop: ["strict"], learned_at: "2026-11-27T10:00:00.000Z" },
  } };

  it("lists entries per provider, with stale ones marked", () => {
    const now = Date.parse("2026-11-27T12:00:00.000Z");
    const listed = capsByProvider(data, now);
    expect(listed.map((p) => p.provider)).toEqual(["http://127.0.0.1:11434/v1", "https://api.deepseek.com/v1"]);
    expect(listed[1].entries.map((e) => `${e.model}:${e.drop.join("+")}:${e.expired}`)).toEqual(["deepseek-chat:reasoning_content+user:false", "deepseek-reasoner:tool_choice:true"]);
    expect(splitCapsKey("https://x/v1|a|b")).toEqual({ provider: "https://x/v1|a", model: "b" });
  });

  it("clears one provider and forgets single lessons", () => {
    expect(Object.keys(withoutProvider(data, "https://api.deepseek.com/v1").entries)).toEqual(["http://127.0.0.1:11434/v1|qwen3"]);
    const forgot = withoutQuirksOf(data, "https://api.deepseek.com/v1|deepseek-chat", ["reasoning_content"]);
    expect(forgot.entries["https://api.deepseek.com/v1|deepseek-chat"].drop).toEqual(["user"]);
    expect(withoutQuirksOf(data, "http://127.0.0.1:11434/v1|qwen3", ["strict"]).entries["http://127.0.0.1:11434/v1|qwen3"]).toBeUndefined();
    expect(data.entries["https://api.deepseek.com/v1|deepseek-chat"].drop.length).toBe(2);
  });
});
