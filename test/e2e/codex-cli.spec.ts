// The real Codex CLI 0.169.0 → codex-launcher-proxy → a fake Chat Completions provider, all on loopback.
import GLib from "gi://GLib";
import { CODEX_API_KEY, makeCodexHome, runCodex, type CodexHome } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

describe("real Codex CLI through the proxy", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let logDir: string;
  let codex: CodexHome | null = null;

  beforeEach(async () => {
    provider = new FakeProvider();
    logDir = makeTempDir("codex-e2e-logs");
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", logDir]);
  });

  afterEach(async () => {
    await proxy.child.stop();
    provider.stop();
    removeTree(logDir);
    if (codex) {
      removeTree(codex.home);
      removeTree(codex.workdir);
    }
    codex = null;
  });

  it("completes a text turn", async () => {
    provider.then({ kind: "text", text: "Hello from the fake provider via the proxy." });
    codex = await makeCodexHome(proxy.port, "fake-model");
    const result = await runCodex(codex, "say hi");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello from the fake provider via the proxy.");
    const sent = provider.chatRequests();
    expect(sent.length).toBe(1);
    // Codex authenticated to the proxy with its env_key; no upstream key is configured, so it is forwarded.
    expect(sent[0].headers["authorization"]).toBe(`Bearer ${CODEX_API_KEY}`);
    expect(sent[0].body.messages[sent[0].body.messages.length - 1]).toEqual({ role: "user", content: "say hi" });
    expect(sent[0].body.messages[0].role).toBe("system");
  }, 90000);

  it("runs exec_command on the model's request and sends the result back to the provider", async () => {
    provider.then(
      { kind: "tools", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo tool-output-marker-731", yield_time_ms: 10000 }) }] },
      { kind: "text", text: "The command printed the marker." });
    codex = await makeCodexHome(proxy.port, "fake-model");
    const result = await runCodex(codex, "run echo");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("The command printed the marker.");
    const sent = provider.chatRequests();
    expect(sent.length).toBe(2);
    const followUp = sent[1].body.messages;
    const assistant = followUp.find((m: any) => m.tool_calls);
    expect(assistant.tool_calls[0].function.name).toBe("exec_command");
    const toolMessage = followUp.find((m: any) => m.role === "tool");
    expect(toolMessage.tool_call_id).toBe(assistant.tool_calls[0].id);
    expect(toolMessage.content).toContain("tool-output-marker-731");
    expect(toolMessage.content).toContain("Process exited with code 0");
  }, 90000);

  it("creates a file with apply_patch when the model catalog offers it", async () => {
    const patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello from apply_patch\n*** End Patch\n";
    provider.then({ kind: "tools", calls: [{ name: "apply_patch", arguments: JSON.stringify({ input: patch }) }] }, { kind: "text", text: "Created hello.txt." });
    codex = await makeCodexHome(proxy.port, "claude-test", { catalog: true });
    const result = await runCodex(codex, "add a file", ["-s", "workspace-write"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const tools = provider.chatRequests()[0].body.tools.map((t: any) => t.function.name);
    expect(tools).toContain("apply_patch");
    const [ok, bytes] = GLib.file_get_contents(`${codex.workdir}/hello.txt`);
    expect(ok).toBeTrue();
    expect(new TextDecoder().decode(bytes)).toBe("hello from apply_patch\n");
    const toolMessage = provider.chatRequests()[1].body.messages.find((m: any) => m.role === "tool");
    expect(toolMessage.content).toContain("hello.txt");
    expect(result.stdout).toContain("Created hello.txt.");
  }, 90000);

  it("recovers from a 429 with Retry-After without Codex seeing an error", async () => {
    provider.then({ kind: "status", status: 429, headers: { "Retry-After": "1" }, body: { error: { message: "rate limited" } } },
      { kind: "text", text: "Answer after the rate limit." });
    codex = await makeCodexHome(proxy.port, "fake-model");
    const result = await runCodex(codex, "say hi");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Answer after the rate limit.");
    expect(provider.chatRequests().length).toBe(2);
    expect(result.stderr).not.toContain("Reconnecting");
  }, 90000);

  it("shows Codex the provider's error when a key is rejected", async () => {
    provider.otherwise({ kind: "status", status: 401, body: { error: { message: "Invalid API key", code: "invalid_api_key" } } });
    codex = await makeCodexHome(proxy.port, "fake-model");
    const result = await runCodex(codex, "say hi");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Invalid API key");
  }, 90000);
});

describe("real Codex CLI through the proxy's anthropic backend", () => {
  it("runs a tool round trip against a Messages API provider", async () => {
    const provider = new FakeProvider();
    const logDir = makeTempDir("codex-anthropic");
    const proxy = await startProxy(["--backend", "anthropic", "--target-url", provider.url, "--log-dir", logDir], { env: { CODEX_PROXY_API_KEY: "sk-ant-test-key-000000" } });
    const codex = await makeCodexHome(proxy.port, "claude-test", { catalog: true });
    try {
      provider.then({ kind: "anthropic", thinking: "I will run it.", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo anthropic-marker-42" }) }] },
        { kind: "anthropic", text: "The marker was printed." });
      const result = await runCodex(codex, "run echo");
      expect(result.exitCode).withContext(result.stderr).toBe(0);
      expect(result.stdout).toContain("The marker was printed.");
      const [first, second] = provider.chatRequests();
      expect(first.path).toBe("/v1/messages");
      expect(first.headers["x-api-key"]).toBe("sk-ant-test-key-000000");
      expect(first.headers["anthropic-version"]).toBe("2023-06-01");
      expect(first.headers.authorization).toBeUndefined();
      const result_block = second.body.messages[second.body.messages.length - 1].content.find((b: any) => b.type === "tool_result");
      expect(result_block.content).toContain("anthropic-marker-42");
    } finally {
      await proxy.child.stop();
      provider.stop();
      removeTree(logDir);
      removeTree(codex.home);
      removeTree(codex.workdir);
    }
  }, 90000);
});
