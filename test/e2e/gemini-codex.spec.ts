// The real Codex CLI 0.169.0 → codex-launcher-proxy (gemini-oauth-cli) → a fake Google (token endpoint
// and Code Assist) on loopback that refuses stale access tokens and calls replayed without their thought
// signature.
import GLib from "gi://GLib";
import Gio from "gi://Gio";
import { makeCodexHome, runCodex, type CodexHome } from "../helpers/codex.js";
import { credentialsJson, FakeGoogle } from "../helpers/fake-google.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

function mode(path: string): number {
  return Gio.File.new_for_path(path).query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777;
}

describe("real Codex CLI through the gemini-oauth-cli backend", () => {
  let google: FakeGoogle;
  let proxy: RunningProxy | null = null;
  let dir: string;
  let credsPath: string;
  let refreshToken: string;
  let codex: CodexHome | null = null;

  async function start(access: { token: string; expiresInMs: number }, model = "gemini-3-pro-preview"): Promise<CodexHome> {
    refreshToken = google.issueRefreshToken();
    GLib.file_set_contents(credsPath, credentialsJson({ access_token: access.token, refresh_token: refreshToken, expiry_date: Date.now() + access.expiresInMs }));
    proxy = await startProxy(["--backend", "gemini-oauth-cli", "--target-url", google.url, "--log-dir", dir],
      { env: { CODEX_PROXY_CREDENTIALS_FILE: credsPath, CODEX_LAUNCHER_GOOGLE_TOKEN_URL: google.tokenUrl } });
    codex = await makeCodexHome(proxy.port, model);
    return codex;
  }

  beforeEach(() => {
    google = new FakeGoogle();
    dir = makeTempDir("gemini-codex");
    credsPath = `${dir}/oauth_creds.json`;
  });

  afterEach(async () => {
    await proxy?.child.stop();
    proxy = null;
    google.stop();
    removeTree(dir);
    if (codex) {
      removeTree(codex.home);
      removeTree(codex.workdir);
    }
    codex = null;
  });

  it("runs exec_command with an expired access token on disk: refreshed first, signature replayed, token written back", async () => {
    google.then(
      { kind: "calls", calls: [{ name: "exec_command", args: { cmd: "echo gemini-marker-5150", yield_time_ms: 10000 } }], signature: "c2lnLWFscGhhLTAwMQ==" },
      { kind: "text", text: "The command printed gemini-marker-5150.", thought: "Reading the tool output." });
    const h = await start({ token: "ya29.expired-on-disk-000000", expiresInMs: -3600_000 });
    const result = await runCodex(h, "run echo gemini-marker-5150");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("The command printed gemini-marker-5150.");
    expect(result.stdout).not.toContain("Reading the tool output"); // thoughts stay hidden

    expect(google.requests.filter((r) => r.rejected).map((r) => r.rejected)).toEqual([]);
    // Refreshed before anything else: the first request of all went to the token endpoint.
    expect(google.requests[0].path).toBe("/token");
    expect(google.calls("token").length).toBe(1);
    expect(google.calls("loadCodeAssist").length).toBe(1); // the project is cached for the second turn
    const [first, second] = google.generateCalls();
    expect(google.generateCalls().length).toBe(2);
    expect(first.path).toBe("/v1internal:streamGenerateContent");
    expect(first.query.alt).toBe("sse");
    expect(first.body.model).toBe("gemini-3-pro-preview");
    expect(first.body.project).toBe(google.project);
    expect(first.body.user_prompt_id).toBeTruthy();
    expect(first.body.request.systemInstruction.parts[0].text.length).toBeGreaterThan(1000);
    const decl = first.body.request.tools[0].functionDeclarations.find((d: any) => d.name === "exec_command");
    expect(decl.parameters.type).toBe("object");
    expect(JSON.stringify(first.body.request.tools)).not.toContain("additionalProperties");
    expect(first.body.request.generationConfig.thinkingConfig.includeThoughts).toBeTrue();

    const contents = second.body.request.contents;
    const modelTurn = contents.find((c: any) => c.role === "model");
    const call = modelTurn.parts.find((p: any) => p.functionCall);
    expect(call.functionCall.name).toBe("exec_command");
    expect(call.thoughtSignature).toBe("c2lnLWFscGhhLTAwMQ==");
    const answer = contents[contents.indexOf(modelTurn) + 1].parts.find((p: any) => p.functionResponse);
    expect(answer.functionResponse.name).toBe("exec_command");
    expect(answer.functionResponse.id).toBe(call.functionCall.id);
    expect(answer.functionResponse.response.result).toContain("gemini-marker-5150");

    // The renewed token was written back (atomically, still 0600) and is the one Code Assist got.
    const saved = JSON.parse(read(credsPath));
    expect(saved.refresh_token).toBe(refreshToken);
    expect(saved.access_token).toMatch(/^ya29\.fake-access-/);
    expect(saved.expiry_date).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(first.headers.authorization).toBe(`Bearer ${saved.access_token}`);
    expect(mode(credsPath)).toBe(0o600);
    const log = read(`${dir}/proxy.log`);
    expect(log).toContain("access token renewed");
    expect(log).not.toContain(saved.access_token);
    expect(log).not.toContain(refreshToken);
  }, 90000);

  it("runs a turn with two tool calls: both answered, the signature replayed on the first", async () => {
    google.then(
      { kind: "calls", signature: "c2lnLWJldGEtMDAy", calls: [
        { name: "exec_command", args: { cmd: "echo first-call-81" } },
        { name: "exec_command", args: { cmd: "echo second-call-82" } }] },
      { kind: "text", text: "Both commands ran." });
    const h = await start({ token: "ya29.valid-at-start", expiresInMs: 3600_000 }, "gemini-2.5-pro");
    // A token the fake never issued but not yet expired by the clock: refused once (401), renewed, retried.
    const result = await runCodex(h, "run two commands");
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain("Both commands ran.");
    expect(google.requests.filter((r) => r.rejected).map((r) => r.rejected)).toEqual(["stale access token"]);
    expect(google.calls("token").length).toBe(1);
    const second = google.generateCalls()[1];
    const contents = second.body.request.contents;
    const modelTurn = contents.find((c: any) => c.role === "model");
    const calls = modelTurn.parts.filter((p: any) => p.functionCall);
    expect(calls.length).toBe(2);
    expect(calls[0].thoughtSignature).toBe("c2lnLWJldGEtMDAy");
    expect(calls[1].thoughtSignature).toBeUndefined();
    const answers = contents[contents.indexOf(modelTurn) + 1].parts.filter((p: any) => p.functionResponse);
    expect(answers.map((a: any) => a.functionResponse.id).sort()).toEqual(calls.map((c: any) => c.functionCall.id).sort());
    const outputs = answers.map((a: any) => a.functionResponse.response.result).join("\n");
    expect(outputs).toContain("first-call-81");
    expect(outputs).toContain("second-call-82");
  }, 90000);

  it("gives Codex a clear error, not a hang, when the refresh token was revoked", async () => {
    google.revoked = true;
    const h = await start({ token: "ya29.expired-again", expiresInMs: -60_000 });
    const result = await runCodex(h, "say hi");
    expect(result.exitCode).toBe(1);
    expect(result.timedOut).toBeFalse();
    expect(result.stderr).toContain("Google login expired or revoked");
    expect(result.stderr).toContain("Sign in with Google");
    // Codex retried, but Google's token endpoint was asked once: a dead login is remembered.
    expect(google.calls("token").length).toBe(1);
    expect(google.generateCalls().length).toBe(0);
    expect(read(`${dir}/proxy.log`)).toMatch(/adapter_error code=login_expired status=\d+ message="Google login expired or revoked \(invalid_grant: Token has been expired or revoked\.\)/);
  }, 90000);
});

describe("real Codex CLI through openai-compat on Gemini's OpenAI-compatible API (API key)", () => {
  it("replays Gemini 3's extra_content.google.thought_signature on the tool call in the next turn", async () => {
    const provider = new FakeProvider();
    const dir = makeTempDir("gemini-openai");
    const proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir], { env: { CODEX_PROXY_API_KEY: "AIzaFakeGeminiKey000000000000000000000" } });
    const codex = await makeCodexHome(proxy.port, "gemini-3-pro-preview");
    try {
      // As Gemini sends it: the whole call in one delta, no index, the signature beside the function.
      const call = { id: "function-call-6613", type: "function", function: { name: "exec_command", arguments: JSON.stringify({ cmd: "echo oa-gemini-77" }) },
        extra_content: { google: { thought_signature: "b2Etc2lnLTc3Cg==" } } };
      provider.then({ kind: "sse", frames: [
        `data: ${JSON.stringify({ object: "chat.completion.chunk", model: "gemini-3-pro-preview", choices: [{ index: 0, delta: { role: "assistant", tool_calls: [call] }, finish_reason: "tool_calls" }] })}\n\n`,
        `data: ${JSON.stringify({ object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 } })}\n\n`,
      ] }, { kind: "text", text: "It printed oa-gemini-77." });
      const result = await runCodex(codex, "run echo");
      expect(result.exitCode).withContext(result.stderr).toBe(0);
      expect(result.stdout).toContain("It printed oa-gemini-77.");
      const followUp = provider.chatRequests()[1].body.messages;
      const assistant = followUp.find((m: any) => m.tool_calls);
      expect(assistant.tool_calls[0].id).toBe("function-call-6613");
      expect(assistant.tool_calls[0].extra_content).toEqual({ google: { thought_signature: "b2Etc2lnLTc3Cg==" } });
      expect(followUp.find((m: any) => m.role === "tool").content).toContain("oa-gemini-77");
    } finally {
      await proxy.child.stop();
      provider.stop();
      removeTree(dir);
      removeTree(codex.home);
      removeTree(codex.workdir);
    }
  }, 90000);
});
