import { idleCollectionDue, shouldCollect } from "../../src/lib/gc-policy.js";
import { GcScheduler } from "../../src/lib/gc-scheduler.js";
import { capsKey, parseCapsFile } from "../../src/proxy/caps.js";
import { blamedQuirks, withoutQuirks } from "../../src/proxy/translate/openai-compat/quirks.js";
import type { ChatRequest } from "../../src/proxy/translate/chat/request.js";
import { redactSecrets } from "../../src/lib/redact.js";
import { Utf8StreamDecoder } from "../../src/lib/utf8-stream.js";
import { joinUrl } from "../../src/proxy/translate/contract.js";
import { describeUpstreamError, statusPhrase } from "../../src/proxy/errors.js";
import { percentile, ProxyMetrics } from "../../src/proxy/metrics.js";
import { modelsDocument, parseModelsFile } from "../../src/proxy/models.js";
import { ResponseStore } from "../../src/proxy/response-store.js";
import type { ResponseObject } from "../../src/proxy/responses/types.js";
import { DEFAULT_RETRY_POLICY, nextRetryDelay, parseRetryAfter, passOnRetryAfter, TurnRetryLedger, turnKey } from "../../src/proxy/retry-policy.js";
import { formatSse, JsonLinesParser, SseOverflowError, SseParser } from "../../src/proxy/sse.js";

describe("retry policy", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("2", 0)).toBe(2000);
    expect(parseRetryAfter("1.5", 0)).toBe(1500);
    expect(parseRetryAfter("Wed, 25 Nov 2026 12:00:10 GMT", Date.parse("Wed, 25 Nov 2026 12:00:00 GMT"))).toBe(10000);
    expect(parseRetryAfter("soon", 0)).toBeNull();
    expect(parseRetryAfter(null, 0)).toBeNull();
  });

  it("waits out a short Retry-After on 429/502/503/504 itself; a long one, or none, is Codex's", () => {
    expect(nextRetryDelay({ kind: "status", status: 429, retryAfterMs: 3000 }, 0, DEFAULT_RETRY_POLICY)).toBe(3000);
    expect(nextRetryDelay({ kind: "status", status: 503, retryAfterMs: 5000 }, 1, DEFAULT_RETRY_POLICY)).toBe(5000);
    expect(nextRetryDelay({ kind: "status", status: 503, retryAfterMs: 5001 }, 0, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(nextRetryDelay({ kind: "status", status: 429, retryAfterMs: null }, 0, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(nextRetryDelay({ kind: "status", status: 502, retryAfterMs: null }, 0, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(nextRetryDelay({ kind: "status", status: 429, retryAfterMs: 1000, code: "insufficient_quota" }, 0, DEFAULT_RETRY_POLICY)).toBeNull();
  });

  it("retries a refused or reset connection with backoff and jitter, and nothing else that never reached the provider", () => {
    expect(nextRetryDelay({ kind: "connect-error", failure: "connection_refused" }, 0, DEFAULT_RETRY_POLICY, 0.5)).toBe(250);
    expect(nextRetryDelay({ kind: "connect-error", failure: "connection_reset" }, 1, DEFAULT_RETRY_POLICY, 0.5)).toBe(500);
    expect(nextRetryDelay({ kind: "connect-error", failure: "connection_reset" }, 1, DEFAULT_RETRY_POLICY, 0)).toBe(375);
    for (const failure of ["timeout", "dns", "tls", "other"])
      expect(nextRetryDelay({ kind: "connect-error", failure }, 0, DEFAULT_RETRY_POLICY)).withContext(failure).toBeNull();
  });

  it("does not retry other statuses, nor past the turn's budget", () => {
    for (const status of [400, 401, 403, 404, 500]) expect(nextRetryDelay({ kind: "status", status, retryAfterMs: 1 }, 0, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(DEFAULT_RETRY_POLICY.turnBudget).toBe(2);
    expect(nextRetryDelay({ kind: "status", status: 429, retryAfterMs: 1 }, 2, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(nextRetryDelay({ kind: "connect-error", failure: "connection_refused" }, 2, DEFAULT_RETRY_POLICY)).toBeNull();
  });

  it("passes a 429 on with the provider's Retry-After, or a growing one, never for a spent quota", () => {
    expect(passOnRetryAfter(429, 2500, null, 1)).toBe(3);
    expect([1, 2, 3, 4, 9].map((n) => passOnRetryAfter(429, null, null, n))).toEqual([1, 2, 4, 8, 30]);
    expect(passOnRetryAfter(429, null, "insufficient_quota", 1)).toBeNull();
    expect(passOnRetryAfter(503, 1000, null, 1)).toBeNull();
  });

  it("keys the budget by Codex's turn, and keeps a bounded ledger", () => {
    const meta = JSON.stringify({ session_id: "s1", turn_id: "t1", sandbox: "read-only" });
    expect(turnKey(meta, null)).toBe("s1/t1");
    expect(turnKey(JSON.stringify({ turn_id: "t2" }), "s2")).toBe("s2/t2");
    expect(turnKey(null, "s2")).toBeNull();
    expect(turnKey("{not json", "s2")).toBeNull();
    const ledger = new TurnRetryLedger(1000, 3);
    ledger.spendRetry("a", 0);
    ledger.spendRetry("a", 10);
    expect(ledger.retriesSpent("a", 20)).toBe(2);
    expect(ledger.retriesSpent("a", 2000)).toBe(0); // forgotten after its TTL
    expect(ledger.throttled("b", 0)).toBe(1);
    expect(ledger.throttled("b", 1)).toBe(2);
    for (const key of ["c", "d", "e", "f"]) ledger.spendRetry(key, 5);
    expect(ledger.size).toBeLessThanOrEqual(3);
  });
});

describe("SSE", () => {
  it("parses frames split anywhere, with CRLF, comments and multi-line data", () => {
    const parser = new SseParser();
    const text = ": keep-alive\r\nevent: a\r\ndata: {\"x\":\r\ndata: 1}\r\n\r\ndata: second\n\n";
    const out = [];
    for (const ch of text) out.push(...parser.feed(ch));
    expect(out).toEqual([{ event: "a", data: "{\"x\":\n1}" }, { event: null, data: "second" }]);
  });

  it("flushes a last frame without a blank line at the end", () => {
    const parser = new SseParser();
    expect(parser.feed("data: [DONE]")).toEqual([]);
    expect(parser.end()).toEqual([{ event: null, data: "[DONE]" }]);
  });

  it("bounds an unfinished message", () => {
    const parser = new SseParser(1000);
    expect(() => parser.feed(`data: ${"x".repeat(2000)}`)).toThrowError(SseOverflowError);
  });

  it("reads one JSON document per line, with or without a data: prefix, split anywhere", () => {
    const parser = new JsonLinesParser();
    const text = "{\"a\":1}\r\n\ndata: {\"b\":2}\n: comment\nevent: x\n{\"c\":3}";
    const out = [];
    for (const ch of text) out.push(...parser.feed(ch));
    out.push(...parser.end());
    expect(out.map((m) => m.data)).toEqual(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    expect(() => new JsonLinesParser(100).feed("x".repeat(200))).toThrowError(SseOverflowError);
  });

  it("formats named events", () => {
    expect(formatSse("response.completed", { a: 1 })).toBe("event: response.completed\ndata: {\"a\":1}\n\n");
  });
});

describe("Utf8StreamDecoder", () => {
  it("keeps multi-byte characters split across chunks intact", () => {
    const bytes = new TextEncoder().encode("héllo → 世界 🎉");
    const decoder = new Utf8StreamDecoder();
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += decoder.decode(bytes.subarray(i, i + 1));
    expect(text + decoder.end()).toBe("héllo → 世界 🎉");
  });
});

describe("upstream URL and errors", () => {
  it("joins base URLs without doubling paths", () => {
    expect(joinUrl("https://api.deepseek.com/v1", "chat/completions")).toBe("https://api.deepseek.com/v1/chat/completions");
    expect(joinUrl("https://api.deepseek.com/v1/", "chat/completions")).toBe("https://api.deepseek.com/v1/chat/completions");
    expect(joinUrl("https://x/v1/chat/completions", "chat/completions")).toBe("https://x/v1/chat/completions");
    expect(joinUrl("https://x/v1/chat/completions", "models")).toBe("https://x/v1/models");
    expect(joinUrl("https://api.perplexity.ai", "chat/completions")).toBe("https://api.perplexity.ai/chat/completions");
  });

  it("finds the message in the error bodies providers send", () => {
    expect(describeUpstreamError(401, JSON.stringify({ error: { message: "bad key", code: "invalid_api_key" } }))).toEqual({ message: "bad key", code: "invalid_api_key" });
    expect(describeUpstreamError(400, JSON.stringify({ error: "Model not found" }))).toEqual({ message: "Model not found", code: null });
    expect(describeUpstreamError(429, JSON.stringify([{ error: { message: "quota", status: "RESOURCE_EXHAUSTED" } }]))).toEqual({ message: "quota", code: "RESOURCE_EXHAUSTED" });
    expect(describeUpstreamError(502, "<html>Bad gateway</html>").message).toBe("<html>Bad gateway</html>");
    expect(describeUpstreamError(503, "").message).toBe("HTTP 503");
    expect(statusPhrase(429)).toBe("Too Many Requests");
  });
});

describe("redaction", () => {
  it("hides keys, bearer tokens and key=value secrets, and literal secrets", () => {
    const text = 'Authorization: Bearer abc.def-123456 key sk-proj-abcdefghijklmnop {"api_key": "hunter22"} AIzaSyA1234567890123456789012345 custom-literal-xyz';
    const out = redactSecrets(text, ["custom-literal-xyz"]);
    expect(out).not.toMatch(/abc\.def-123456|abcdefghijklmnop|hunter22|AIzaSyA123|custom-literal-xyz/);
    expect(out).toContain("Bearer [redacted]");
  });
});

describe("metrics", () => {
  it("computes nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
  });

  it("keeps only recent latency samples", () => {
    const m = new ProxyMetrics(3, 1000);
    for (let i = 0; i < 5; i++) m.recordRequest(200, i, null, i * 100);
    expect(m.snapshot(400).latency_ms.samples).toBe(3);
    expect(m.snapshot(5000).latency_ms.samples).toBe(0);
    expect(m.snapshot(5000).requests_by_status).toEqual({ "200": 5 });
  });
});

describe("ResponseStore", () => {
  const response = (id: string, text = "x"): ResponseObject => ({ id, object: "response", created_at: 0, status: "completed", model: "m",
    output: [{ type: "message", id: `msg_${id}`, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
    parallel_tool_calls: true, tool_choice: "auto", tools: [], error: null, incomplete_details: null, usage: null });

  it("returns the conversation of a stored response until its TTL", () => {
    const store = new ResponseStore(600_000);
    store.put(response("r1"), [{ type: "message", role: "user", content: "hi" }], 0);
    expect(store.history("r1", 599_999)!.length).toBe(2);
    expect(store.history("r1", 600_000)).toBeNull();
    expect(store.size).toBe(0);
  });

  it("drops the oldest entries beyond the count and size bounds", () => {
    const store = new ResponseStore(600_000, 2, 10_000);
    for (const id of ["a", "b", "c"]) store.put(response(id), [], 0);
    expect(store.get("a", 0)).toBeNull();
    expect(store.get("c", 0)).not.toBeNull();
    store.put(response("big", "y".repeat(20_000)), [], 0);
    expect(store.get("big", 0)).toBeNull();
    expect(store.bytes).toBeLessThanOrEqual(10_000);
  });
});

describe("models file", () => {
  it("accepts the list shapes people write", () => {
    expect(parseModelsFile('["a","b","a"]', "f")).toEqual(["a", "b"]);
    expect(parseModelsFile('{"models":["m"]}', "f")).toEqual(["m"]);
    expect(parseModelsFile('{"data":[{"id":"x"},{"name":"y"}]}', "f")).toEqual(["x", "y"]);
    expect(() => parseModelsFile('{"x":1}', "f.json")).toThrowError(/must hold a list/);
    expect(() => parseModelsFile("nope", "f.json")).toThrowError(/not valid JSON/);
    expect(modelsDocument(["a"], 1).data[0]).toEqual({ id: "a", object: "model", created: 1, owned_by: "codex-launcher" });
  });
});

describe("GC policy", () => {
  const policy = { workThreshold: 1000, requestWeight: 100, idleMs: 1000, requestPathSlack: 4 };
  it("collects mid-work only after enough work went through", () => {
    expect(shouldCollect(policy, 999)).toBeFalse();
    expect(shouldCollect(policy, 1000)).toBeTrue();
  });
  it("lets a collection wait on a request's own path, within bounds", () => {
    expect(shouldCollect(policy, 1000, true)).toBeFalse();
    expect(shouldCollect(policy, 3999, true)).toBeFalse();
    expect(shouldCollect(policy, 4000, true)).toBeTrue();
  });
  it("collects leftovers once the proxy has been quiet for idleMs", () => {
    expect(idleCollectionDue(policy, 1500, 1000, 10)).toBeFalse();
    expect(idleCollectionDue(policy, 2000, 1000, 10)).toBeTrue();
    expect(idleCollectionDue(policy, 9000, 1000, 0)).toBeFalse(); // nothing to collect
  });

  function scheduler() {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    let collections = 0;
    const gc = new GcScheduler(policy, () => collections++, () => now, (fn, ms) => timers.push({ at: now + ms, fn }));
    const advance = (ms: number) => {
      now += ms;
      for (let t = timers.findIndex((x) => x.at <= now); t >= 0; t = timers.findIndex((x) => x.at <= now)) timers.splice(t, 1)[0].fn();
    };
    return { gc, advance, timers, collections: () => collections };
  }

  it("does not collect at the end of each request: back-to-back requests never wait for a collection", () => {
    const s = scheduler();
    for (let i = 0; i < 5; i++) {
      s.gc.processed(150);
      s.gc.workDone();
      s.advance(100);
    }
    expect(s.collections()).toBe(1); // 5 × (150 + 100) = 1250 ≥ 1000: once, by volume
    expect(s.timers.length).toBe(1); // one idle timer, not one per request
  });

  it("never collects before a first byte or at a request's end while a stream's next read can", () => {
    const s = scheduler();
    s.gc.requestData(900);
    s.gc.workDone(); // 1000: due, but this is a request's own path
    s.gc.requestData(900);
    expect(s.collections()).toBe(0);
    s.gc.processed(10); // the next read of a stream: collected there
    expect(s.collections()).toBe(1);
    for (let i = 0; i < 40; i++) s.gc.requestData(100); // only requests: collected at 4 × the threshold
    expect(s.collections()).toBe(2);
  });

  it("collects what is left once work stops, then stays quiet", () => {
    const s = scheduler();
    s.gc.processed(300);
    s.gc.workDone();
    s.advance(600);
    s.gc.workDone(); // more work: the quiet spell starts again
    s.advance(600);
    expect(s.collections()).toBe(0);
    s.advance(500);
    expect(s.collections()).toBe(1);
    s.advance(10_000);
    expect(s.collections()).toBe(1);
    expect(s.timers.length).toBe(0);
  });
});

describe("provider quirks", () => {
  const body = (): ChatRequest => ({ model: "m", stream: true, stream_options: { include_usage: true }, reasoning_effort: "high",
    max_tokens: 100, messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, tool_calls: [{ id: "a", type: "function",
      function: { name: "f", arguments: "{}" } }], reasoning_content: "r" }, { role: "tool", tool_call_id: "a", content: "ok" }],
    tools: [{ type: "function", function: { name: "f", parameters: {}, strict: true } }] });

  it("finds the optional parameters an error message names", () => {
    expect(blamedQuirks("Unrecognized request argument supplied: stream_options", body())).toEqual(["stream_options"]);
    expect(blamedQuirks("reasoning_effort is not supported for this model", body())).toEqual(["reasoning_effort"]);
    expect(blamedQuirks("Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.", body())).toEqual(["max_tokens"]);
    expect(blamedQuirks("messages[1].content: expected string, got null", body())).toEqual(["null_content"]);
    expect(blamedQuirks("Invalid 'tools[0].function': unknown field strict", body())).toEqual(["strict"]);
    expect(blamedQuirks("context length exceeded", body())).toEqual([]);
  });

  it("removes what was blamed, keeping the rest", () => {
    const out = withoutQuirks(body(), new Set(["stream_options", "max_tokens", "strict", "reasoning_content", "null_content"]));
    expect(out.stream_options).toBeUndefined();
    expect(out.max_tokens).toBeUndefined();
    expect(out.max_completion_tokens).toBe(100);
    expect(out.tools![0].function.strict).toBeUndefined();
    expect(out.messages[1].reasoning_content).toBeUndefined();
    expect(out.messages[1].content).toBe("");
    expect(out.reasoning_effort).toBe("high");
    expect(body().messages[1].content).toBeNull();
  });

  it("parses and rejects provider-caps.json shapes", () => {
    expect(parseCapsFile('{"version":1,"entries":{"u|m":{"drop":["user"],"learned_at":"2026-01-01T00:00:00Z"}}}').entries["u|m"].drop).toEqual(["user"]);
    expect(() => parseCapsFile('{"entries":[]}')).toThrowError(/expected/);
    expect(() => parseCapsFile('{"entries":{"k":{"drop":"x"}}}')).toThrowError(/malformed/);
    expect(capsKey("https://x/v1/", "m")).toBe("https://x/v1|m");
  });
});
