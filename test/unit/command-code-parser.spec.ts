// The Command Code parser chain (B.15): each stage, the sanitizer, the FIX 13 fallback and
// Intelligence Routing Layers 1–3, with the original's defects fixed.
import GLib from "gi://GLib";
import { maskSpans, messageText, parseToolCalls, recoverToolCalls, recoveredBy, surfacedNote, STUCK_LIMIT_NOTE, UNRECOVERABLE_NOTE } from "../../src/proxy/translate/command-code/parser/chain.js";
import { canonicalCall, normalizeSandbox, normalizeTodos } from "../../src/proxy/translate/command-code/parser/calls.js";
import { fallbackCalls, hasToolSignals, toolCallSignals } from "../../src/proxy/translate/command-code/parser/fallback.js";
import { announcesAction, synthesizeFromIntent } from "../../src/proxy/translate/command-code/parser/intent.js";
import { looseStringField, parseLoose } from "../../src/proxy/translate/command-code/parser/loose-json.js";
import { sanitizeCall, unwrapCmd } from "../../src/proxy/translate/command-code/parser/sanitizer.js";
import { echoCommand, isDestructiveCommand, isSafeToSynthesize, oneLine, shellQuote } from "../../src/proxy/translate/command-code/parser/shell.js";
import { parseBashBlocks } from "../../src/proxy/translate/command-code/parser/stages/bash-block.js";
import { parseDsml } from "../../src/proxy/translate/command-code/parser/stages/dsml.js";
import { parseEscalation } from "../../src/proxy/translate/command-code/parser/stages/escalation.js";
import { parseExploreAgent } from "../../src/proxy/translate/command-code/parser/stages/explore-agent.js";
import { parseRawJson } from "../../src/proxy/translate/command-code/parser/stages/raw-json.js";
import { parseTodoWrite } from "../../src/proxy/translate/command-code/parser/stages/todo-write.js";
import { parseXml } from "../../src/proxy/translate/command-code/parser/stages/xml.js";
import { buildExploreCmd, findUrls, findUrlsDeep, repoFromUrl } from "../../src/proxy/translate/command-code/parser/urls.js";

const cmds = (calls: { args: Record<string, unknown> }[]) => calls.map((c) => c.args.cmd);

/** Runs a command with the real bash in a scratch directory; returns stdout and what the directory holds afterwards. */
function bash(cmd: string): { out: string; files: string[] } {
  const dir = GLib.dir_make_tmp("cc-shell-XXXXXX");
  const [, out] = GLib.spawn_sync(dir, ["bash", "-c", cmd], null, GLib.SpawnFlags.SEARCH_PATH, null);
  const [, listing] = GLib.spawn_sync(dir, ["ls", "-A"], null, GLib.SpawnFlags.SEARCH_PATH, null);
  const files = new TextDecoder().decode(listing ?? new Uint8Array()).split("\n").filter(Boolean);
  GLib.spawn_sync(null, ["rm", "-rf", dir], null, GLib.SpawnFlags.SEARCH_PATH, null);
  return { out: new TextDecoder().decode(out ?? new Uint8Array()), files };
}

describe("Command Code stage 1: DSML", () => {
  const D = "｜｜DSML｜｜";
  it("reads invoke/parameter with command or cmd, and the escalation arguments", () => {
    const text = `Checking.\n<${D}tool_calls>\n<${D}invoke name="bash">\n<${D}parameter name="command" string="true">git pull</${D}parameter>\n` +
      `<${D}parameter name="sandbox_permissions" string="true">require_escalated</${D}parameter>\n<${D}parameter name="justification" string="true">network</${D}parameter>\n` +
      `<${D}parameter name="prefix_rule" string="false">["git", "pull"]</${D}parameter>\n</${D}invoke>\n</${D}tool_calls>`;
    const { calls, spans } = parseDsml(text, []);
    expect(calls).toEqual([{ name: "exec_command", stage: "dsml", args: { cmd: "git pull", sandbox_permissions: "require_escalated", justification: "network", prefix_rule: ["git", "pull"] } }]);
    expect(messageText(text, spans).trim()).toBe("Checking.");
  });

  it("takes name=\"cmd\" as well as name=\"command\" (C9) and a JSON cmd as the fallback", () => {
    expect(cmds(parseDsml(`<${D}invoke name="run"><${D}parameter name="cmd">ls</${D}parameter></${D}invoke>`, []).calls)).toEqual(["ls"]);
    expect(cmds(parseDsml(`<${D}invoke name="execute_command"><${D}parameter name="request">{"cmd": "id"}</${D}parameter></${D}invoke>`, []).calls)).toEqual(["id"]);
  });

  it("turns an explore invoke into the explore command, and keeps other tools' parameters", () => {
    const explore = parseDsml(`<${D}invoke name="explore_agent"><${D}parameter name="task">see https://github.com/a/b</${D}parameter></${D}invoke>`, []);
    expect(String(explore.calls[0].args.cmd)).toContain("https://api.github.com/repos/a/b/readme");
    const other = parseDsml(`<${D}invoke name="view_image"><${D}parameter name="path">/x.png</${D}parameter></${D}invoke>`, []);
    expect(other.calls).toEqual([{ name: "view_image", args: { path: "/x.png" }, stage: "dsml" }]);
  });
});

describe("Command Code stage 2: <bash>", () => {
  it("uses metadata lines and the script, or the first command line in prose", () => {
    expect(parseBashBlocks("<bash>\nworkdir: /srv\nmake test\n</bash>").calls[0].args).toEqual({ cmd: "make test", workdir: "/srv" });
    expect(cmds(parseBashBlocks("<bash>\nI will look first.\n$ ls -la\n</bash>").calls)).toEqual(["ls -la"]);
    expect(cmds(parseBashBlocks("<bash>\n./configure --prefix=/opt\n</bash>").calls)).toEqual(["./configure --prefix=/opt"]);
  });

  it("reads an unclosed block to the end of the text and leaves a block without command alone (C8)", () => {
    expect(cmds(parseBashBlocks("Running:\n<bash>\ngit status").calls)).toEqual(["git status"]);
    const none = parseBashBlocks("<bash>\njustification: need it\n</bash>");
    expect(none.calls).toEqual([]);
    expect(none.spans).toEqual([]);
  });
});

describe("Command Code stage 3: <explore_agent> and Layer 1", () => {
  it("finds the URL inside messages: [...] JSON (FIX 23) and removes the whole block from the message", () => {
    const text = 'Looking.\n<explore_agent>\nmessages: [{"content": "Understand https://github.com/zai-org/Chat"}]\nThen answer.';
    const r = parseExploreAgent(text, []);
    expect(String(r.calls[0].args.cmd)).toContain("https://api.github.com/repos/zai-org/Chat/readme");
    expect(messageText(text, r.spans)).toBe("Looking.\n\nThen answer.");
  });

  it("takes a bare tag's URL from the text first, then from the newest user URL, else says it found none", () => {
    expect(String(parseExploreAgent("<explore_agent/> about https://codeberg.org/o/r", ["https://github.com/u/x"]).calls[0].args.cmd)).toContain("codeberg.org/api/v1/repos/o/r");
    expect(String(parseExploreAgent("<explore_agent/>", ["https://github.com/old/a", "https://github.com/new/b"]).calls[0].args.cmd)).toContain("repos/new/b");
    expect(cmds(parseExploreAgent("<explore_agent></explore_agent>", []).calls)).toEqual(["echo 'explore_agent: unable to extract repository URL'"]);
  });
});

describe("Command Code Layer 2: escalation blocks", () => {
  it("proceeds past closed and bare blocks, exploring a URL when one is given", () => {
    expect(cmds(parseEscalation("<require_escalation>please</require_escalation>").calls)).toEqual(["echo 'escalation: auto-proceeding — no specific command in escalation block'"]);
    expect(cmds(parseEscalation("<request_escalation_permission/>").calls)).toEqual(["echo 'escalation: auto-proceeding past bare escalation tag'"]);
    expect(String(parseEscalation("<require_escalation>fetch https://github.com/a/b</require_escalation>").calls[0].args.cmd)).toContain("repos/a/b");
  });

  it("counts only when no other stage found a call, but its markup always leaves the message", () => {
    const text = "<require_escalation />\n<bash>\nls\n</bash>";
    const r = parseToolCalls(text);
    expect(cmds(r.calls)).toEqual(["ls"]);
    expect(messageText(text, r.spans).trim()).toBe("");
  });
});

describe("Command Code stage 5: XML", () => {
  it("reads <tool_call name>, <function=…>, type=\"bash\" JSON and Hermes JSON", () => {
    expect(cmds(parseXml('<tool_call name="exec_command"><parameter name="cmd">ls</parameter></tool_call>').calls)).toEqual(["ls"]);
    expect(cmds(parseXml("<tool_call>\n<function=bash>\n<parameter=command>\npwd\n</parameter>\n</function>\n</tool_call>").calls)).toEqual(["pwd"]);
    expect(cmds(parseXml('<tool_call type="bash">{"cmd": "id -u"}</tool_call>').calls)).toEqual(["id -u"]);
    expect(parseXml('<tool_call>{"name": "view_image", "arguments": {"path": "/a.png"}}</tool_call>').calls).toEqual([{ name: "view_image", args: { path: "/a.png" }, stage: "xml" }]);
  });

  it("resolves a shell command from JSON body, parameters, regex, first shell line, whole text, in that order", () => {
    expect(cmds(parseXml('<tool_call name="bash">{"cmd": "a1"}<parameter name="cmd">b1</parameter></tool_call>').calls)).toEqual(["a1"]);
    expect(cmds(parseXml('<tool_call name="bash">text <parameter name="cmd">b2</parameter> "cmd": "c2"}</tool_call>').calls)).toEqual(["b2"]);
    expect(cmds(parseXml('<tool_call name="bash">run "cmd": "c3", "x": 1</tool_call>').calls)).toEqual(["c3"]);
    expect(cmds(parseXml('<tool_call name="bash">Checking now\ngit diff --stat\n</tool_call>').calls)).toEqual(["git diff --stat"]);
    expect(cmds(parseXml('<tool_call name="bash">hugo build</tool_call>').calls)).toEqual(["hugo build"]);
  });
});

describe("Command Code stage 6: raw inline JSON", () => {
  it("reads the history format, escaped quotes everywhere, and arguments that are double-encoded or unicode-escaped", () => {
    expect(cmds(parseRawJson('{"type":"tool-call","id":"c","name":"exec_command","arguments":{"cmd":"ls"}}', []).calls)).toEqual(["ls"]);
    expect(cmds(parseRawJson('{\\"type\\":\\"function_call\\",\\"name\\":\\"bash\\",\\"arguments\\":\\"{\\\\\\"command\\\\\\":\\\\\\"pwd\\\\\\"}\\"}', []).calls)).toEqual(["pwd"]);
    expect(cmds(parseRawJson(JSON.stringify({ type: "tool_call", name: "exec", arguments: JSON.stringify(JSON.stringify({ cmd: "date" })) }), []).calls)).toEqual(["date"]);
    expect(cmds(parseRawJson('{"type":"tool-call","name":"exec_command","arguments":"{\\\\u0022cmd\\\\u0022:\\\\u0022uptime\\\\u0022}"}', []).calls)).toEqual(["uptime"]);
  });

  it("finds several calls in prose, and reads fields of an object that does not parse", () => {
    const text = 'First {"type":"tool-call","name":"bash","arguments":{"command":"ls"}} then {"type":"tool-call","name":"bash","arguments":{"command":"grep "x" y"}} done';
    const r = parseRawJson(text, []);
    expect(cmds(r.calls)).toEqual(["ls", 'grep "x" y']);
    expect(messageText(text, r.spans)).toBe("First  then  done");
  });

  it("normalizes sandbox_permissions to the original's three values", () => {
    expect(["escalated", "true", "with_user_approval", "ask the user", "default", "sandboxed"].map(normalizeSandbox))
      .toEqual(["require_escalated", "require_escalated", "with_user_approval", "with_user_approval", "use_default", "use_default"]);
  });
});

describe("Command Code stage 7: <todo_write>", () => {
  it("becomes TodoWrite with content, activeForm and a known status", () => {
    const r = parseTodoWrite('<todo_write><todos>[{"content":"A","status":"done"},"B",{"task":"C","status":"in progress","activeForm":"Doing C"}]</todos></todo_write>');
    expect(r.calls[0].args.todos).toEqual([{ content: "A", activeForm: "A", status: "completed" }, { content: "B", activeForm: "B", status: "pending" },
      { content: "C", activeForm: "Doing C", status: "in_progress" }]);
    expect(normalizeTodos("not json")).toEqual([]);
  });
});

describe("the chain", () => {
  it("finds each call once, even when formats nest (raw JSON inside <tool_call>)", () => {
    const r = parseToolCalls('<tool_call>{"type":"tool-call","name":"exec_command","arguments":{"cmd":"ls"}}</tool_call>');
    expect(cmds(r.calls)).toEqual(["ls"]);
  });

  it("names the stages that recovered the calls", () => {
    const r = recoverToolCalls({ text: "<bash>\nls\n</bash>\n<tool_call name=\"bash\">pwd</tool_call>", userUrls: [], stuckRecoveriesLeft: 3 });
    expect(recoveredBy(r)).toEqual(["bash", "xml"]);
    expect(r.parsedByStages).toBe(2);
  });

  it("masks spans without moving positions", () => {
    expect(maskSpans("ab<x>cd", [{ start: 2, end: 5 }])).toBe("ab   cd");
  });
});

describe("the sanitizer (FIX 11)", () => {
  it("unwraps {\"cmd\"} up to three levels, joins bash -lc lists and decodes double-encoded commands", () => {
    expect(unwrapCmd({ cmd: { command: { c: "ls" } } })).toBe("ls");
    expect(unwrapCmd(JSON.stringify({ cmd: JSON.stringify({ cmd: JSON.stringify({ cmd: JSON.stringify({ cmd: "deep" }) }) }) }))).toBe('{"cmd":"deep"}');
    expect(unwrapCmd(["bash", "-lc", "echo 'a b'"])).toBe("echo 'a b'");
    expect(unwrapCmd(["git", "commit", "-m", "a b"])).toBe("git commit -m 'a b'");
    expect(sanitizeCall(canonicalCall("bash", { cmd: 'echo \\"hi\\"' }, "raw_json")).call.args.cmd).toBe('echo "hi"');
    expect(sanitizeCall(canonicalCall("bash", { cmd: 'echo "a\\"b"' }, "raw_json")).call.args.cmd).toBe('echo "a\\"b"');
  });

  it("turns empty and still-JSON commands into a one-line comment and flags them", () => {
    const empty = sanitizeCall(canonicalCall("exec_command", { cmd: "{}" }, "raw_json"));
    expect(empty.flag).toBe("empty");
    expect(empty.call.args.cmd).toBe('# [CC-SANITIZER] empty cmd recovered from: "{}"');
    const json = sanitizeCall(canonicalCall("exec_command", { cmd: '{"a":\n"b"}' }, "raw_json"));
    expect(json.flag).toBe("suspicious");
    expect(json.call.args.cmd).toBe('# [CC-SANITIZER] suspicious cmd (still JSON): {"a": "b"}');
    expect(bash(String(json.call.args.cmd)).out).toBe("");
    expect(sanitizeCall({ name: "view_image", args: { path: "" }, stage: "xml" }).flag).toBeNull();
  });
});

describe("the FIX 13 fallback", () => {
  it("runs only when the text shows tool-call marks, and reads loose cmd objects and untyped name+arguments", () => {
    expect(hasToolSignals("Sure, the answer is 4.")).toBeFalse();
    expect(toolCallSignals('{"cmd": "ls"}')).toEqual(["cmd_field"]);
    expect(fallbackCalls('{"name": "Ada", "age": 3}').calls).toEqual([]);
    expect(cmds(fallbackCalls('ok {"cmd": "ls", "workdir": "/tmp"} and {"name":"bash","arguments":{"command":"pwd"}}').calls)).toEqual(["pwd", "ls"]);
    expect(cmds(fallbackCalls('{"command": "echo "quoted" text"}').calls)).toEqual(['echo "quoted" text']);
  });
});

describe("Intelligence Routing Layer 3", () => {
  it("runs only when the model announced an action or left tool-call marks", () => {
    expect(announcesAction("I'll read the config file next.")).toBeTrue();
    expect(announcesAction("Let me check the logs:")).toBeTrue();
    expect(announcesAction("All done. Let me know if you want me to run the tests.")).toBeFalse();
    expect(announcesAction("I'll be happy to help further.")).toBeFalse();
    const plain = recoverToolCalls({ text: "The fix is in /src/App.ts, see https://example.com/x.", userUrls: ["https://github.com/a/b"], stuckRecoveriesLeft: 3 });
    expect(plain.outcome).toBe("text");
    expect(surfacedNote(plain)).toBeNull();
  });

  it("keeps the path's case, prefers the newest URL, and never synthesizes a destructive command", () => {
    expect(synthesizeFromIntent("Let me open /Users/Ann/Docs/ReadMe.MD now.", [])!.args.cmd).toBe("head -n 200 -- '/Users/Ann/Docs/ReadMe.MD' 2>/dev/null || ls -la -- '/Users/Ann/Docs/ReadMe.MD'");
    expect(synthesizeFromIntent("Let me check ~/My Notes.", [])!.args.cmd).toBe(`head -n 200 -- "$HOME"/'My' 2>/dev/null || ls -la -- "$HOME"/'My'`);
    expect(synthesizeFromIntent("I need to fetch https://a.example.org/x.html and then https://b.example.org/y.html now.", [])!.args.cmd).toContain("b.example.org");
    expect(String(synthesizeFromIntent("Let me explore the codebase.", ["https://github.com/o/1", "https://github.com/o/2"])!.args.cmd)).toContain("repos/o/2/");
    const rm = synthesizeFromIntent("Let me run `rm -rf ./build` and `sudo reboot`.", [])!;
    expect(rm.stage).toBe("layer3_intent");
    expect(String(rm.args.cmd).startsWith("echo 'Stuck recovery: model intent was: ")).toBeTrue();
  });

  it("quotes the echoed intent so that nothing in it runs, as bash proves", () => {
    const text = "I'll run it now'; touch pwned; echo '$(touch pwned2) `touch pwned3`";
    const r = recoverToolCalls({ text, userUrls: [], stuckRecoveriesLeft: 3 });
    const { out, files } = bash(String(r.calls[0].args.cmd));
    expect(files).toEqual([]);
    expect(out).toBe(`Stuck recovery: model intent was: ${text}\n`);
  });

  it("stops after the session's budget and tells the user instead", () => {
    const r = recoverToolCalls({ text: "Let me read the file /etc/hosts.", userUrls: [], stuckRecoveriesLeft: 0 });
    expect(r.calls).toEqual([]);
    expect(r.stuckLimited).toBeTrue();
    expect(surfacedNote(r)).toBe(STUCK_LIMIT_NOTE);
  });

  it("surfaces a call it cannot recover (a <bash> without a command, a bare brace)", () => {
    for (const text of ["<bash>\nsandbox_permissions: require_escalated\n</bash>", "Running it now:\n{"]) {
      const r = recoverToolCalls({ text, userUrls: [], stuckRecoveriesLeft: 3 });
      expect(r.outcome).withContext(text).toBe("unrecoverable");
      expect(surfacedNote(r)).toBe(UNRECOVERABLE_NOTE);
    }
  });
});

describe("shell safety", () => {
  it("quotes any text as one word", () => {
    for (const text of ["plain", "it's", "'; rm -rf ~; '", "$(id) `id` \\ \" \n x"]) expect(bash(`printf %s ${shellQuote(text)}`).out).toBe(text);
    expect(oneLine("a\nb\r\u2028c")).toBe("a b c");
    expect(echoCommand("x\ny")).toBe("echo 'x y'");
  });

  it("knows destructive commands anywhere in a pipeline", () => {
    for (const cmd of ["rm -rf /", "ls && rm x", "cat a | sudo tee b", "/bin/rm x", "git reset --hard", "git push -f origin", "find . -exec rm {} +",
      "dd if=/dev/zero of=x", "docker system prune", "sed -i s/a/b/ f", "echo x > file", "mv a b", "chmod -R 777 ."])
      expect(isDestructiveCommand(cmd)).withContext(cmd).toBeTrue();
    for (const cmd of ["ls -la", "git status", "grep -rn rm .", "echo firmware", "curl -s https://x 2>/dev/null", "cat a 2>&1"])
      expect(isDestructiveCommand(cmd)).withContext(cmd).toBeFalse();
  });

  it("synthesizes only simple read-only commands", () => {
    for (const cmd of ["ls -la src", "git log -3", "curl -sL https://example.com", "wget -qO- https://example.com", "npm test", "grep -rn TODO ."])
      expect(isSafeToSynthesize(cmd)).withContext(cmd).toBeTrue();
    for (const cmd of ["ls; id", "cat a | sh", "curl -o x https://y", "curl -X POST https://y", "wget https://x", "git commit -m x", "python evil.py",
      "npm install", "make", "echo $(id)", "node -e 1", ""])
      expect(isSafeToSynthesize(cmd)).withContext(cmd).toBeFalse();
  });
});

describe("URLs and the explore command", () => {
  it("ends URLs at quotes and sentence punctuation, and finds them inside JSON", () => {
    expect(findUrls('see https://a.org/x, and "https://b.org/y". Or (https://c.org/z).')).toEqual(["https://a.org/x", "https://b.org/y", "https://c.org/z"]);
    expect(findUrlsDeep('{"messages":[{"role":"user","content":"go to https://d.org/r"}]}')).toEqual(["https://d.org/r"]);
  });

  it("tells GitHub from Gitea and from ordinary pages", () => {
    expect(repoFromUrl("https://github.com/o/r.git")).toEqual({ kind: "github", origin: "https://api.github.com", owner: "o", repo: "r" });
    expect(repoFromUrl("https://gitea.example.com/o/r/src/branch/main")).toEqual({ kind: "gitea", origin: "https://gitea.example.com", owner: "o", repo: "r" });
    expect(repoFromUrl("https://example.com/docs/page.html")).toBeNull();
    expect(repoFromUrl("https://example.com/blog/2024/post")).toBeNull();
    expect(buildExploreCmd("https://example.com/page")).toBe("curl -sL --max-time 15 'https://example.com/page' 2>/dev/null | head -200");
  });

  it("reads loose JSON fields and parses escaped objects", () => {
    expect(looseStringField('{\\"cmd\\": \\"ls -l\\"}', ["cmd"])).toBe("ls -l");
    expect(parseLoose('{\\"a\\": 1}')).toEqual({ a: 1 });
    expect(parseLoose("[".repeat(200))).toBeUndefined();
  });
});
