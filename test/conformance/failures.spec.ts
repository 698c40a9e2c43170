// Conformance matrix, upstream failures: each one reaches Codex as a message it shows (or is recovered),
// proxy.log as a typed line the watchdog turns into a signal, and /monitoring as a count in its class.
// Codex's retry knobs are small in these Codex homes (fast rows); the budget holds for any knobs.
import { codexErrors, codexShown, Rig, rigPerSpec } from "./rig.js";

const signals = (rig: Rig) => rig.signals().map((s) => `${s.faultId}:${s.category}`);

describe("conformance: upstream failures (real Codex CLI through the proxy)", () => {
  const startRig = rigPerSpec();

  it("[ended early] a stream that ends cleanly before the provider's end marker: Codex reconnects and the cut is counted as a reset", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "truncated", text: "Half an ans" }, { kind: "text", text: "The whole answer." });
    const result = await rig.codexRun("say hi", ["--json"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const shown = codexShown(result);
    expect(shown.messages.at(-1)).toBe("The whole answer.");
    expect(shown.reconnects.length).toBe(1);
    expect(shown.reconnects[0]).toContain("the provider closed the stream before finishing the answer");
    expect(rig.records("stream_error").map((r) => r.fields.kind)).toEqual(["cut"]);
    expect(signals(rig)).toEqual(["B6:connection_reset"]);
    const mon = await rig.monitoring();
    expect(mon.upstream_errors.cut).toBe(1);
    expect(mon.upstream_failures.reset).toBe(1);
  }, 90000);

  it("[provider error event] an error the provider sends mid-stream ends the answer with response.failed and its message", async () => {
    const rig = await startRig({ knobs: { stream_max_retries: 0 } });
    rig.provider.otherwise({ kind: "error_event", text: "Partial", error: { message: "Upstream model overloaded, please retry", code: "server_error" } });
    const result = await rig.codexRun("say hi", ["--json"]);
    expect(result.exitCode).toBe(1);
    expect(codexShown(result).final).toContain("Upstream model overloaded, please retry");
    const line = rig.records("stream_error")[0];
    expect(line.fields.kind).toBe("provider_error");
    expect(line.fields.code).toBe("server_error");
    expect(signals(rig)).toEqual(["B6:stream_error"]);
    expect((await rig.monitoring()).upstream_failures.provider_error).toBe(1);
  }, 90000);

  it("[500] a provider that always answers 500: the proxy adds no retry of its own, Codex shows the failure", async () => {
    const rig = await startRig();
    rig.provider.otherwise({ kind: "status", status: 500, body: { error: { message: "internal failure", type: "server_error" } } });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).toBe(1);
    expect(codexErrors(result).length).toBeGreaterThan(0);
    // Codex retried (request and stream retries); every upstream request is one of Codex's.
    expect(rig.codexRequests()).toBeGreaterThan(1);
    expect(rig.provider.chatRequests().length).toBe(rig.codexRequests());
    expect(rig.records("upstream_retry").length).toBe(0);
    expect(new Set(signals(rig))).toEqual(new Set(["B2:server_error"]));
    expect((await rig.monitoring()).upstream_failures.provider_error).toBe(rig.codexRequests());
  }, 90000);

  it("[429 then OK] waits out a short Retry-After itself: Codex never sees the 429", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "status", status: 429, headers: { "Retry-After": "1" }, body: { error: { message: "rate limited" } } },
      { kind: "text", text: "Answer after the rate limit." });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Answer after the rate limit.");
    expect(rig.provider.chatRequests().length).toBe(2);
    expect(rig.codexRequests()).toBe(1);
    expect(signals(rig)).toEqual(["B1:rate_limited"]);
  }, 90000);

  it("[429 without Retry-After] is passed on with a Retry-After, so Codex's own retries apply, within the one budget", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "status", status: 429, body: { error: { message: "too many requests" } } }, { kind: "text", text: "Answer on Codex's retry." });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Answer on Codex's retry.");
    // Without the proxy's Retry-After, Codex would not have retried a 429 at all (REAL-CODEX §7).
    expect(rig.codexRequests()).toBe(2);
    expect(rig.provider.chatRequests().length).toBe(2);
  }, 90000);

  it("[provider down] a refused connection is retried by the proxy within the turn's budget, then Codex is told", async () => {
    const rig = await startRig();
    rig.provider.stop(); // nothing listens on the provider's port any more
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).toBe(1);
    expect(codexErrors(result).at(-1)).toMatch(/502|unreachable|Connection refused/i);
    expect(rig.records("upstream_retry").length).withContext(rig.logText()).toBe(2);
    const attempts = rig.records("upstream_retry").length + rig.records("upstream_error").length;
    expect(attempts).withContext(rig.logText()).toBe(rig.codexRequests() + 2);
    expect(new Set(signals(rig))).toEqual(new Set(["B9:provider_unreachable"]));
    expect((await rig.monitoring()).upstream_failures.unreachable).toBe(rig.codexRequests() + 2);
  }, 90000);

  it("[silent after first byte] a provider that stops mid-answer: 'provider sent nothing for N s' from the idle bound (per-endpoint override)", async () => {
    const rig = await startRig({ proxyArgs: ["--idle-timeout", "2"], knobs: { stream_max_retries: 0 } });
    rig.provider.otherwise({ kind: "silence", text: "I am thinking" });
    const result = await rig.codexRun("say hi", ["--json"]);
    expect(result.exitCode).toBe(1);
    expect(codexShown(result).final).toContain("provider sent nothing for 2 s (stream idle timeout)");
    expect(rig.records("stream_error").map((r) => r.fields.kind)).toEqual(["idle_timeout"]);
    expect(signals(rig)).toEqual(["B5:stream_idle"]);
    expect((await rig.monitoring()).upstream_failures.timeout).toBe(1);
  }, 90000);

  it("[silent before headers] a provider that never answers the request: response.failed from the first-byte bound, not a bare 504", async () => {
    const rig = await startRig({ proxyArgs: ["--first-byte-timeout", "2"], knobs: { stream_max_retries: 0, request_max_retries: 0 } });
    rig.provider.otherwise({ kind: "stall" });
    const result = await rig.codexRun("say hi", ["--json"]);
    expect(result.exitCode).toBe(1);
    expect(codexShown(result).final).toContain("provider sent nothing for 2 s (no response headers)");
    const line = rig.records("stream_error")[0];
    expect(line.fields.kind).toBe("first_byte_timeout");
    expect(signals(rig)).toEqual(["B5:timeout"]);
    expect((await rig.monitoring()).upstream_failures.timeout).toBe(1);
  }, 90000);

  it("[context length] a provider's context-length error reaches Codex as context_length_exceeded, and the watchdog as D5", async () => {
    const rig = await startRig();
    // DeepSeek's wording: no code that says it, only the message.
    rig.provider.otherwise({ kind: "status", status: 400, body: { error: { message: "This model's maximum context length is 65536 tokens. However, you requested 70001 tokens (70001 in the messages, 0 in the completion). Please reduce the length of the messages or completion.", type: "invalid_request_error", code: "invalid_request_error" } } });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).toBe(1);
    expect(codexErrors(result).at(-1)).toContain("Codex ran out of room in the model's context window");
    // Codex does not retry it, and the proxy does not "fix" it by dropping parameters.
    expect(rig.provider.chatRequests().length).toBe(1);
    expect(rig.records("adjusted").length).toBe(0);
    expect(rig.records("upstream_error")[0].fields.code).toBe("context_length_exceeded");
    expect(signals(rig)).toEqual(["D5:context_overflow"]);
  }, 90000);

  it("[context length mid-stream] the same error as a stream event (Anthropic-style gateways) is mapped the same way", async () => {
    const rig = await startRig();
    rig.provider.otherwise({ kind: "error_event", text: "", error: { message: "prompt is too long: 210000 tokens > 200000 maximum", type: "invalid_request_error" } });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).toBe(1);
    expect(codexErrors(result).at(-1)).toContain("Codex ran out of room in the model's context window");
    expect(rig.provider.chatRequests().length).toBe(1);
    expect(signals(rig)).toEqual(["D5:context_overflow"]);
  }, 90000);
});
