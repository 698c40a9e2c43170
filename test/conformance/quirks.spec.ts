// Conformance matrix, quirk learning with the real Codex CLI: a parameter the provider names as
// unsupported is dropped and the request sent again; the lesson is kept only once that retry was answered.
import { rigPerSpec } from "./rig.js";

const exec = (cmd: string) => JSON.stringify({ cmd, yield_time_ms: 10000 });

describe("conformance: provider quirks (real Codex CLI through the proxy)", () => {
  const startRig = rigPerSpec();

  it("[quirk learned] drops a parameter the provider calls unsupported, and remembers it once the retry was answered", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "rejects", param: "parallel_tool_calls", then: { kind: "tools", calls: [{ name: "exec_command", arguments: exec("echo quirk-ok") }] } },
      { kind: "text", text: "Ran without parallel_tool_calls." });
    const result = await rig.codexRun("run it");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Ran without parallel_tool_calls.");
    const sent = rig.provider.chatRequests();
    expect(sent.map((r) => "parallel_tool_calls" in r.body)).toEqual([true, false, false]);
    expect(rig.records("adjusted")[0].fields.dropped).toBe("parallel_tool_calls");
    expect(rig.records("caps").map((r) => `${r.fields.state}:${r.fields.quirks}`)).toEqual(["learned:parallel_tool_calls"]);
    expect(rig.caps().entries[`${rig.provider.url}|fake-model`].drop).toEqual(["parallel_tool_calls"]);
  }, 90000);

  it("[quirk not learned] a drop whose retry fails too is not remembered: the next request asks as Codex asked", async () => {
    const rig = await startRig({ knobs: { request_max_retries: 0, stream_max_retries: 0 } });
    rig.provider.then({ kind: "rejects", param: "parallel_tool_calls", then: { kind: "status", status: 400, body: { error: { message: "tools[0]: invalid schema" } } } },
      { kind: "text", text: "Second prompt answered." });
    const failed = await rig.codexRun("run it");
    expect(failed.exitCode).toBe(1);
    expect(rig.records("adjusted").length).toBe(1);
    expect(rig.caps()).toBeNull();
    const second = await rig.codexRun("again");
    expect(second.exitCode).withContext(second.stderr).toBe(0);
    expect("parallel_tool_calls" in rig.provider.chatRequests().at(-1)!.body).toBeTrue();
  }, 90000);
});
