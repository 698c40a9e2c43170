// Conformance matrix, turns that must work: the real Codex CLI → codex-launcher-proxy → a fake provider.
// Each `it` is a row of the README's matrix (the [tag] names it).
import GLib from "gi://GLib";
import { codexEvents, rigPerSpec } from "./rig.js";

const read = (path: string) => new TextDecoder().decode(GLib.file_get_contents(path)[1]);
const exec = (cmd: string) => JSON.stringify({ cmd, yield_time_ms: 10000 });
const patchAdding = (file: string, line: string) => `*** Begin Patch\n*** Add File: ${file}\n+${line}\n*** End Patch\n`;

describe("conformance: turns (real Codex CLI through the proxy)", () => {
  const startRig = rigPerSpec();

  it("[text] answers a text turn", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "text", text: "Hello through the proxy." });
    const result = await rig.codexRun("say hi");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello through the proxy.");
    const sent = rig.provider.chatRequests();
    expect(sent.length).toBe(1);
    expect(sent[0].body.messages.at(-1)).toEqual({ role: "user", content: "say hi" });
  }, 90000);

  it("[usage] reports the provider's token usage to Codex", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "text", text: "Counted.", usage: { prompt: 1234, completion: 56 } });
    const result = await rig.codexRun("say hi", ["--json"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const done = codexEvents(result).find((e) => e.type === "turn.completed");
    expect(done.usage.input_tokens).toBe(1234);
    expect(done.usage.output_tokens).toBe(56);
    // The proxy asked for the usage chunk.
    expect(rig.provider.chatRequests()[0].body.stream_options).toEqual({ include_usage: true });
  }, 90000);

  it("[tool] runs exec_command and sends its output back", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: exec("echo tool-marker-731") }] },
      { kind: "text", text: "The command ran." });
    const result = await rig.codexRun("run echo");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("The command ran.");
    const followUp = rig.provider.chatRequests()[1].body.messages;
    const call = followUp.find((m: any) => m.tool_calls).tool_calls[0];
    const output = followUp.find((m: any) => m.role === "tool");
    expect(output.tool_call_id).toBe(call.id);
    expect(output.content).toContain("tool-marker-731");
  }, 90000);

  it("[parallel tools] runs two calls of one answer and answers both, in order", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: exec("echo first-of-two") }, { name: "exec_command", arguments: exec("echo second-of-two") }] },
      { kind: "text", text: "Both ran." });
    const result = await rig.codexRun("run both");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Both ran.");
    expect(rig.provider.chatRequests()[0].body.parallel_tool_calls).toBeTrue();
    const followUp = rig.provider.chatRequests()[1].body.messages;
    const calls = followUp.find((m: any) => m.tool_calls).tool_calls;
    expect(calls.length).toBe(2);
    const outputs = followUp.filter((m: any) => m.role === "tool");
    expect(outputs.map((o: any) => o.tool_call_id)).toEqual(calls.map((c: any) => c.id));
    expect(outputs[0].content).toContain("first-of-two");
    expect(outputs[1].content).toContain("second-of-two");
  }, 90000);

  // Codex 0.169+ offers apply_patch only as a freeform (custom) tool; the proxy offers it to the provider as
  // a function with one string argument. Models answer either with that JSON or with the raw patch text.
  it("[apply_patch freeform] edits a file when the model sends the raw patch text as the call's arguments", async () => {
    const rig = await startRig({ model: "claude-test", catalog: true });
    rig.provider.then({ kind: "tools", calls: [{ name: "apply_patch", arguments: patchAdding("free.txt", "freeform patch") }] },
      { kind: "text", text: "Created free.txt." });
    const result = await rig.codexRun("add a file", ["-s", "workspace-write"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const tool = rig.provider.chatRequests()[0].body.tools.find((t: any) => t.function.name === "apply_patch");
    expect(Object.keys(tool.function.parameters.properties)).toEqual(["input"]);
    expect(read(`${rig.codex.workdir}/free.txt`)).toBe("freeform patch\n");
    expect(rig.provider.chatRequests()[1].body.messages.find((m: any) => m.role === "tool").content).toContain("free.txt");
    expect(result.stdout).toContain("Created free.txt.");
  }, 90000);

  it("[apply_patch JSON] edits a file when the model sends {\"input\": patch} as JSON", async () => {
    const rig = await startRig({ model: "claude-test", catalog: true });
    rig.provider.then({ kind: "tools", calls: [{ name: "apply_patch", arguments: JSON.stringify({ input: patchAdding("json.txt", "json patch") }) }] },
      { kind: "text", text: "Created json.txt." });
    const result = await rig.codexRun("add a file", ["-s", "workspace-write"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(read(`${rig.codex.workdir}/json.txt`)).toBe("json patch\n");
    // Codex got a custom_tool_call and answered with custom_tool_call_output, which reached the provider.
    expect(rig.provider.chatRequests()[1].body.messages.find((m: any) => m.role === "tool").content).toContain("json.txt");
    expect(result.stdout).toContain("Created json.txt.");
  }, 90000);

  it("[reasoning] keeps the model's reasoning and sends it back with the tool call (reasoning_content)", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "tools", reasoning: "First list the files.", calls: [{ name: "exec_command", arguments: exec("echo listed") }] },
      { kind: "text", text: "Listed.", reasoning: "Now answer." });
    const result = await rig.codexRun("list", ["--json"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(codexEvents(result).some((e) => e.type === "item.completed" && e.item?.type === "reasoning" && /First list the files/.test(e.item.text))).toBeTrue();
    const assistant = rig.provider.chatRequests()[1].body.messages.find((m: any) => m.tool_calls);
    expect(assistant.reasoning_content).toBe("First list the files.");
  }, 90000);

  it("[thought signature] returns a Gemini thought signature with its call on the OpenAI-compatible endpoint", async () => {
    const rig = await startRig({ model: "gemini-3-pro-preview" });
    const signature = "CiQBVKhc7sig+/==";
    rig.provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: exec("echo signed"), signature }] }, { kind: "text", text: "Signed call done." });
    const result = await rig.codexRun("run it");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const call = rig.provider.chatRequests()[1].body.messages.find((m: any) => m.tool_calls).tool_calls[0];
    expect(call.extra_content).toEqual({ google: { thought_signature: signature } });
  }, 90000);

  it("[anthropic] runs a tool round trip against a Messages API provider", async () => {
    const rig = await startRig({ backend: "anthropic", model: "claude-test", catalog: true, proxyEnv: { CODEX_PROXY_API_KEY: "sk-ant-test-key-000000" } });
    rig.provider.then({ kind: "anthropic", thinking: "I will run it.", calls: [{ name: "exec_command", arguments: exec("echo anthropic-marker-42") }] },
      { kind: "anthropic", text: "The marker was printed." });
    const result = await rig.codexRun("run echo");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("The marker was printed.");
    const [first, second] = rig.provider.chatRequests();
    expect(first.path).toBe("/v1/messages");
    expect(first.headers["x-api-key"]).toBe("sk-ant-test-key-000000");
    const toolResult = second.body.messages.at(-1).content.find((b: any) => b.type === "tool_result");
    expect(toolResult.content).toContain("anthropic-marker-42");
  }, 90000);

  it("[2 MB context] carries 2 MB of context (AGENTS.md and a 1 MB prompt, Codex's largest) to the provider whole", async () => {
    const rig = await startRig();
    const line = "0123456789abcdef".repeat(4) + "\n";
    const block = (marker: string) => `${line.repeat(Math.ceil((1024 * 1024 - 4096) / line.length))}${marker}`;
    GLib.file_set_contents(`${rig.codex.workdir}/AGENTS.md`, `# Project notes\n${block("END-OF-AGENTS")}`);
    rig.provider.then({ kind: "text", text: "A long log." });
    const result = await rig.codexRun("-", ["-c", "project_doc_max_bytes=2000000"], 120000, `Summarise this log.\n${block("END-OF-LOG")}`);
    expect(result.exitCode).withContext(result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout).toContain("A long log.");
    const sent = rig.provider.chatRequests()[0].body.messages;
    expect(JSON.stringify(sent).length).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(JSON.stringify(sent)).toContain("END-OF-AGENTS");
    expect(sent.at(-1).content.endsWith("END-OF-LOG")).toBeTrue();
  }, 150000);
});
