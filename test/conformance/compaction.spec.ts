// Conformance matrix, compaction: Codex 0.169/0.171 compact a custom provider's conversation with a normal
// /responses turn (no tools, the conversation so far, then a "CONTEXT CHECKPOINT COMPACTION" prompt), both
// automatically past model_auto_compact_token_limit and on /compact (thread/compact/start, what the TUI,
// the IDE extension and Codex Desktop send). No /responses/compact and no compaction item on the wire:
// see the captures in README. The providers here refuse tool history without tools, as Anthropic does.
import type { Reply } from "../helpers/fake-provider.js";
import { rigPerSpec } from "./rig.js";

const COMPACTION_PROMPT = "CONTEXT CHECKPOINT COMPACTION";
const TOOLS_REQUIRED = "Requests which include `tool_use` or `tool_result` blocks must define tools.";

const isCompaction = (body: any) => JSON.stringify(body.messages ?? []).includes(COMPACTION_PROMPT);

/** A Chat provider that checks tool history against the tools offered; the compaction turn gets the summary. */
function chatProvider(summary: string, answer: string): Reply {
  return {
    kind: "dynamic",
    reply: (body) => {
      const toolHistory = (body.messages ?? []).some((m: any) => m.role === "tool" || m.tool_calls?.length);
      if (toolHistory && !body.tools?.length) return { kind: "status", status: 400, body: { error: { message: TOOLS_REQUIRED, type: "invalid_request_error" } } };
      return { kind: "text", text: isCompaction(body) ? summary : answer };
    },
  };
}

/** The same rule in Anthropic's Messages API, which refuses tool_use/tool_result blocks without tools. */
function anthropicProvider(summary: string, answer: string): Reply {
  return {
    kind: "dynamic",
    reply: (body) => {
      const blocks = (body.messages ?? []).flatMap((m: any) => (Array.isArray(m.content) ? m.content : []));
      if (blocks.some((b: any) => b.type === "tool_use" || b.type === "tool_result") && !body.tools?.length)
        return { kind: "status", status: 400, body: { type: "error", error: { type: "invalid_request_error", message: TOOLS_REQUIRED } } };
      return { kind: "anthropic", text: isCompaction(body) ? summary : answer };
    },
  };
}

describe("conformance: compaction (real Codex CLI through the proxy)", () => {
  const startRig = rigPerSpec();

  it("[auto compaction] compacts mid-turn past model_auto_compact_token_limit on a Chat-only provider, and goes on with the summary", async () => {
    const rig = await startRig({ knobs: { model_auto_compact_token_limit: 3000 } });
    rig.provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo before-compaction", yield_time_ms: 10000 }) }],
      usage: { prompt: 5000, completion: 2000 } }).otherwise(chatProvider("SUMMARY-7f3: ran echo before-compaction.", "Finished after compaction."));
    const result = await rig.codexRun("run echo");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Finished after compaction.");
    expect(result.stderr).toContain("context compacted");
    const sent = rig.provider.chatRequests();
    const compaction = sent.find((r) => isCompaction(r.body))!;
    expect(compaction).toBeDefined();
    // No tools offered, so the call and its output went as text (a strict provider takes that).
    expect(compaction.body.tools).toBeUndefined();
    expect(compaction.body.tool_choice).toBeUndefined();
    expect(JSON.stringify(compaction.body.messages)).toContain("before-compaction");
    expect(compaction.body.messages.some((m: any) => m.role === "tool" || m.tool_calls)).toBeFalse();
    expect(JSON.stringify(sent.at(-1)!.body.messages)).toContain("SUMMARY-7f3");
    expect(rig.records("upstream_error").length).toBe(0);
  }, 90000);

  it("[auto compaction, Anthropic] the same on the Messages API backend", async () => {
    const rig = await startRig({ backend: "anthropic", model: "claude-test", catalog: true, knobs: { model_auto_compact_token_limit: 3000 },
      proxyEnv: { CODEX_PROXY_API_KEY: "sk-ant-test-key-000000" } });
    rig.provider.then({ kind: "anthropic", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo anthropic-before" }) }], usage: { input: 5000, output: 2000 } })
      .otherwise(anthropicProvider("SUMMARY-a41: ran echo anthropic-before.", "Finished after compaction on Anthropic."));
    const result = await rig.codexRun("run echo");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Finished after compaction on Anthropic.");
    const sent = rig.provider.chatRequests();
    const compaction = sent.find((r) => isCompaction(r.body))!;
    expect(compaction.body.tools).toBeUndefined();
    expect(JSON.stringify(compaction.body.messages)).toContain("anthropic-before");
    expect(JSON.stringify(sent.at(-1)!.body.messages)).toContain("SUMMARY-a41");
  }, 90000);

  it("[/compact] compacts on request (thread/compact/start over Codex's app server), and the next turn carries the summary", async () => {
    const rig = await startRig();
    rig.provider.then({ kind: "tools", calls: [{ name: "exec_command", arguments: JSON.stringify({ cmd: "echo manual-compact", yield_time_ms: 10000 }) }] })
      .otherwise(chatProvider("SUMMARY-c9e: ran echo manual-compact.", "Answer after /compact."));
    const { run, steps } = await rig.appServer([{ turn: "run echo" }, { compact: true }, { turn: "what did you do?" }]);
    expect(run.exitCode).withContext(`${run.stdout}\n${run.stderr.slice(-2000)}`).toBe(0);
    expect(steps.map((s) => s.status)).toEqual(["completed", "completed", "completed"]);
    expect(steps[1].items).toContain("contextCompaction");
    expect(steps[2].items).toContain("agentMessage");
    const sent = rig.provider.chatRequests();
    const compactions = sent.filter((r) => isCompaction(r.body));
    expect(compactions.length).toBe(1);
    expect(compactions[0].body.tools).toBeUndefined();
    const last = sent.at(-1)!.body.messages;
    expect(JSON.stringify(last)).toContain("SUMMARY-c9e");
    expect(last.at(-1)).toEqual({ role: "user", content: "what did you do?" });
  }, 120000);
});
