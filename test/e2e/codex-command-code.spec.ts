// The real Codex CLI 0.169.0 → codex-launcher-proxy --backend command-code → a fake Command Code
// server, all on loopback: an exec_command round trip for every tool-call text format the parser
// chain knows, plain text, an unrecoverable call, and 403 upgrade_required.
import GLib from "gi://GLib";
import { makeCodexHome, runCodex, type CodexHome } from "../helpers/codex.js";
import { FakeCommandCode, type CcRecorded } from "../helpers/fake-command-code.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const D = "｜｜DSML｜｜";

/** Model texts that ask for `echo <marker>`, one per format, with the stage that must recover it. */
const FORMATS: { name: string; stage: string; text: (marker: string) => string }[] = [
  { name: "DSML invoke/parameter", stage: "dsml", text: (m) =>
    `Running it.\n<${D}tool_calls>\n<${D}invoke name="bash">\n<${D}parameter name="command" string="true">echo ${m}</${D}parameter>\n</${D}invoke>\n</${D}tool_calls>` },
  { name: "<bash> block", stage: "bash", text: (m) => `<bash>\njustification: print the marker\necho ${m}\n</bash>` },
  { name: "<tool_call name> with <parameter>", stage: "xml", text: (m) => `<tool_call name="exec_command">\n<parameter name="cmd">echo ${m}</parameter>\n</tool_call>` },
  { name: "<function=…> (Qwen)", stage: "xml", text: (m) => `<tool_call>\n<function=exec_command>\n<parameter=cmd>\necho ${m}\n</parameter>\n</function>\n</tool_call>` },
  { name: "<tool_call type=\"bash\"> JSON", stage: "xml", text: (m) => `<tool_call type="bash">{"cmd": "echo ${m}"}</tool_call>` },
  { name: "<tool_call> Hermes JSON", stage: "xml", text: (m) => `<tool_call>\n{"name": "bash", "arguments": {"command": "echo ${m}"}}\n</tool_call>` },
  { name: "<function_calls><invoke> (Claude XML)", stage: "xml", text: (m) =>
    `<function_calls>\n<invoke name="bash">\n<parameter name="command">echo ${m}</parameter>\n</invoke>\n</function_calls>` },
  { name: "raw inline JSON", stage: "raw_json", text: (m) => `Let me run it.\n{"type":"tool-call","id":"call_1","name":"exec_command","arguments":{"cmd":"echo ${m}"}}` },
  { name: "raw JSON with escaped quotes", stage: "raw_json", text: (m) =>
    `{\\"type\\":\\"tool_call\\",\\"name\\":\\"run_shell_command\\",\\"arguments\\":{\\"command\\":\\"echo ${m}\\"}}` },
  { name: "bare {\"cmd\"} object (FIX 13 fallback)", stage: "fallback", text: (m) => `Executing: {"cmd": "echo ${m}"}` },
  { name: "backticked command in prose (Layer 3)", stage: "layer3_command", text: (m) => `I'll run \`echo ${m}\` to check.` },
];

describe("real Codex CLI through the command-code backend", () => {
  let cc: FakeCommandCode;
  let proxy: RunningProxy;
  let logDir: string;
  let codex: CodexHome;
  let seen = 0;

  const debugLog = () => {
    try {
      return new TextDecoder().decode(GLib.file_get_contents(`${logDir}/cc-debug.log`)[1]);
    } catch {
      return "";
    }
  };
  /** The generate requests of the current spec. */
  const requests = (): CcRecorded[] => cc.generateRequests().slice(seen);
  const toolResult = (r: CcRecorded) => (r.body.params.messages as { role: string; content: string }[])
    .filter((m) => m.role === "user" && m.content.startsWith("Tool result for call ")).pop()?.content ?? "";

  beforeAll(async () => {
    cc = new FakeCommandCode();
    logDir = makeTempDir("codex-cc-logs");
    proxy = await startProxy(["--backend", "command-code", "--target-url", cc.url, "--log-dir", logDir]);
    codex = await makeCodexHome(proxy.port, "fake-model");
  });

  afterAll(async () => {
    await proxy.child.stop();
    cc.stop();
    for (const dir of [logDir, codex.home, codex.workdir]) removeTree(dir);
  });

  beforeEach(() => {
    seen = cc.generateRequests().length;
  });

  for (const [i, format] of FORMATS.entries()) {
    it(`completes an exec_command round trip: ${format.name}`, async () => {
      const marker = `cc-marker-${i}-${format.stage}`;
      cc.then({ kind: "text", text: format.text(marker) }, { kind: "text", text: `Done: the command printed ${marker}.` });
      const result = await runCodex(codex, "print the marker");
      expect(result.exitCode).withContext(result.stderr).toBe(0);
      expect(result.stdout).toContain(`Done: the command printed ${marker}.`);
      const [first, second] = requests();
      expect(requests().length).toBe(2);
      expect(first.body.params.messages[0].content).toContain("- exec_command(cmd*");
      // Codex ran the command and sent its output back: FIX 1's tool-call line, then the result.
      const history = second.body.params.messages as { role: string; content: string }[];
      const callLine = history.find((m) => m.role === "assistant" && m.content.includes('"type":"tool-call"'))!.content;
      const call = JSON.parse(callLine.split("\n").find((l) => l.startsWith('{"type":"tool-call"'))!);
      expect(call.name).toBe("exec_command");
      expect(call.arguments.cmd).toBe(`echo ${marker}`);
      const output = toolResult(second);
      expect(output).toContain("Process exited with code 0");
      expect(output).toContain(`Output:\n`);
      expect(output.split("Output:\n")[1]).toContain(marker);
      expect(debugLog()).toContain(` parsed_tool_calls=1 recovered_by=${format.stage} `);
    }, 90000);
  }

  it("explores a repository named in an <explore_agent> block (Layer 1) through the Gitea API on loopback", async () => {
    cc.pages.set("/api/v1/repos/acme/widget/raw/README.md", "# Widget\ncc-marker-explore-readme\n");
    cc.then({ kind: "text", text: `<explore_agent>\nmessages: [{"content": "Understand ${cc.url}/acme/widget"}]\n</explore_agent>` },
      { kind: "text", text: "Explored the repository." });
    const result = await runCodex(codex, "explore it", ["-s", "danger-full-access"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Explored the repository.");
    expect(toolResult(requests()[1])).toContain("cc-marker-explore-readme");
    expect(cc.requests.some((r) => r.method === "GET" && r.path === "/api/v1/repos/acme/widget/raw/README.md")).toBeTrue();
    expect(debugLog()).toContain(" parsed_tool_calls=1 recovered_by=explore_agent ");
  }, 90000);

  it("proceeds past an escalation block (Layer 2)", async () => {
    cc.then({ kind: "text", text: "<require_escalation>\nI need elevated permissions to continue.\n</require_escalation>" }, { kind: "text", text: "Continuing without escalation." });
    const result = await runCodex(codex, "go on");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(toolResult(requests()[1])).toContain("escalation: auto-proceeding — no specific command in escalation block");
    expect(result.stdout).toContain("Continuing without escalation.");
  }, 90000);

  it("streams a text-only answer as text", async () => {
    cc.then({ kind: "text", text: "Plain answer from Command Code: 42 (see https://example.com/docs).", chunkSize: 5 });
    const result = await runCodex(codex, "what is the answer");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Plain answer from Command Code: 42 (see https://example.com/docs).");
    expect(requests().length).toBe(1);
    expect(debugLog()).toContain(" answer=text_only text_preview=\"Plain answer from Command Code");
  }, 90000);

  it("shows a todo list as text when Codex offers no plan tool", async () => {
    cc.then({ kind: "text", text: 'Here is my plan.\n<todo_write><todos>[{"content":"Read the code","status":"completed"},{"content":"Write the fix","status":"pending"}]</todos></todo_write>' });
    const result = await runCodex(codex, "plan it");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Plan:\n- [x] Read the code\n- [ ] Write the fix");
    expect(result.stdout).not.toContain("<todo_write>");
  }, 90000);

  it("surfaces a tool call it cannot recover as a clear message, not an empty turn", async () => {
    cc.then({ kind: "text", text: "<bash>\nsandbox_permissions: require_escalated\n</bash>" });
    const result = await runCodex(codex, "do it");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("[codex-launcher] The model tried to call a tool, but the proxy could not read the call, so nothing was run.");
    expect(requests().length).toBe(1);
    expect(debugLog()).toContain(" parsed_tool_calls=0 recovered_by=none outcome=surfaced_to_user reason=unreadable_call ");
  }, 90000);

  it("tells the user when Command Code wants a newer client (403 upgrade_required)", async () => {
    cc.minVersion = "99.0.0";
    try {
      const result = await runCodex(codex, "hi");
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain("403 Forbidden");
      expect(result.stderr).toContain("upgrade_required: Command Code refused client version");
    } finally {
      cc.minVersion = "0.0.1";
    }
  }, 90000);
});
