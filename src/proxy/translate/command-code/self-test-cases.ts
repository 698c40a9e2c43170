// The named self-test patterns. Groups "unwrap", "A–G", "H–L" and "M–O2" carry the names the
// original's self-test used (SPEC-reference B.15); the stage groups rebuild the rest of its 54 from
// the formats each stage reads; group "fixed" has one pattern per defect of the original fixed here.
// Plain data (JSON-able), so that a mutated copy must fail.
import type { SelfTestCase } from "./self-test.js";

const D = "｜｜DSML｜｜";
const invoke = (name: string, params: [string, string, boolean?][], closed = true) =>
  `<${D}invoke name="${name}">\n` +
  params.map(([k, v, json]) => `<${D}parameter name="${k}" string="${json ? "false" : "true"}">${v}</${D}parameter>`).join("\n") +
  (closed ? `\n</${D}invoke>` : "");
const dsml = (...invokes: string[]) => `<${D}tool_calls>\n${invokes.join("\n")}\n</${D}tool_calls>`;
const rawCall = (name: string, args: unknown, type = "tool-call") => JSON.stringify({ type, id: "call_1", name, arguments: args });

const GH = "https://github.com/acme/widget";
const GH_API = "https://api.github.com/repos/acme/widget";
const EXEC = "exec_command";

export const ORIGINAL_CASES: SelfTestCase[] = [
  // unwrap: the sanitizer's command unwrapping.
  { group: "unwrap", name: "plain", kind: "unwrap", input: "ls -la", expect: "ls -la" },
  { group: "unwrap", name: "single", kind: "unwrap", input: { cmd: "ls -la" }, expect: "ls -la" },
  { group: "unwrap", name: "double", kind: "unwrap", input: JSON.stringify({ cmd: JSON.stringify({ cmd: "ls -la" }) }), expect: "ls -la" },
  { group: "unwrap", name: "triple", kind: "unwrap", input: JSON.stringify({ cmd: JSON.stringify({ cmd: JSON.stringify({ cmd: "pwd" }) }) }), expect: "pwd" },
  { group: "unwrap", name: "non-dict", kind: "unwrap", input: "[1, 2, 3]", expect: "[1, 2, 3]" },
  { group: "unwrap", name: "empty", kind: "unwrap", input: "", expect: "" },
  { group: "unwrap", name: "null", kind: "unwrap", input: null, expect: "" },

  // A–G
  { group: "A–G", name: "A double-wrapped cmd", kind: "recover", text: rawCall(EXEC, { cmd: JSON.stringify({ cmd: "git status" }) }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "git status" }], sanitizer: [] } },
  { group: "A–G", name: "B unescaped quotes", kind: "recover", text: '{"type":"tool-call","name":"exec_command","arguments":{"cmd":"grep "TODO" src/main.ts"}}',
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: 'grep "TODO" src/main.ts' }] } },
  { group: "A–G", name: "C XML tool_call", kind: "parse", text: '<tool_call name="exec_command">\n<parameter name="cmd">ls -la src</parameter>\n</tool_call>',
    expect: [{ name: EXEC, cmd: "ls -la src", stage: "xml" }] },
  { group: "A–G", name: "D function=", kind: "parse", text: "<function=exec_command>\n<parameter=cmd>\ncat README.md\n</parameter>\n</function>",
    expect: [{ name: EXEC, cmd: "cat README.md" }] },
  { group: "A–G", name: "E empty input", kind: "recover", text: "", expect: { outcome: "text", calls: [] } },
  { group: "A–G", name: "F empty cmd", kind: "recover", text: rawCall(EXEC, { cmd: "" }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: '# [CC-SANITIZER] empty cmd recovered from: ""' }], sanitizer: ["empty"] } },
  { group: "A–G", name: "G still-JSON cmd", kind: "recover", text: rawCall(EXEC, { cmd: '{"path": "/tmp"}' }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: '# [CC-SANITIZER] suspicious cmd (still JSON): {"path": "/tmp"}' }], sanitizer: ["suspicious"] } },

  // H–L
  { group: "H–L", name: "H todo_write", kind: "parse",
    text: '<todo_write><todos>[{"content":"Read the parser","status":"in_progress"},{"content":"Write tests","status":"pending"}]</todos></todo_write>',
    expect: [{ name: "TodoWrite", args: { todos: [{ content: "Read the parser", activeForm: "Read the parser", status: "in_progress" },
      { content: "Write tests", activeForm: "Write tests", status: "pending" }] } }] },
  { group: "H–L", name: "I execute_request", kind: "parse", text: rawCall("execute_request", { command: "npm test" }), expect: [{ name: EXEC, cmd: "npm test" }] },
  { group: "H–L", name: "J DSML explore", kind: "parse", text: dsml(invoke("explore_agent", [["url", GH]])),
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`], stage: "dsml" }] },
  { group: "H–L", name: "K raw-JSON explore", kind: "parse", text: rawCall("explore", { messages: [{ content: `Look at ${GH}` }] }),
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`], stage: "raw_json" }] },
  { group: "H–L", name: "L DSML name=\"cmd\"", kind: "parse", text: dsml(invoke("bash", [["cmd", "ls -la"]])), expect: [{ name: EXEC, cmd: "ls -la" }] },

  // M–O2: Intelligence Routing Layers 1 and 2.
  { group: "M–O2", name: "M nested-JSON URL", kind: "parse",
    text: '<explore_agent>\nmessages: [{"content": "Understand the Z.AI-Chat-for-Android repo at https://github.com/zai-org/Z.AI-Chat-for-Android"}]\n</explore_agent>',
    expect: [{ name: EXEC, cmdContains: ["https://api.github.com/repos/zai-org/Z.AI-Chat-for-Android/readme"], stage: "explore_agent" }] },
  { group: "M–O2", name: "N require_escalation", kind: "parse", text: "<require_escalation>\nI need elevated permissions to access the repository.\n</require_escalation>",
    expect: [{ name: EXEC, cmd: "echo 'escalation: auto-proceeding — no specific command in escalation block'", stage: "escalation" }] },
  { group: "M–O2", name: "N2 bare escalation tag", kind: "parse", text: "I need more rights first. <require_escalation />",
    expect: [{ name: EXEC, cmd: "echo 'escalation: auto-proceeding past bare escalation tag'" }] },
  { group: "M–O2", name: "O _build_explore_cmd (URL)", kind: "explore", input: "https://git.example.org/team/tool",
    expect: { contains: ["'https://git.example.org/api/v1/repos/team/tool/raw/README.md'", "/api/v1/repos/team/tool/releases"] } },
  { group: "M–O2", name: "O2 _build_explore_cmd (nested JSON)", kind: "explore", input: '[{"content": "check https://codeberg.org/forgejo/forgejo please"}]',
    expect: { contains: ["'https://codeberg.org/api/v1/repos/forgejo/forgejo/contents'"] } },

  // DSML (stage 1)
  { group: "DSML", name: "parameter command", kind: "parse", text: dsml(invoke("bash", [["command", "git log --oneline -5"]])),
    expect: [{ name: EXEC, cmd: "git log --oneline -5", stage: "dsml" }] },
  { group: "DSML", name: "sandbox, justification, prefix_rule", kind: "parse",
    text: dsml(invoke("bash", [["command", "git pull"], ["sandbox_permissions", "require_escalated"], ["justification", "Needs network access to pull"], ["prefix_rule", '["git", "pull"]', true]])),
    expect: [{ name: EXEC, cmd: "git pull", args: { sandbox_permissions: "require_escalated", justification: "Needs network access to pull", prefix_rule: ["git", "pull"] } }] },
  { group: "DSML", name: "prefix_rule as the last, unclosed element", kind: "parse",
    text: `<${D}tool_calls>\n${invoke("bash", [["command", "npm install"]], false)}\n<${D}parameter name="prefix_rule" string="false">["npm", "install"]`,
    expect: [{ name: EXEC, cmd: "npm install", args: { prefix_rule: ["npm", "install"] } }] },
  { group: "DSML", name: "JSON cmd fallback", kind: "parse", text: dsml(invoke("execute_command", [["request", '{"cmd": "uname -a"}', true]])),
    expect: [{ name: EXEC, cmd: "uname -a" }] },
  { group: "DSML", name: "single-bar tokens", kind: "parse",
    text: '<｜DSML｜function_calls>\n<｜DSML｜invoke name="exec_command">\n<｜DSML｜parameter name="cmd" string="true">pwd</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>',
    expect: [{ name: EXEC, cmd: "pwd" }] },
  { group: "DSML", name: "two invokes", kind: "parse", text: dsml(invoke("bash", [["command", "ls"]]), invoke("bash", [["command", "cat go.mod"]])),
    expect: [{ name: EXEC, cmd: "ls" }, { name: EXEC, cmd: "cat go.mod" }] },

  // <bash> (stage 2)
  { group: "bash", name: "plain block", kind: "parse", text: "<bash>\nls -la\n</bash>", expect: [{ name: EXEC, cmd: "ls -la", stage: "bash" }] },
  { group: "bash", name: "metadata lines", kind: "parse",
    text: '<bash>\nsandbox_permissions: require_escalated\njustification: Needs network\nprefix_rule: ["curl"]\ncurl -sL https://example.com\n</bash>',
    expect: [{ name: EXEC, cmd: "curl -sL https://example.com", args: { sandbox_permissions: "require_escalated", justification: "Needs network", prefix_rule: ["curl"] } }] },
  { group: "bash", name: "first command line after prose", kind: "parse", text: "<bash>\nFirst I list the files.\nls -la /srv\n</bash>",
    expect: [{ name: EXEC, cmd: "ls -la /srv" }] },
  { group: "bash", name: "multi-line script", kind: "parse", text: "<bash>\ncd src\ngrep -rn TODO .\n</bash>", expect: [{ name: EXEC, cmd: "cd src\ngrep -rn TODO ." }] },
  { group: "bash", name: "block without a command (C8)", kind: "parse", text: "<bash>\nsandbox_permissions: require_escalated\n</bash>", expect: [] },

  // <explore_agent> (stage 3, Layer 1)
  { group: "explore_agent", name: "closed block with URL", kind: "parse", text: `<explore_agent>${GH}</explore_agent>`,
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`] }] },
  { group: "explore_agent", name: "no URL anywhere", kind: "parse", text: "<explore_agent>look around the code</explore_agent>",
    expect: [{ name: EXEC, cmd: "echo 'explore_agent: unable to extract repository URL'" }] },
  { group: "explore_agent", name: "bare tag, URL in the text", kind: "parse", text: `Let me explore ${GH} now. <explore_agent/>`,
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/contents`] }] },
  { group: "explore_agent", name: "bare tag, user URL", kind: "parse", text: "<explore_agent>", userUrls: [GH],
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`] }] },
  { group: "explore_agent", name: "two bare tags", kind: "parse", text: "<explore_agent/>\n<explore_agent/>", userUrls: [GH],
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`] }] },

  // Layer 2
  { group: "escalation", name: "request_escalation_permission with URL", kind: "parse",
    text: `<request_escalation_permission>Need to read ${GH}</request_escalation_permission>`,
    expect: [{ name: EXEC, cmdContains: [`${GH_API}/readme`], stage: "escalation" }] },

  // XML (stage 5)
  { group: "XML", name: "tool_call type=\"bash\" JSON", kind: "parse", text: '<tool_call type="bash">{"cmd": "git status"}</tool_call>', expect: [{ name: EXEC, cmd: "git status" }] },
  { group: "XML", name: "Hermes JSON body", kind: "parse", text: '<tool_call>\n{"name": "exec_command", "arguments": {"cmd": "pwd"}}\n</tool_call>', expect: [{ name: EXEC, cmd: "pwd" }] },
  { group: "XML", name: "parameter name=\"command\"", kind: "parse", text: '<tool_call name="bash"><parameter name="command">make test</parameter></tool_call>',
    expect: [{ name: EXEC, cmd: "make test" }] },
  { group: "XML", name: "cmd by regex", kind: "parse", text: '<tool_call name="shell">{"cmd": "df -h", "workdir": "/"</tool_call>', expect: [{ name: EXEC, cmd: "df -h" }] },
  { group: "XML", name: "first shell line", kind: "parse", text: '<tool_call name="bash">\nI will check disk usage.\ndu -sh .\n</tool_call>', expect: [{ name: EXEC, cmd: "du -sh ." }] },
  { group: "XML", name: "whole text", kind: "parse", text: '<tool_call name="bash">hugo server -D</tool_call>', expect: [{ name: EXEC, cmd: "hugo server -D" }] },
  { group: "XML", name: "function_calls/invoke", kind: "parse", text: '<function_calls>\n<invoke name="bash">\n<parameter name="command">ls</parameter>\n</invoke>\n</function_calls>',
    expect: [{ name: EXEC, cmd: "ls" }] },
  { group: "XML", name: "other tool with parameters", kind: "parse", text: '<tool_call name="view_image"><parameter name="path">/tmp/a.png</parameter></tool_call>',
    expect: [{ name: "view_image", args: { path: "/tmp/a.png" } }] },

  // Raw inline JSON (stage 6)
  { group: "raw JSON", name: "type tool_call", kind: "parse", text: JSON.stringify({ type: "tool_call", name: "bash", arguments: { command: "ls" } }), expect: [{ name: EXEC, cmd: "ls" }] },
  { group: "raw JSON", name: "type function_call, string arguments", kind: "parse", text: rawCall(EXEC, JSON.stringify({ cmd: "whoami" }), "function_call"),
    expect: [{ name: EXEC, cmd: "whoami" }] },
  { group: "raw JSON", name: "leading \\\" everywhere", kind: "parse",
    text: 'Running: {\\"type\\":\\"tool-call\\",\\"name\\":\\"exec_command\\",\\"arguments\\":{\\"cmd\\":\\"ls -la\\"}}', expect: [{ name: EXEC, cmd: "ls -la" }] },
  { group: "raw JSON", name: "double-encoded arguments", kind: "parse", text: rawCall(EXEC, JSON.stringify(JSON.stringify({ cmd: "echo hi" }))), expect: [{ name: EXEC, cmd: "echo hi" }] },
  { group: "raw JSON", name: "unicode escapes", kind: "parse", text: '{"type":"tool-call","name":"exec_command","arguments":"{\\\\u0022cmd\\\\u0022: \\\\u0022echo ok\\\\u0022}"}',
    expect: [{ name: EXEC, cmd: "echo ok" }] },
  { group: "raw JSON", name: "arguments are the command", kind: "parse", text: rawCall("bash", "ls -la"), expect: [{ name: EXEC, cmd: "ls -la" }] },
  { group: "raw JSON", name: "sandbox escalated → require_escalated", kind: "parse", text: rawCall(EXEC, { cmd: "curl https://example.com", sandbox_permissions: "escalated" }),
    expect: [{ name: EXEC, args: { sandbox_permissions: "require_escalated" } }] },
  { group: "raw JSON", name: "sandbox approval → with_user_approval", kind: "parse", text: rawCall(EXEC, { cmd: "ls", sandbox_permissions: "with user approval" }),
    expect: [{ name: EXEC, args: { sandbox_permissions: "with_user_approval" } }] },
  { group: "raw JSON", name: "sandbox default → use_default", kind: "parse", text: rawCall(EXEC, { cmd: "ls", sandbox_permissions: "default" }),
    expect: [{ name: EXEC, args: { sandbox_permissions: "use_default" } }] },

  // Tool names that mean "run a shell command" [FIX 19/20]
  ...["bash", "shell", "terminal", "run_command", "run_shell_command", "run"].map((alias): SelfTestCase => ({
    group: "aliases", name: `${alias} → exec_command`, kind: "parse", text: rawCall(alias, { command: "date" }), expect: [{ name: EXEC, cmd: "date" }] })),

  // FIX 13 fallback
  { group: "fallback", name: "bare cmd object in prose", kind: "fallback", text: 'I will run {"cmd": "ls -la"} now', expect: [{ name: EXEC, cmd: "ls -la", stage: "fallback" }] },
  { group: "fallback", name: "name + arguments without type", kind: "fallback", text: '{"name": "exec_command", "arguments": {"cmd": "pwd"}}', expect: [{ name: EXEC, cmd: "pwd" }] },
  { group: "fallback", name: "used by the chain", kind: "recover", text: 'Calling tool_call: {"command": "git status"}',
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "git status", stage: "fallback" }] } },

  // Layer 3 (FIX 25)
  { group: "Layer 3", name: "1 URL in text → curl", kind: "recover", text: "I need to fetch https://example.com/docs/install.html to see the steps.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "curl -sL --max-time 15 'https://example.com/docs/install.html' 2>/dev/null | head -200", stage: "layer3_url" }] } },
  { group: "Layer 3", name: "2 file path → read it", kind: "recover", text: "Let me read the file /etc/hosts to check the names.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "head -n 200 -- '/etc/hosts' 2>/dev/null || ls -la -- '/etc/hosts'", stage: "layer3_path" }] } },
  { group: "Layer 3", name: "3 command in backticks", kind: "recover", text: "I'll run `git log --oneline -3` next.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "git log --oneline -3", stage: "layer3_command" }] } },
  { group: "Layer 3", name: "4 explore intent + user URL", kind: "recover", text: "I should explore the repository to understand its structure.", userUrls: [GH],
    expect: { outcome: "tools", calls: [{ name: EXEC, cmdContains: [`${GH_API}/readme`], stage: "layer3_explore" }] } },
  { group: "Layer 3", name: "5 stated intent → echo", kind: "recover", text: "Let me write the script that converts the data.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "echo 'Stuck recovery: model intent was: Let me write the script that converts the data'", stage: "layer3_intent" }] } },

  // Sanitizer details
  { group: "sanitizer", name: "double-encoded command decoded", kind: "recover", text: rawCall(EXEC, { cmd: 'echo \\"hi\\"' }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: 'echo "hi"' }], sanitizer: [] } },
  { group: "sanitizer", name: "command as a bash -lc list", kind: "recover", text: rawCall(EXEC, { cmd: ["bash", "-lc", "ls -la"] }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "ls -la" }] } },
];

/** One pattern per defect of the original that is fixed here. */
export const FIXED_DEFECT_CASES: SelfTestCase[] = [
  { group: "fixed", name: "mixed-case path kept (was lower-cased)", kind: "recover", text: "I'll open the file /home/Dev/MyApp/Config.JSON to check the port.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "head -n 200 -- '/home/Dev/MyApp/Config.JSON' 2>/dev/null || ls -la -- '/home/Dev/MyApp/Config.JSON'" }] } },
  { group: "fixed", name: "a directory path reaches ls (cat | head || ls never did)", kind: "recover", text: "Let me view the directory /srv/data/ first.",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "head -n 200 -- '/srv/data/' 2>/dev/null || ls -la -- '/srv/data/'" }] } },
  { group: "fixed", name: "newest user URL wins (was the oldest)", kind: "recover", text: "I need to investigate the repository first.",
    userUrls: ["https://github.com/old/first", "https://github.com/new/second"],
    expect: { outcome: "tools", calls: [{ name: EXEC, cmdContains: ["https://api.github.com/repos/new/second/readme"], cmdNotContains: ["old/first"] }] } },
  { group: "fixed", name: "rm is never synthesized", kind: "recover", text: "Let me clean up with `rm -rf build` before the next step.",
    expect: { outcome: "tools", calls: [{ name: EXEC, stage: "layer3_intent", cmdContains: ["echo 'Stuck recovery: model intent was: "] }] } },
  { group: "fixed", name: "git reset --hard is never synthesized", kind: "synthesis", cmd: "git reset --hard HEAD~1", expect: { safe: false, destructive: true } },
  { group: "fixed", name: "find -delete is never synthesized", kind: "synthesis", cmd: "find . -name '*.log' -delete", expect: { safe: false, destructive: true } },
  { group: "fixed", name: "curl -o (writes files) is never synthesized", kind: "synthesis", cmd: "curl -o /etc/hosts https://example.com/x", expect: { safe: false } },
  { group: "fixed", name: "quoting: a ' cannot end the quote", kind: "quote", input: "it's; rm -rf ~", expect: "'it'\\''s; rm -rf ~'" },
  { group: "fixed", name: "echoed intent with ' stays one word", kind: "recover", text: "I'll run the check now, it's 'safe'; rm -rf ~ for sure",
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: "echo 'Stuck recovery: model intent was: I'\\''ll run the check now, it'\\''s '\\''safe'\\''; rm -rf ~ for sure'" }] } },
  { group: "fixed", name: "GitHub repository → GitHub API", kind: "explore", input: GH,
    expect: { contains: [`'${GH_API}/readme'`, `'${GH_API}/releases?per_page=5'`], notContains: ["/api/v1/"] } },
  { group: "fixed", name: "Gitea repository → Gitea API", kind: "explore", input: "https://codeberg.org/forgejo/forgejo",
    expect: { contains: ["'https://codeberg.org/api/v1/repos/forgejo/forgejo/raw/README.md'"], notContains: ["api.github.com"] } },
  { group: "fixed", name: "FIX 13 fallback is callable (was a NameError)", kind: "fallback", text: 'tool_call {"command": "ls"}', expect: [{ name: EXEC, cmd: "ls" }] },
  { group: "fixed", name: "sanitizer comment cannot start a second command", kind: "recover", text: rawCall(EXEC, { cmd: '{"x": "a\nrm -rf ~"}' }),
    expect: { outcome: "tools", calls: [{ name: EXEC, cmd: '# [CC-SANITIZER] suspicious cmd (still JSON): {"x": "a rm -rf ~"}' }], sanitizer: ["suspicious"] } },
  { group: "fixed", name: "a plain answer's URL and path are not run", kind: "recover",
    text: "Done. The guide is at https://example.com/guide and the settings live in /etc/app.conf.", expect: { outcome: "text", calls: [] } },
  { group: "fixed", name: "Layer 3 stops after 3 recoveries in a session", kind: "recover", text: "Let me read the file /etc/hosts now.", stuckLeft: 0,
    expect: { outcome: "unrecoverable", calls: [] } },
];

export const SELF_TEST_CASES: SelfTestCase[] = [...ORIGINAL_CASES, ...FIXED_DEFECT_CASES];
