// The three failures issue 11 reported, each driven with the real Codex CLI through the proxy. They
// failed before the fix (see the README's conformance section) and must keep passing.
import GLib from "gi://GLib";
import { CODEX_RETRIES } from "../../src/lib/codex-config.js";
import type { Reply } from "../helpers/fake-provider.js";
import { codexErrors, codexShown, rigPerSpec } from "./rig.js";

const MUST_PASS_BACK = "The reasoning_content in the thinking mode must be passed back to the API.";

/** DeepSeek's thinking-mode rule: an assistant tool-call message without its reasoning_content is refused. */
function deepSeekRule(answer: Reply): Reply {
  return {
    kind: "dynamic",
    reply: (body) => (body.messages ?? []).some((m: any) => m.role === "assistant" && m.tool_calls?.length && !m.reasoning_content)
      ? { kind: "status", status: 400, body: { error: { message: MUST_PASS_BACK, type: "invalid_request_error", param: null, code: "invalid_request_error" } } }
      : answer,
  };
}

const toolTurn = (marker: string): Reply => ({ kind: "tools", reasoning: "I should run the command first.",
  calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: `echo ${marker}`, yield_time_ms: 10000 }) }] });

describe("issue 11: the failures other bridges are known for, with the real Codex CLI", () => {
  const startRig = rigPerSpec();

  it("[poisoned quirk] a 400 saying reasoning_content must be passed back never makes the proxy drop it, not even after a restart", async () => {
    const rig = await startRig();
    // One refusal the proxy must not learn from (it blames nothing unsupported), then the provider's rule.
    rig.provider.then(toolTurn("first-marker"), { kind: "status", status: 400, body: { error: { message: MUST_PASS_BACK, type: "invalid_request_error" } } })
      .otherwise(deepSeekRule({ kind: "text", text: "unused" }));
    const first = await rig.codexRun("run the command");
    expect(first.exitCode).withContext(first.stderr).toBe(1);
    expect(first.stderr).toContain("must be passed back");
    expect(JSON.stringify(rig.caps() ?? {})).not.toContain("reasoning_content");

    await rig.restartProxy();
    rig.provider.then(toolTurn("second-marker"), deepSeekRule({ kind: "text", text: "The command printed second-marker." }));
    const second = await rig.codexRun("run the command again");
    expect(second.exitCode).withContext(second.stderr).toBe(0);
    expect(second.stdout).toContain("The command printed second-marker.");
    const followUp = rig.provider.chatRequests().at(-1)!.body.messages.find((m: any) => m.tool_calls);
    expect(followUp.reasoning_content).toBe("I should run the command first.");
    expect(JSON.stringify(rig.caps() ?? {})).not.toContain("reasoning_content");
  }, 120000);

  it("[forgotten quirk] a remembered quirk that coincides with a failure is forgotten, and the request goes out again with it", async () => {
    const rig = await startRig();
    // What the old version left behind: a poisoned entry for this model.
    GLib.file_set_contents(`${rig.logDir}/provider-caps.json`, JSON.stringify({ version: 1,
      entries: { [`${rig.provider.url}|fake-model`]: { drop: ["reasoning_content"], learned_at: new Date().toISOString() } } }));
    rig.provider.then(toolTurn("poison-marker")).otherwise(deepSeekRule({ kind: "text", text: "Recovered from the poisoned entry." }));
    const result = await rig.codexRun("run the command");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Recovered from the poisoned entry.");
    expect(JSON.stringify(rig.caps())).not.toContain("reasoning_content");
    const forgotten = rig.records("caps").find((r) => r.fields.state === "forgotten");
    expect(forgotten?.fields.quirks).toBe("reasoning_content");
  }, 120000);

  it("[cut mid tool call] a stream cut in the middle of a tool call: Codex recovers, and the cut is a typed line, a watchdog signal and a /monitoring count", async () => {
    const rig = await startRig();
    rig.provider.then(
      { kind: "cut", text: "Let me run it.", partialCall: { name: "exec_command", arguments: JSON.stringify({ cmd: "echo half-call-marker" }) } },
      { kind: "tools", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo whole-call-marker", yield_time_ms: 10000 }) }] },
      { kind: "text", text: "Done after the reconnect." });
    const result = await rig.codexRun("run it", ["--json"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const shown = codexShown(result);
    expect(shown.messages.at(-1)).toBe("Done after the reconnect.");
    // Codex reconnected and showed why; the half call never ran.
    expect(shown.reconnects.length).toBe(1);
    expect(shown.reconnects[0]).toMatch(/^Reconnecting\.\.\. 1\/1 \(stream disconnected before completion: .*provider dropped the connection/);
    const sent = rig.provider.chatRequests();
    expect(sent.length).toBe(3);
    expect(JSON.stringify(sent[2].body.messages)).toContain("whole-call-marker");
    expect(JSON.stringify(sent[2].body.messages)).not.toContain("half-call-marker\\n");
    const streamErrors = rig.records("stream_error");
    expect(streamErrors.length).toBe(1);
    expect(streamErrors[0].fields.kind).toBe("connection_reset");
    expect(rig.signals().map((s) => `${s.faultId}:${s.category}`)).toEqual(["B6:connection_reset"]);
    const mon = await rig.monitoring();
    expect(mon.upstream_errors.connection_reset).toBe(1);
    expect(mon.upstream_failures.reset).toBe(1);
  }, 120000);

  it("[always 429] a provider that always answers 429 costs at most Codex's attempts + 2 upstream requests", async () => {
    const rig = await startRig();
    rig.provider.otherwise({ kind: "status", status: 429, headers: { "Retry-After": "1" }, body: { error: { message: "slow down", type: "rate_limit_error" } } });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).toBe(1);
    expect(codexErrors(result).at(-1)).toContain("429");
    const codexAttempts = rig.codexRequests();
    expect(codexAttempts).toBeGreaterThanOrEqual(2);
    expect(rig.provider.chatRequests().length).toBeLessThanOrEqual(codexAttempts + 2);
  }, 120000);

  it("[silent provider, defaults] a provider that accepts the request and then sends nothing surfaces in Codex as 'provider sent nothing for N s', within 2 minutes with the defaults", async () => {
    // The proxy's default bounds; Codex with one try (the budget arithmetic below covers the launcher's retries).
    const rig = await startRig({ knobs: { request_max_retries: 0, stream_max_retries: 0, stream_idle_timeout_ms: CODEX_RETRIES.stream_idle_timeout_ms } });
    rig.provider.otherwise({ kind: "silence", beforeFirstByte: true });
    const result = await rig.codexRun("say hi", [], 110000);
    expect(result.timedOut).toBeFalse();
    expect(result.exitCode).toBe(1);
    const shown = /provider sent nothing for (\d+) s/.exec(codexErrors(result).at(-1) ?? "");
    expect(shown).withContext(result.stderr).not.toBeNull();
    // The launcher's Codex profile tries a failed stream stream_max_retries + 1 times (backoff under 1 s each).
    const tries = CODEX_RETRIES.stream_max_retries + 1;
    expect(tries * Number(shown![1]) + tries).toBeLessThanOrEqual(120);
    expect(rig.records("stream_error").map((r) => r.fields.kind)).toEqual(["first_byte_timeout"]);
    expect(rig.signals().map((s) => `${s.faultId}:${s.category}`)).toEqual(["B5:timeout"]);
    expect((await rig.monitoring()).upstream_failures.timeout).toBe(1);
  }, 130000);
});
