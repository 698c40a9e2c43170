// The proxy process between a client and a fake Chat Completions provider, both on loopback.
import GLib from "gi://GLib";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson, postSse, request } from "../helpers/http.js";
import { delay, waitFor } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const SECRET = "sk-test-SECRETKEY0123456789abcdef";

function readText(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

const turn = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "fake-model", stream: true, store: false,
  input: [{ type: "message", role: "developer", content: [{ type: "input_text", text: "Be helpful." }] },
    { type: "message", role: "user", content: [{ type: "input_text", text }] }],
  tools: [{ type: "function", name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false },
    { type: "web_search" }],
  tool_choice: "auto", parallel_tool_calls: true, ...extra,
});

const types = (events: { data: any }[]) => events.map((e) => e.data?.type);

describe("proxy translation end to end (fake provider)", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let dir: string;
  const log = () => readText(`${dir}/proxy.log`);

  beforeEach(async () => {
    dir = makeTempDir("proxy-e2e");
    provider = new FakeProvider();
    GLib.file_set_contents(`${dir}/models.json`, JSON.stringify(["model-a", "model-b"]));
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir, "--idle-timeout", "2", "--max-body-mb", "1",
      "--models-file", `${dir}/models.json`], { env: { CODEX_PROXY_API_KEY: SECRET } });
  });

  afterEach(async () => {
    await proxy.child.stop();
    provider.stop();
    removeTree(dir);
  });

  it("streams a text answer as Responses events and sends the provider a Chat Completions request", async () => {
    provider.then({ kind: "text", text: "Hello from the fake provider", usage: { prompt: 42, completion: 6 } });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("say hi"));
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toContain("text/event-stream");
    expect(types(reply.events)).toEqual(["response.created", "response.in_progress", "response.output_item.added",
      "response.content_part.added", ...Array(7).fill("response.output_text.delta"), "response.output_text.done",
      "response.content_part.done", "response.output_item.done", "response.completed"]);
    const done = reply.events.find((e) => e.data.type === "response.output_item.done")!.data;
    expect(done.item.content[0].text).toBe("Hello from the fake provider");
    const completed = reply.events[reply.events.length - 1].data;
    expect(completed.response.usage).toEqual(jasmine.objectContaining({ input_tokens: 42, output_tokens: 6, total_tokens: 48 }));

    const sent = provider.chatRequests()[0];
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers["authorization"]).toBe(`Bearer ${SECRET}`);
    expect(sent.body.messages).toEqual([{ role: "system", content: "Be helpful." }, { role: "user", content: "say hi" }]);
    expect(sent.body.stream).toBeTrue();
    expect(sent.body.tools.map((t: any) => t.function.name)).toEqual(["exec_command"]);
    await waitFor(() => /status=200 outcome=completed/.test(log()), 3000, "the request log line");
    expect(log()).toMatch(/req=req_\w+ request method=POST path=\/v1\/responses backend=openai-compat stream=true status=200 outcome=completed dur_ms=\d+ ttfb_ms=\d+ tokens_in=42 tokens_out=6 items=message model="fake-model"/);
    expect(log()).toContain('translate_note note="tool dropped: web_search (hosted tool; this provider cannot run it)"');
  });

  it("never writes the API key to proxy.log", async () => {
    provider.then({ kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${SECRET}` } } });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("x"));
    expect(reply.status).toBe(401);
    await waitFor(() => log().includes("status=401"), 3000, "the 401 line");
    expect(log()).not.toContain(SECRET);
    expect(log()).toContain("upstream_error kind=http_4xx status=401");
  });

  it("streams parallel tool calls as function_call items", async () => {
    provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: "{\"cmd\":\"ls -la\"}" }, { name: "exec_command", arguments: "{\"cmd\":\"pwd\"}" }] });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("list"));
    const items = reply.events.filter((e) => e.data.type === "response.output_item.done").map((e) => e.data.item);
    expect(items.map((i) => [i.type, i.name, i.arguments])).toEqual([["function_call", "exec_command", "{\"cmd\":\"ls -la\"}"],
      ["function_call", "exec_command", "{\"cmd\":\"pwd\"}"]]);
    expect(types(reply.events)).toContain("response.function_call_arguments.delta");
    expect(reply.events[reply.events.length - 1].data.type).toBe("response.completed");
  });

  it("retries a 429 after its Retry-After, then succeeds", async () => {
    provider.then({ kind: "status", status: 429, headers: { "Retry-After": "1" }, body: { error: { message: "slow down" } } }, { kind: "text", text: "after wait" });
    const started = Date.now();
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("x"));
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(provider.chatRequests().length).toBe(2);
    expect(log()).toMatch(/upstream_retry kind=http_429 status=429 attempt=1 of=2 delay_s=1 detail="HTTP 429 Too Many Requests"/);
  });

  it("passes a persistent 429 through with a Retry-After and an OpenAI-shaped error, after the budget's 2 retries", async () => {
    provider.otherwise({ kind: "status", status: 429, headers: { "Retry-After": "0" }, body: { error: { message: "quota", code: "rate_limit" } } });
    const reply = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")));
    expect(reply.status).toBe(429);
    // At least a second: a client told "0" retries in a tight loop.
    expect(reply.headers["retry-after"]).toBe("1");
    expect(reply.json().error).toEqual(jasmine.objectContaining({ message: "upstream HTTP 429: quota", code: "rate_limit", type: "rate_limit_error" }));
    expect(provider.chatRequests().length).toBe(3);
  });

  it("spends one budget per Codex turn: the next attempt of the same turn is not retried again", async () => {
    provider.otherwise({ kind: "status", status: 429, headers: { "Retry-After": "0" }, body: { error: { message: "slow down" } } });
    const headers = { "x-codex-turn-metadata": JSON.stringify({ session_id: "s-1", turn_id: "t-1" }) };
    const first = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")), headers);
    const second = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")), headers);
    expect([first.status, second.status]).toEqual([429, 429]);
    expect(provider.chatRequests().length).toBe(4);
    const other = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")), { "x-codex-turn-metadata": JSON.stringify({ session_id: "s-1", turn_id: "t-2" }) });
    expect(other.status).toBe(429);
    expect(provider.chatRequests().length).toBe(7);
  });

  it("passes a 429 without Retry-After on with one, growing within the turn, so that Codex retries it", async () => {
    provider.otherwise({ kind: "status", status: 429, body: { error: { message: "busy" } } });
    const headers = { "x-codex-turn-metadata": JSON.stringify({ session_id: "s-2", turn_id: "t-1" }) };
    const waits: string[] = [];
    for (let i = 0; i < 3; i++) waits.push((await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")), headers)).headers["retry-after"]);
    expect(waits).toEqual(["1", "2", "4"]);
    expect(provider.chatRequests().length).toBe(3);
  });

  it("does not retry a 500 (Codex retries it) and reports it with its status", async () => {
    provider.then({ kind: "status", status: 500, body: { error: { message: "An internal error occurred." } } });
    const reply = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")));
    expect(reply.status).toBe(500);
    expect(reply.json().error.message).toContain("An internal error occurred.");
    expect(provider.chatRequests().length).toBe(1);
    await waitFor(() => log().includes("upstream_error kind=http_5xx status=500"), 3000, "HTTP 500 log line");
  });

  it("passes a 503 without Retry-After on at once (Codex retries 5xx itself), and waits out a short one", async () => {
    provider.then({ kind: "status", status: 503 });
    const reply = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")));
    expect(reply.status).toBe(503);
    expect(provider.chatRequests().length).toBe(1);
    provider.then({ kind: "status", status: 503, headers: { "Retry-After": "1" } }, { kind: "text", text: "back" });
    const retried = await postSse(`${proxy.url}/v1/responses`, turn("x"));
    expect(retried.status).toBe(200);
    expect(provider.chatRequests().length).toBe(3);
    expect(log()).toContain("upstream_retry kind=http_5xx status=503 attempt=1 of=2 delay_s=1");
  });

  it("answers 502 when the provider refuses connections, after retrying", async () => {
    provider.stop();
    const reply = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x")));
    expect(reply.status).toBe(502);
    expect(reply.json().error.message).toContain("Connection refused");
    await waitFor(() => /upstream_error kind=connection_refused message="Connection refused/.test(log()), 3000, "the refused line");
  });

  it("turns a stream cut mid-way into response.failed", async () => {
    provider.then({ kind: "cut", text: "partial" });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("x"));
    expect(reply.status).toBe(200);
    const last = reply.events[reply.events.length - 1].data;
    expect(last.type).toBe("response.failed");
    expect(last.response.error.message).toMatch(/Connection reset|stream error|closed/i);
  });

  it("fails a silent stream after the idle timeout", async () => {
    provider.then({ kind: "silence", text: "thinking" });
    const started = Date.now();
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("x"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const last = reply.events[reply.events.length - 1].data;
    expect(last.type).toBe("response.failed");
    expect(last.response.error.code).toBe("idle_timeout");
    expect(log()).toContain("stream_error kind=idle_timeout message=\"provider sent nothing for 2 s (stream idle timeout)");
  });

  it("cancels the upstream request when the client goes away", async () => {
    provider.then({ kind: "text", text: "a long answer that takes a while to stream out", chunkSize: 1, delayMs: 30 });
    await postSse(`${proxy.url}/v1/responses`, turn("x"), { stopAfter: 4 });
    await waitFor(() => provider.requests[0]?.clientGone, 5000, "the provider to see the proxy hang up")
      .catch((e) => { throw new Error(`${e.message}\n${log()}`); });
    await waitFor(() => log().includes("client_gone where=mid_stream"), 3000, "the client-gone line");
  });

  it("rejects malformed and oversized bodies with 400/413 and stays up", async () => {
    const bad = await request("POST", `${proxy.url}/v1/responses`, "{not json");
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toContain("not valid JSON");
    const wrongShape = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify({ model: "m", input: [{ type: "message", role: "robot", content: "x" }] }));
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json().error.message).toContain("unknown role");
    const big = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x".repeat(2 * 1024 * 1024))));
    expect(big.status).toBe(413);
    expect(big.json().error.type).toBe("invalid_request_error");
    expect((await getJson(`${proxy.url}/health`)).json().ok).toBeTrue();
    expect(provider.chatRequests().length).toBe(0);
  });

  it("answers a non-streaming request with a complete Responses object", async () => {
    provider.then({ kind: "json", body: { id: "x", object: "chat.completion", model: "fake-upstream",
      choices: [{ index: 0, message: { role: "assistant", content: "whole answer" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
    const reply = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("x", { stream: false })));
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(body.object).toBe("response");
    expect(body.status).toBe("completed");
    expect(body.output[0].content[0].text).toBe("whole answer");
    expect(provider.chatRequests()[0].body.stream).toBeFalse();
  });

  it("keeps stored responses for previous_response_id", async () => {
    provider.then({ kind: "text", text: "first answer" }, { kind: "text", text: "second answer" });
    const first = await postSse(`${proxy.url}/v1/responses`, { model: "m", stream: true, store: true, input: "remember 42" });
    const id = first.events[first.events.length - 1].data.response.id;
    const second = await postSse(`${proxy.url}/v1/responses`, { model: "m", stream: true, store: true, previous_response_id: id, input: "what number?" });
    expect(second.status).toBe(200);
    expect(provider.chatRequests()[1].body.messages).toEqual([{ role: "user", content: "remember 42" },
      { role: "assistant", content: "first answer" }, { role: "user", content: "what number?" }]);
    const unknown = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify({ model: "m", previous_response_id: "resp_nope", input: "x" }));
    expect(unknown.status).toBe(400);
  });

  it("reuses pooled upstream connections", async () => {
    for (let i = 0; i < 4; i++) await postSse(`${proxy.url}/v1/responses`, turn(`n${i}`));
    const ports = new Set(provider.chatRequests().map((r) => r.remotePort));
    expect(provider.chatRequests().length).toBe(4);
    expect(ports.size).toBe(1);
  });

  it("serves /v1/models and /models from the models file, and /monitoring counters", async () => {
    for (const path of ["/v1/models", "/models"]) {
      const models = (await getJson(`${proxy.url}${path}`)).json();
      expect(models.data.map((m: any) => m.id)).toEqual(["model-a", "model-b"]);
    }
    provider.then({ kind: "text", text: "x" }, { kind: "status", status: 401 });
    await postSse(`${proxy.url}/v1/responses`, turn("a"));
    await request("POST", `${proxy.url}/v1/responses`, JSON.stringify(turn("b")));
    await delay(50);
    const mon = (await getJson(`${proxy.url}/monitoring`)).json();
    expect(mon.requests_by_status).toEqual(jasmine.objectContaining({ "200": 1, "401": 1 }));
    expect(mon.upstream_errors.http_4xx).toBe(1);
    expect(mon.active_streams).toBe(0);
    expect(mon.last_error.message).toContain("fake 401");
    expect(mon.latency_ms.samples).toBe(2);
    expect(mon.ttfb_ms.p50).toBeGreaterThanOrEqual(0);
    expect(mon.ok).toBeTrue();
  });
});

describe("proxy learning provider quirks (provider-caps.json)", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let dir: string;
  const log = () => readText(`${dir}/proxy.log`);
  const request5 = { model: "fake-model", stream: true, store: false, input: "hi", reasoning: { effort: "high" } };

  beforeEach(() => {
    dir = makeTempDir("proxy-caps");
    provider = new FakeProvider();
  });

  afterEach(async () => {
    await proxy?.child.stop();
    provider.stop();
    removeTree(dir);
  });

  it("drops a parameter the provider rejects by name, retries, and remembers it for the model", async () => {
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir]);
    provider.then({ kind: "rejects", param: "reasoning_effort", then: { kind: "text", text: "fine without it" } }, { kind: "text", text: "second" });
    const first = await postSse(`${proxy.url}/v1/responses`, request5);
    expect(first.status).toBe(200);
    expect(first.events.find((e) => e.data.type === "response.output_item.done")!.data.item.content[0].text).toBe("fine without it");
    const sent = provider.chatRequests();
    expect(sent.length).toBe(2);
    expect(sent[0].body.reasoning_effort).toBe("high");
    expect(sent[1].body.reasoning_effort).toBeUndefined();
    expect(log()).toContain("adjusted status=400 dropped=reasoning_effort");
    const caps = JSON.parse(readText(`${dir}/provider-caps.json`));
    expect(caps.entries[`${provider.url}|fake-model`].drop).toEqual(["reasoning_effort"]);
    await postSse(`${proxy.url}/v1/responses`, request5);
    expect(provider.chatRequests()[2].body.reasoning_effort).toBeUndefined();
  });

  it("keeps a corrupt provider-caps.json aside and starts over", async () => {
    GLib.file_set_contents(`${dir}/provider-caps.json`, "{\"entries\": [oops");
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir]);
    provider.then({ kind: "text", text: "works" });
    const reply = await postSse(`${proxy.url}/v1/responses`, request5);
    expect(reply.status).toBe(200);
    expect(log()).toMatch(/caps state=corrupt message=".*provider-caps\.json is corrupt .* kept aside as .*provider-caps\.json\.corrupt-/);
    const [, out] = GLib.spawn_command_line_sync(`ls ${dir}`);
    expect(new TextDecoder().decode(out!)).toMatch(/provider-caps\.json\.corrupt-\d{8}T\d{6}/);
  });
});
