// The proxy process with --backend command-code between an HTTP client and a fake Command Code
// server, both on loopback: both stream line formats, 403 upgrade_required, the cc-debug.log lines,
// the watchdog's Command Code Tier 1 rules firing from those real lines, and --self-test.
import GLib from "gi://GLib";
import { LogFile } from "../../src/lib/log-file.js";
import { RuleEngine, type Fired } from "../../src/watchdog/rules.js";
import { classifyLine, type Signal } from "../../src/watchdog/signals.js";
import { FakeCommandCode } from "../helpers/fake-command-code.js";
import { postSse } from "../helpers/http.js";
import { run, gjs, waitFor } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, PROXY_JS, removeTree } from "../helpers/repo.js";

const KEY = "cc-test-KEY-0123456789abcdef";

function readText(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

const turn = (text: string, session = "11111111-2222-4333-8444-555555555555") => ({
  model: "deepseek/deepseek-v4-flash", stream: true, store: false, prompt_cache_key: session,
  input: [{ type: "message", role: "developer", content: [{ type: "input_text", text: "Be helpful." }] },
    { type: "message", role: "user", content: [{ type: "input_text", text }] }],
  tools: [{ type: "function", name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false }],
  tool_choice: "auto", parallel_tool_calls: true,
});

const types = (events: { data: any }[]) => events.map((e) => e.data?.type);
const completed = (events: { data: any }[]) => events[events.length - 1].data.response;

describe("the command-code backend in the proxy process", () => {
  let cc: FakeCommandCode;
  let proxy: RunningProxy;
  let dir: string;
  const debugLines = () => readText(`${dir}/cc-debug.log`).split("\n").filter(Boolean);
  const proxyLog = () => readText(`${dir}/proxy.log`);

  beforeEach(async () => {
    dir = makeTempDir("cc-e2e");
    cc = new FakeCommandCode();
    proxy = await startProxy(["--backend", "command-code", "--target-url", cc.url, "--log-dir", dir], { env: { CODEX_PROXY_API_KEY: KEY } });
  });

  afterEach(async () => {
    await proxy.child.stop();
    cc.stop();
    removeTree(dir);
  });

  it("streams raw JSON lines as live text deltas, with usage from finish-step", async () => {
    cc.then({ kind: "text", text: "Hello from the fake Command Code.", chunkSize: 6, usage: { input: 321, output: 12 } });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("say hi"));
    expect(reply.status).toBe(200);
    expect(types(reply.events).filter((t) => t === "response.output_text.delta").length).toBe(6);
    expect(completed(reply.events).output[0].content[0].text).toBe("Hello from the fake Command Code.");
    expect(completed(reply.events).usage).toEqual(jasmine.objectContaining({ input_tokens: 321, output_tokens: 12 }));
    const sent = cc.generateRequests()[0];
    expect(sent.headers["x-command-code-version"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers.accept).toBe("text/event-stream, application/json");
    expect(sent.body.params).toEqual(jasmine.objectContaining({ stream: true, model: "deepseek/deepseek-v4-flash", tools: [], temperature: 0.3, max_tokens: 64000 }));
    expect(sent.body.params.messages).toEqual([{ role: "user", content: jasmine.stringMatching(/^Be helpful\.\n\n## Tools of this client\n[\s\S]*\n\nsay hi$/) }]);
    expect(sent.body.threadId).toBe("11111111-2222-4333-8444-555555555555");
    expect(debugLines()[0]).toMatch(/\[CC-DEBUG\] resp=resp_\w+ session=11111111-2222-4333-8444-555555555555 text_len=33 answer=text_only text_preview="Hello from the fake Command Code\."$/);
  });

  it("reads SSE data: lines and turns a tool call in the text into a function_call item", async () => {
    cc.then({ kind: "text", format: "sse", text: 'Listing files.\n{"type":"tool-call","id":"c1","name":"exec_command","arguments":{"cmd":"ls -la"}}' });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("list files"));
    const response = completed(reply.events);
    expect(response.output.map((o: any) => o.type)).toEqual(["message", "function_call"]);
    expect(response.output[0].content[0].text).toBe("Listing files.\n");
    expect(response.output[1]).toEqual(jasmine.objectContaining({ name: "exec_command", arguments: '{"cmd":"ls -la"}' }));
    expect(debugLines()[0]).toContain(" parsed_tool_calls=1 recovered_by=raw_json ");
  });

  it("retries a 503 with a short Retry-After before the first byte and then streams the answer", async () => {
    cc.then({ kind: "status", status: 503, body: { error: { message: "busy" } }, headers: { "Retry-After": "1" } }, { kind: "text", text: "After the retry." });
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("hi"));
    expect(reply.status).toBe(200);
    expect(completed(reply.events).output[0].content[0].text).toBe("After the retry.");
    expect(cc.generateRequests().length).toBe(2);
    await waitFor(() => proxyLog().includes("upstream_retry kind=http_5xx status=503 attempt=1 of=2"), 5000, "the retry line");
  });

  it("lowers max_tokens after a 400 that names the model's limit, and remembers it in provider-caps.json", async () => {
    cc.maxTokensLimit = 32000;
    cc.then({ kind: "text", text: "First." }, { kind: "text", text: "Second." });
    const first = await postSse(`${proxy.url}/v1/responses`, turn("hi"));
    expect(completed(first.events).output[0].content[0].text).toBe("First.");
    expect(cc.generateRequests().map((r) => r.body.params.max_tokens)).toEqual([64000, 32000]);
    await waitFor(() => /adjusted status=400 .*max_tokens lowered to 32000 \(remembered for this model once answered\)/.test(proxyLog()), 5000, "the analysis line");
    const caps = JSON.parse(readText(`${dir}/provider-caps.json`));
    expect(caps.entries[`${cc.url}|deepseek/deepseek-v4-flash`].drop).toEqual(["max_tokens:32000"]);
    const second = await postSse(`${proxy.url}/v1/responses`, turn("again"));
    expect(completed(second.events).output[0].content[0].text).toBe("Second.");
    expect(cc.generateRequests().map((r) => r.body.params.max_tokens)).toEqual([64000, 32000, 32000]);
  });

  it("answers a 403 upgrade_required clearly and writes the B4 line the watchdog reads", async () => {
    cc.minVersion = "99.0.0";
    const reply = await postSse(`${proxy.url}/v1/responses`, turn("hi"));
    expect(reply.status).toBe(403);
    const error = JSON.parse(reply.text).error;
    expect(error.message).toContain("upgrade_required: Command Code refused client version");
    expect(error.message).toContain("Please upgrade Command Code to 99.0.0 or newer.");
    await waitFor(() => proxyLog().includes("upstream_error kind=http_4xx status=403"), 5000, "the 403 line");
    const line = proxyLog().split("\n").find((l) => l.includes("upstream_error kind=http_4xx status=403"))!;
    expect(line).toMatch(/req=\w+ upstream_error kind=http_4xx status=403 code="upgrade_required" message="upgrade_required: /);
    const signal = classifyLine(line, "proxy.log", Date.now())!;
    expect([signal.faultId, signal.category]).toEqual(["B4", "upgrade_required"]);
    expect(new RuleEngine().feed(signal)!.rule.trigger).toBe("upstream_401_403");
  });

  it("writes cc-debug.log lines that fire each Command Code Tier 1 rule", async () => {
    const engine = new RuleEngine();
    const fired: Fired[] = [];
    let seen = 0;
    const feedNewLines = () => {
      const lines = debugLines();
      for (const line of lines.slice(seen)) {
        const signal: Signal | null = classifyLine(line, "cc-debug.log", Date.now());
        const f = signal ? engine.feed(signal) : null;
        if (f) fired.push(f);
      }
      seen = lines.length;
    };
    // C1 ×3: calls the chain cannot read.
    for (let i = 0; i < 3; i++) {
      cc.then({ kind: "text", text: "<bash>\nsandbox_permissions: require_escalated\n</bash>" });
      const reply = await postSse(`${proxy.url}/v1/responses`, turn("go"));
      expect(completed(reply.events).output[0].content[0].text).toContain("[codex-launcher] The model tried to call a tool");
    }
    feedNewLines();
    expect(fired.map((f) => f.rule.trigger)).toEqual(["parsed_tool_calls_0_x3"]);
    // C4/C6 ×5: empty and still-JSON commands.
    for (let i = 0; i < 5; i++) {
      cc.then({ kind: "text", text: `{"type":"tool-call","name":"exec_command","arguments":{"cmd":${i % 2 ? '"{}"' : '"{\\"path\\": \\"/x\\"}"'}}}` });
      await postSse(`${proxy.url}/v1/responses`, turn("go"));
    }
    feedNewLines();
    expect(fired.map((f) => f.rule.trigger)).toEqual(["parsed_tool_calls_0_x3", "sanitizer_suspicious_5x"]);
    // C3 ×5: stalled turns recovered by Layer 3, at most 3 in one session, so two sessions.
    for (const session of ["aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"]) {
      for (let i = 0; i < (session.endsWith("1") ? 3 : 2); i++) {
        cc.then({ kind: "text", text: "I'll read the file /etc/hostname next." });
        const reply = await postSse(`${proxy.url}/v1/responses`, turn("go", session));
        expect(completed(reply.events).output.map((o: any) => o.type)).toEqual(["message", "function_call"]);
      }
    }
    feedNewLines();
    expect(fired.map((f) => f.rule.trigger)).toEqual(["parsed_tool_calls_0_x3", "sanitizer_suspicious_5x", "stuck_recovery_x5"]);
    expect(debugLines().filter((l) => l.includes("[STUCK-RECOVERY]")).length).toBe(5);
    // A fourth stall in the first session is surfaced, not guessed.
    cc.then({ kind: "text", text: "I'll read the file /etc/hostname next." });
    const fourth = await postSse(`${proxy.url}/v1/responses`, turn("go", "aaaaaaaa-0000-4000-8000-000000000001"));
    expect(completed(fourth.events).output.map((o: any) => o.type)).toEqual(["message"]);
    expect(debugLines().filter((l) => l.includes("[STUCK-RECOVERY]")).length).toBe(5);
  });

  it("never writes the API key to cc-debug.log, even when the model repeats it", async () => {
    cc.then({ kind: "text", text: `Your key is ${KEY} and Bearer abcdefghijklmnop.` });
    await postSse(`${proxy.url}/v1/responses`, turn("what is my key"));
    const text = debugLines().join("\n");
    expect(text).toContain("Your key is [redacted]");
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("abcdefghijklmnop");
  });
});

describe("cc-debug.log as a LogFile", () => {
  it("rotates at its size limit", () => {
    const dir = makeTempDir("cc-rotate");
    try {
      const log = new LogFile(`${dir}/cc-debug.log`, "CC-DEBUG", 2000);
      for (let i = 0; i < 40; i++) log.write(`resp=r${i} session=s text_len=1 answer=text_only text_preview="${"x".repeat(40)}"`);
      log.close();
      expect(readText(`${dir}/cc-debug.log.1`).split("\n").filter(Boolean).length).toBeGreaterThan(10);
      expect(readText(`${dir}/cc-debug.log`).length).toBeLessThan(2100);
    } finally {
      removeTree(dir);
    }
  });
});

describe("codex-launcher-proxy --self-test", () => {
  it("prints one line per pattern and passes them all", async () => {
    const result = await run([gjs(), "-m", PROXY_JS, "--self-test"]);
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    const total = lines.length - 1;
    expect(total).toBeGreaterThanOrEqual(54 + 8);
    expect(lines.slice(0, -1).every((l) => l.startsWith("PASS  ["))).toBeTrue();
    expect(lines[lines.length - 1]).toBe(`${total} passed, 0 failed`);
  });

  it("exits 1 when a fixture is mutated, and 2 when the fixture file is unreadable", async () => {
    const dir = makeTempDir("cc-selftest");
    try {
      const file = `${dir}/mutated.json`;
      GLib.file_set_contents(file, JSON.stringify([{ name: "mutated: DSML cmd", kind: "parse",
        text: '<｜DSML｜invoke name="bash"><｜DSML｜parameter name="cmd">ls -la</｜DSML｜parameter></｜DSML｜invoke>', expect: [{ name: "exec_command", cmd: "ls -l" }] }]));
      const failed = await run([gjs(), "-m", PROXY_JS, "--self-test", "--self-test-fixtures", file]);
      expect(failed.exitCode).toBe(1);
      expect(failed.stdout).toContain('FAIL  [file] mutated: DSML cmd — call 1: expected cmd "ls -l", got "ls -la"');
      expect(failed.stdout.trim().split("\n").pop()).toMatch(/^\d+ passed, 1 failed$/);
      const missing = await run([gjs(), "-m", PROXY_JS, "--self-test", "--self-test-fixtures", `${dir}/none.json`]);
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toContain("cannot read");
    } finally {
      removeTree(dir);
    }
  });
});
