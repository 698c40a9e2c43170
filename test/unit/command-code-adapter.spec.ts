// The command-code backend: request mapping (B.7, FIX 1), the stream reply (live text, recovered
// calls, usage), the cc-debug.log lines and the fit of calls to Codex's own tools.
import type { ResponsesRequest } from "../../src/proxy/responses/types.js";
import type { ResponsesEvent } from "../../src/proxy/translate/contract.js";
import { commandCodeAdapter, commandCodeBackend, COMMAND_CODE_VERSION, explainCommandCodeError, threadIdFor } from "../../src/proxy/translate/command-code/adapter.js";
import { preview, summaryLine } from "../../src/proxy/translate/command-code/debug-lines.js";
import { LiveText } from "../../src/proxy/translate/command-code/live-text.js";
import { lessonsFrom, withLessons } from "../../src/proxy/translate/command-code/quirks.js";
import { recoverToolCalls, STUCK_LIMIT_NOTE, UNRECOVERABLE_NOTE } from "../../src/proxy/translate/command-code/parser/chain.js";
import { CommandCodeReply } from "../../src/proxy/translate/command-code/reply.js";
import { clipToolOutput, responsesToCommandCode } from "../../src/proxy/translate/command-code/request.js";
import { SessionMemory, sessionIdOf, userUrlsOf } from "../../src/proxy/translate/command-code/session.js";
import { readPart } from "../../src/proxy/translate/command-code/stream-parts.js";
import { fitCall, ToolIndex } from "../../src/proxy/translate/command-code/tool-fit.js";
import { classifyLine } from "../../src/watchdog/signals.js";
import { captureBody, FIRST_TURN, FOLLOWUP_APPLY_PATCH, FOLLOWUP_FUNCTION } from "../helpers/captures.js";

const OPTIONS = { threadId: "01a20ddd-3f4c-75f0-8224-fcfe18702ae5", date: "2026-11-27" };

function input(request: ResponsesRequest) {
  return request.input as any[];
}

describe("Responses → Command Code request", () => {
  it("sends B.7's body: config from Codex's environment, params with string messages and no tools", () => {
    const request = captureBody(FIRST_TURN);
    const { body } = responsesToCommandCode(request, input(request), OPTIONS);
    expect(body.config).toEqual({ workingDir: "/home/dev/project", date: "2026-11-27", environment: "linux", shell: "bash", files: [], structure: [],
      isGitRepo: false, currentBranch: "", mainBranch: "", gitStatus: "", recentCommits: [] });
    expect([body.memory, body.taste, body.skills]).toEqual(["", "", ""]);
    expect(body.threadId).toBe(OPTIONS.threadId);
    expect(body.params).toEqual(jasmine.objectContaining({ stream: true, max_tokens: 64000, temperature: 0.3, model: "fake-model", tools: [] }));
    // Instructions lead the first user message, with the tools Codex offers and the call format.
    expect(body.params.messages.map((m) => m.role)).toEqual(["user"]);
    const first = body.params.messages[0].content;
    expect(first.startsWith("You are a coding agent running in the Codex CLI")).toBeTrue();
    expect(first).toContain("## Tools of this client");
    expect(first).toContain("- exec_command(cmd*, ");
    expect(first).toContain('{"type":"tool-call","id":"call_1","name":"exec_command","arguments":{"cmd":"ls -la"}}');
    expect(first).not.toContain("web_search");
    expect(first.endsWith("run echo")).toBeTrue();
  });

  it("replays a tool round trip as a tool-call JSON line and a user message with the result (FIX 1)", () => {
    const request = captureBody(FOLLOWUP_FUNCTION);
    const call = input(request).find((i) => i.type === "function_call");
    const { body } = responsesToCommandCode(request, input(request), OPTIONS);
    const [, assistant, result] = body.params.messages;
    expect(body.params.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(JSON.parse(assistant.content)).toEqual({ type: "tool-call", id: call.call_id, name: "exec_command", arguments: JSON.parse(call.arguments) });
    expect(result.content.startsWith(`Tool result for call ${call.call_id}:\n`)).toBeTrue();
    expect(result.content).toContain("Process exited with code 0");
  });

  it("replays apply_patch with its input, and cuts long output keeping head and tail", () => {
    const request = captureBody(FOLLOWUP_APPLY_PATCH);
    const custom = input(request).find((i) => i.type === "custom_tool_call");
    const { body } = responsesToCommandCode(request, input(request), OPTIONS);
    const line = body.params.messages.find((m) => m.role === "assistant")!.content;
    expect(JSON.parse(line).arguments).toEqual({ input: custom.input });
    const long = `HEAD${"x".repeat(20000)}TAIL`;
    const clipped = clipToolOutput(long);
    expect(clipped.length).toBeLessThan(8100);
    expect(clipped.startsWith("HEAD")).toBeTrue();
    expect(clipped.endsWith("TAIL")).toBeTrue();
    expect(clipped).toContain("characters cut");
  });

  it("honours max_output_tokens and temperature, and rejects a request without model or input", () => {
    const { body } = responsesToCommandCode({ model: "m", max_output_tokens: 1234, temperature: 0.9, input: "hi" }, [{ role: "user", content: "hi" }], OPTIONS);
    expect([body.params.max_tokens, body.params.temperature]).toEqual([1234, 0.9]);
    expect(() => responsesToCommandCode({ input: "x" }, [], OPTIONS)).toThrowError(/model/);
    expect(() => responsesToCommandCode({ model: "m" }, [], OPTIONS)).toThrowError(/no input/);
  });
});

describe("the command-code adapter", () => {
  it("posts to alpha/generate as JSON lines, always with x-command-code-version", async () => {
    const adapter = commandCodeBackend.create({ targetUrl: "http://127.0.0.1:9", quirks: { quirksFor: () => new Set(), learn: () => {}, forget: () => {} } });
    const request = captureBody(FIRST_TURN);
    const call = await adapter.prepare(request, input(request), true);
    expect(adapter.name).toBe("command-code");
    expect(call.path).toBe("alpha/generate");
    expect(call.framing).toBe("json-lines");
    expect(call.headers!["x-command-code-version"]).toBe(COMMAND_CODE_VERSION);
    expect(call.headers!.Accept).toBe("text/event-stream, application/json");
    expect(call.headers!["User-Agent"]).toContain("Mozilla/5.0");
    expect((call.body as any).threadId).toBe("01a20ddd-3f4c-75f0-8224-fcfe18702ae5");
    expect(commandCodeBackend.headers("cc-key")).toEqual({ Authorization: "Bearer cc-key" });
  });

  it("explains 403 upgrade_required with the version it sent; other errors keep the provider's words", () => {
    const text = explainCommandCodeError(403, "Please upgrade", "upgrade_required")!;
    expect(text).toContain("upgrade_required");
    expect(text).toContain(`client version ${COMMAND_CODE_VERSION}`);
    expect(explainCommandCodeError(403, "error: upgrade_required", null)).toContain("x-command-code-version");
    expect(explainCommandCodeError(403, "forbidden", "forbidden")).toBeNull();
    expect(explainCommandCodeError(401, "upgrade_required", null)).toBeNull();
  });

  it("makes one thread per session: a Codex uuid is kept, anything else gets a fresh v4 uuid", () => {
    expect(threadIdFor("01A20DDD-3F4C-75F0-8224-FCFE18702AE5")).toBe("01a20ddd-3f4c-75f0-8224-fcfe18702ae5");
    expect(threadIdFor("none")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("Command Code stream lines", () => {
  it("reads text, reasoning, finish-step usage, finish, errors and structured tool calls", () => {
    expect(readPart({ type: "text-delta", text: "a" })).toEqual([{ kind: "text", text: "a" }]);
    expect(readPart({ type: "text-delta", textDelta: "b" })).toEqual([{ kind: "text", text: "b" }]);
    expect(readPart({ type: "reasoning-delta", delta: "c" })).toEqual([{ kind: "reasoning", text: "c" }]);
    expect(readPart({ type: "finish-step", usage: { inputTokens: 10, outputTokens: 4 } })).toEqual([{ kind: "step", usage: { input: 10, output: 4, cached: 0 }, reason: null }]);
    expect(readPart({ type: "finish", finishReason: "length" })).toEqual([{ kind: "end", usage: null, reason: "length" }]);
    expect(readPart({ type: "error", error: { message: "boom", code: "overloaded" } })).toEqual([{ kind: "error", message: "boom", code: "overloaded" }]);
    expect(readPart({ type: "tool-call", toolCallId: "t1", toolName: "bash", input: { command: "ls" } })).toEqual([{ kind: "tool-call", id: "t1", name: "bash", args: { command: "ls" } }]);
    expect(readPart({ type: "start-step" })).toEqual([]);
    expect(readPart("x")).toEqual([]);
  });
});

describe("live text", () => {
  it("shows prose at once and holds from the first possible markup", () => {
    const live = new LiveText();
    expect(live.push("Let me check. ")).toBe("Let me check. ");
    expect(live.push("x < y and <")).toBe("x < y and ");
    expect(live.push("thi")).toBe("<thi");
    expect(live.push("nk>hm</think> ok <ba")).toBe("nk>hm</think> ok ");
    expect(live.push("sh>ls</bash> more")).toBe("");
    expect(live.text).toBe("Let me check. x < y and <think>hm</think> ok <bash>ls</bash> more");
    expect(live.shownUpTo).toBe("Let me check. x < y and <think>hm</think> ok ".length);
    const code = new LiveText();
    expect(code.push("let v: Vec<String> = <div>x</div>; <func")).toBe("let v: Vec<String> = <div>x</div>; ");
    expect(code.push("tion=exec_command>")).toBe("");
    const json = new LiveText();
    expect(json.push("a {")).toBe("a ");
    expect(json.push(" 1 } b")).toBe("{ 1 } b");
    expect(json.push(' {"cmd"')).toBe(" ");
  });
});

type Ev = ResponsesEvent & Record<string, any>;

function reply(options: { tools?: any[]; session?: ReturnType<SessionMemory["touch"]> } = {}) {
  const lines: string[] = [];
  const session = options.session ?? new SessionMemory().touch("sess-1", []);
  const translator = new CommandCodeReply({ model: "deepseek/deepseek-v4-flash", tools: new ToolIndex(options.tools ?? captureBody(FIRST_TURN).tools!),
    parallelToolCalls: true, toolChoice: "auto", session, debug: (l) => lines.push(l) });
  return { translator, lines, session };
}

function run(translator: CommandCodeReply, chunks: string[], end: unknown[] = [{ type: "finish-step", usage: { inputTokens: 50, outputTokens: 9 } }, { type: "finish" }]) {
  const live: Ev[][] = [];
  translator.start();
  for (const c of chunks) live.push(translator.message({ type: "text-delta", text: c }) as Ev[]);
  for (const e of end) translator.message(e);
  const final = translator.finish(false) as Ev[];
  return { live, final, response: translator.response };
}

const deltas = (events: Ev[]) => events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");

describe("Command Code reply → Responses events", () => {
  it("streams a plain answer as it arrives and completes with finish-step usage", () => {
    const { translator, lines } = reply();
    const { live, response } = run(translator, ["Hello ", "from ", "Command Code."]);
    expect(live.map(deltas)).toEqual(["Hello ", "from ", "Command Code."]);
    expect(response.status).toBe("completed");
    expect(response.output).toEqual([jasmine.objectContaining({ type: "message", content: [jasmine.objectContaining({ text: "Hello from Command Code." })] })]);
    expect(response.usage).toEqual(jasmine.objectContaining({ input_tokens: 50, output_tokens: 9, total_tokens: 59 }));
    expect(lines).toEqual([jasmine.stringMatching(/^resp=resp_\w+ session=sess-1 text_len=24 answer=text_only text_preview="Hello from Command Code\."$/)]);
  });

  it("turns a recovered call into an exec_command function_call after the message, the markup left out", () => {
    const { translator, lines } = reply();
    const { live, final, response } = run(translator, ["I'll list the files.\n<ba", "sh>\nls -la\n</bash>"]);
    expect(live.map(deltas)).toEqual(["I'll list the files.\n", ""]);
    expect(deltas(final)).toBe("");
    const [message, call] = response.output as any[];
    expect(message.content[0].text).toBe("I'll list the files.\n");
    expect(call).toEqual(jasmine.objectContaining({ type: "function_call", name: "exec_command", arguments: '{"cmd":"ls -la"}', status: "completed" }));
    expect(final.map((e) => e.type)).toContain("response.function_call_arguments.done");
    expect(lines[0]).toMatch(/ text_len=\d+ parsed_tool_calls=1 recovered_by=bash stages_found=1 tool_signals=yes stuck_recoveries=0\/3 text_preview=".*"$/);
  });

  it("says so in the answer when a call cannot be recovered (never a silent empty turn)", () => {
    const { translator, lines } = reply();
    const { response } = run(translator, ["<bash>\nsandbox_permissions: require_escalated\n</bash>"]);
    expect(response.output.length).toBe(1);
    expect((response.output[0] as any).content[0].text).toContain(UNRECOVERABLE_NOTE);
    expect(lines[0]).toContain(" parsed_tool_calls=0 recovered_by=none outcome=surfaced_to_user reason=unreadable_call ");
  });

  it("recovers a stalled model at most 3 times per session, logging [STUCK-RECOVERY] each time", () => {
    const session = new SessionMemory().touch("sess-2", []);
    const all: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const { translator, lines } = reply({ session });
      const { response } = run(translator, ["Let me read the file /etc/hostname."]);
      all.push(...lines);
      const call = response.output.find((o) => o.type === "function_call");
      if (i <= 3) expect(call).withContext(`turn ${i}`).toBeDefined();
      else {
        expect(call).toBeUndefined();
        expect((response.output[0] as any).content[0].text).toContain(STUCK_LIMIT_NOTE);
      }
    }
    const stuck = all.filter((l) => l.includes("[STUCK-RECOVERY]"));
    expect(stuck.length).toBe(3);
    expect(stuck[2]).toMatch(/ \[STUCK-RECOVERY\] synthesized a command by layer3_path \(recovery 3\/3 in this session\) cmd_preview="head -n 200 -- '\/etc\/hostname'/);
    expect(all.filter((l) => l.includes("stuck recovery limit reached")).length).toBe(1);
    expect(all[all.length - 1]).toContain("parsed_tool_calls=0 recovered_by=none outcome=surfaced_to_user reason=stuck_limit");
  });

  it("logs each sanitizer flag on its own line", () => {
    const { translator, lines } = reply();
    run(translator, ['{"type":"tool-call","name":"exec_command","arguments":{"cmd":"{}"}} {"type":"tool-call","name":"bash","arguments":{"command":"{\\"a\\":1}"}}']);
    expect(lines.slice(0, 2)).toEqual([
      jasmine.stringMatching(/ \[CC-SANITIZER\] empty cmd recovered in tool call #1 \(exec_command\) cmd_preview="\\"\{\}\\""$/),
      jasmine.stringMatching(/ \[CC-SANITIZER\] suspicious cmd \(still JSON\) in tool call #2 \(exec_command\) cmd_preview=/),
    ]);
  });

  it("fails the response on a Command Code error line, and on a stream that ended before anything came", () => {
    const { translator } = reply();
    translator.start();
    translator.message({ type: "text-delta", text: "par" });
    const failed = translator.message({ type: "error", error: { message: "model overloaded", code: "overloaded" } }) as Ev[];
    expect(failed.map((e) => e.type)).toEqual(["response.failed"]);
    expect(translator.response.error).toEqual({ code: "overloaded", message: "Command Code error: model overloaded" });
    const empty = reply().translator;
    empty.start();
    expect((empty.finish(false) as Ev[])[0].type).toBe("response.failed");
  });

  it("takes calls the provider sent as structured tool-call parts, and reasoning as a reasoning item", () => {
    const { translator } = reply();
    translator.start();
    translator.message({ type: "reasoning-delta", text: "thinking" });
    translator.message({ type: "tool-call", toolCallId: "t", toolName: "bash", input: { command: "pwd" } });
    translator.message({ type: "finish" });
    translator.finish(false);
    expect(translator.response.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    expect((translator.response.output[1] as any).arguments).toBe('{"cmd":"pwd"}');
  });
});

describe("fitting calls to the tools Codex offers", () => {
  const call = (name: string, args: Record<string, unknown>) => ({ name, args, stage: "raw_json" as const });

  it("keeps exec_command arguments Codex 0.169 accepts", () => {
    const tools = new ToolIndex(captureBody(FIRST_TURN).tools!);
    expect(fitCall(call("exec_command", { cmd: "curl x", sandbox_permissions: "with_user_approval", justification: "net", prefix_rule: ["curl"], bogus: 1 }), tools))
      .toEqual({ kind: "call", name: "exec_command", arguments: '{"cmd":"curl x","sandbox_permissions":"require_escalated","justification":"net","prefix_rule":["curl"]}' });
    expect(fitCall(call("exec_command", { cmd: "ls", sandbox_permissions: "use_default", justification: "x" }), tools)).toEqual({ kind: "call", name: "exec_command", arguments: '{"cmd":"ls"}' });
  });

  it("uses shell or shell_command on a Codex without exec_command, update_plan for todos when offered, else text", () => {
    const shell = new ToolIndex([{ type: "function", name: "shell", parameters: { type: "object", properties: { command: { type: "array" } } } }]);
    expect(fitCall(call("exec_command", { cmd: "ls" }), shell)).toEqual({ kind: "call", name: "shell", arguments: '{"command":["bash","-lc","ls"]}' });
    const plan = new ToolIndex([{ type: "function", name: "update_plan", parameters: { type: "object", properties: { plan: {} } } }]);
    const todos = [{ content: "A", activeForm: "A", status: "completed" }];
    expect(fitCall(call("TodoWrite", { todos }), plan)).toEqual({ kind: "call", name: "update_plan", arguments: '{"plan":[{"step":"A","status":"completed"}]}' });
    expect(fitCall(call("TodoWrite", { todos }), new ToolIndex(captureBody(FIRST_TURN).tools!))).toEqual({ kind: "text", text: "Plan:\n- [x] A" });
  });

  it("finds namespaced tools by their plain name and passes unknown names on", () => {
    const tools = new ToolIndex(captureBody(FIRST_TURN).tools!);
    expect(fitCall(call("spawn_agent", { message: "x" }), tools).kind).toBe("call");
    expect((fitCall(call("spawn_agent", { message: "x" }), tools) as any).name).toBe("multi_agent_v1__spawn_agent");
    expect(fitCall(call("no_such_tool", { a: 1 }), tools)).toEqual({ kind: "call", name: "no_such_tool", arguments: '{"a":1}' });
  });
});

describe("Command Code sessions", () => {
  it("knows the session from prompt_cache_key, tames odd ids, and remembers user URLs newest last", () => {
    expect(sessionIdOf({ prompt_cache_key: "abc-123" })).toBe("abc-123");
    expect(sessionIdOf({ client_metadata: { session_id: "x y=z" } })).toMatch(/^h[0-9a-z]+$/);
    expect(sessionIdOf({})).toBe("none");
    const urls = userUrlsOf([{ role: "user", content: "<environment_context>https://skip.example.com/a</environment_context>" },
      { role: "user", content: [{ type: "input_text", text: "look at https://github.com/a/one" }] }, { role: "assistant", content: "https://github.com/x/no" },
      { role: "user", content: "and https://github.com/a/two." }]);
    expect(urls).toEqual(["https://github.com/a/one", "https://github.com/a/two"]);
    const memory = new SessionMemory();
    memory.touch("s", ["https://a.org/1", "https://a.org/2"]);
    expect(memory.touch("s", ["https://a.org/1"]).urls).toEqual(["https://a.org/2", "https://a.org/1"]);
    for (let i = 0; i < 300; i++) memory.touch(`s${i}`, []);
    expect(memory.size).toBe(256);
  });
});

describe("cc-debug.log lines and the watchdog", () => {
  const ctx = { responseId: "resp_1", session: "s" };

  it("keep model text after the preview marker, where it cannot fake a signal", () => {
    const evil = 'parsed_tool_calls=0 [STUCK-RECOVERY] suspicious cmd empty cmd recovered HTTP 500 "quoted"\n';
    const text = summaryLine(ctx, evil, recoverToolCalls({ text: evil, userUrls: [], stuckRecoveriesLeft: 3 }), [], 0, 3);
    expect(text).toBe(`resp=resp_1 session=s text_len=${evil.length} answer=text_only text_preview=${preview(evil)}`);
    expect(classifyLine(text, "cc-debug.log", 0)).toBeNull();
    expect(text).not.toContain("\n");
  });

  it("classify as C1, C3, C4 and C6 from their fixed part", () => {
    const stuck = recoverToolCalls({ text: "Let me read the file /a.", userUrls: [], stuckRecoveriesLeft: 3 });
    const empty = recoverToolCalls({ text: "<bash>\njustification: x\n</bash>", userUrls: [], stuckRecoveriesLeft: 3 });
    expect(classifyLine(summaryLine(ctx, "t", empty, [], 0, 3), "cc-debug.log", 0)!.faultId).toBe("C1");
    expect(classifyLine(summaryLine(ctx, "t", stuck, ["layer3_path"], 1, 3), "cc-debug.log", 0)).toBeNull();
    const { translator, lines } = reply();
    run(translator, ['Let me check the file /etc/hostname. {"type":"tool-call","name":"exec_command","arguments":{"cmd":"{}"}}']);
    expect(lines.map((l) => classifyLine(l, "cc-debug.log", 0)?.faultId ?? null)).toEqual(["C6", null]);
    const stalled = reply();
    run(stalled.translator, ["I'll read the file /etc/hostname now."]);
    expect(stalled.lines.map((l) => classifyLine(l, "cc-debug.log", 0)?.faultId ?? null)).toEqual(["C3", null]);
  });
});

describe("Command Code error analysis (ErrorAnalyzer)", () => {
  const body = () => responsesToCommandCode({ model: "m" }, [{ role: "user", content: "hi" }], OPTIONS).body;

  it("learns a lower max_tokens or no temperature from a 400 message, and applies them", () => {
    expect(lessonsFrom("max_tokens: 64000 exceeds this model's limit of 32,768", body())).toEqual(["max_tokens:32768"]);
    expect(lessonsFrom("Unsupported parameter: 'temperature' is not supported with this model.", body())).toEqual(["temperature"]);
    expect(lessonsFrom("messages: field required", body())).toEqual([]);
    const adjusted = withLessons(body(), new Set(["temperature", "max_tokens:32768", "max_tokens:16000"]));
    expect(adjusted.params.max_tokens).toBe(16000);
    expect("temperature" in adjusted.params).toBeFalse();
  });

  it("sends the call again with the lesson and remembers it for the endpoint and model once the retry was answered", async () => {
    const learned = new Map<string, Set<string>>();
    const memory = { quirksFor: (k: string) => learned.get(k) ?? new Set<string>(), learn: (k: string, q: readonly string[]) => learned.set(k, new Set([...(learned.get(k) ?? []), ...q])),
      forget: (k: string, q: readonly string[]) => learned.set(k, new Set([...(learned.get(k) ?? [])].filter((x) => !q.includes(x)))) };
    const adapter = commandCodeAdapter({ targetUrl: "http://cc.test", quirks: memory });
    const call = await adapter.prepare({ model: "m", input: "hi" }, [{ role: "user", content: "hi" }], true);
    const retry = (await call.retryAfterError!(400, "max_tokens must be at most 8192"))!;
    expect((retry.call.body as any).params.max_tokens).toBe(8192);
    expect(retry.reason).toBe("max_tokens lowered to 8192 (remembered for this model once answered)");
    expect(await retry.call.retryAfterError!(400, "max_tokens must be at most 8192")).toBeNull();
    expect(await call.retryAfterError!(500, "max_tokens must be at most 8192")).toBeNull();
    // Nothing is kept before the adjusted call's answer completed.
    expect(learned.get("http://cc.test|m")).toBeUndefined();
    retry.call.succeeded!();
    expect([...learned.get("http://cc.test|m")!]).toEqual(["max_tokens:8192"]);
    const next = await adapter.prepare({ model: "m", input: "hi" }, [{ role: "user", content: "hi" }], true);
    expect((next.body as any).params.max_tokens).toBe(8192);
  });
});
