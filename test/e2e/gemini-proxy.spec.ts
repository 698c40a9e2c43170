// The proxy's Code Assist backends as a process, against the fake Google on loopback: a 401 mid-session,
// auto-continue after MAX_TOKENS (and its bound), the idle timeout, onboarding of a new account,
// non-streamed answers, Gemini 2.5's signature on a thought part, the Antigravity envelope, no login.
import GLib from "gi://GLib";
import { credentialsJson, FakeGoogle } from "../helpers/fake-google.js";
import { postSse, request } from "../helpers/http.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const USER = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });

function outputText(events: { data: any }[]): string {
  const done = events.filter((e) => e.data?.type === "response.output_item.done" && e.data.item.type === "message");
  return done.map((e) => e.data.item.content.map((c: any) => c.text).join("")).join("|");
}

describe("gemini-oauth backends (proxy process)", () => {
  let google: FakeGoogle;
  let proxy: RunningProxy | null = null;
  let dir: string;
  let credsPath: string;

  async function start(backend = "gemini-oauth-cli", extra: string[] = [], options: { noCredentials?: boolean } = {}): Promise<RunningProxy> {
    const refresh = google.issueRefreshToken();
    if (!options.noCredentials)
      GLib.file_set_contents(credsPath, credentialsJson({ access_token: "ya29.old", refresh_token: refresh, expiry_date: Date.now() - 1000 }));
    proxy = await startProxy(["--backend", backend, "--target-url", google.url, "--log-dir", dir, ...extra],
      { env: { CODEX_PROXY_CREDENTIALS_FILE: credsPath, CODEX_LAUNCHER_GOOGLE_TOKEN_URL: google.tokenUrl } });
    return proxy;
  }

  beforeEach(() => {
    google = new FakeGoogle();
    dir = makeTempDir("gemini-proxy");
    credsPath = `${dir}/creds.json`;
  });

  afterEach(async () => {
    await proxy?.child.stop();
    proxy = null;
    google.stop();
    removeTree(dir);
  });

  it("renews the access token once when Code Assist answers 401 mid-session, and retries the same request", async () => {
    const p = await start();
    google.then({ kind: "text", text: "first" }, { kind: "text", text: "second" });
    const first = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: [USER("one")] });
    expect(outputText(first.events)).toBe("first");
    google.accessTokens.clear(); // Google revoked the access token early (the clock says it is fine)
    const second = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: [USER("two")] });
    expect(second.status).toBe(200);
    expect(outputText(second.events)).toBe("second");
    expect(google.calls("token").length).toBe(2); // the expired one at start, then the one after the 401
    expect(google.calls("loadCodeAssist").length).toBe(1);
    expect(google.requests.filter((r) => r.rejected).map((r) => r.rejected)).toEqual(["stale access token"]);
    const usage = second.events.find((e) => e.data?.type === "response.completed")!.data.response.usage;
    expect(usage).toEqual(jasmine.objectContaining({ input_tokens: 120, output_tokens: 45, total_tokens: 165 }));
    expect(usage.output_tokens_details.reasoning_tokens).toBe(30);
  });

  it("continues an answer cut by MAX_TOKENS in the same message, and stops after three follow-ups", async () => {
    const p = await start();
    google.then({ kind: "text", text: "The beginning, ", finish: "MAX_TOKENS" }, { kind: "text", text: "and the end." });
    const reply = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-pro", stream: true, input: [USER("write")] });
    expect(outputText(reply.events)).toBe("The beginning, and the end.");
    expect(reply.events.filter((e) => e.data?.type === "response.output_item.added").length).toBe(1);
    const completed = reply.events.find((e) => e.data?.type === "response.completed")!.data.response;
    expect(completed.status).toBe("completed");
    expect(completed.usage.input_tokens).toBe(240); // both replies counted
    const follow = google.generateCalls()[1].body.request.contents;
    expect(follow.slice(-2).map((c: any) => c.role)).toEqual(["model", "user"]);
    expect(follow[follow.length - 2].parts[0].text).toBe("The beginning, ");
    expect(follow[follow.length - 1].parts[0].text).toContain("Continue exactly where it stopped");

    google.then(...[1, 2, 3, 4].map((n) => ({ kind: "text" as const, text: `part${n} `, finish: "MAX_TOKENS" })));
    const capped = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-pro", stream: true, input: [USER("write more")] });
    expect(outputText(capped.events)).toBe("part1 part2 part3 part4 ");
    const incomplete = capped.events.find((e) => e.data?.type === "response.incomplete")!.data.response;
    expect(incomplete.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(google.generateCalls().length).toBe(2 + 4);
  });

  it("fails a silent stream at the idle timeout with response.failed", async () => {
    const p = await start("gemini-oauth-cli", ["--idle-timeout", "1"]);
    google.then({ kind: "silence" });
    const reply = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: [USER("hello?")] });
    const failed = reply.events.find((e) => e.data?.type === "response.failed");
    expect(failed).withContext(reply.text).toBeDefined();
    expect(failed!.data.response.error.message).toContain("stream idle timeout");
  });

  it("onboards a new account through onboardUser and its long-running operation, once", async () => {
    google.onboarded = false;
    const p = await start();
    google.then({ kind: "text", text: "welcome" }, { kind: "text", text: "again" });
    const reply = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: [USER("hi")] });
    expect(outputText(reply.events)).toBe("welcome");
    expect(google.calls("onboardUser").length).toBe(1);
    expect(google.calls("onboardUser")[0].body.tierId).toBe("free-tier");
    expect(google.onboardingPolled).toBeTrue();
    const again = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: [USER("hi")] });
    expect(outputText(again.events)).toBe("again");
    expect(google.calls("loadCodeAssist").length).toBe(1);
  });

  it("answers a non-streamed request through generateContent", async () => {
    const p = await start();
    google.then({ kind: "text", text: "whole answer", thought: "hidden" });
    const reply = await request("POST", `${p.url}/v1/responses`, JSON.stringify({ model: "gemini-2.5-flash", stream: false, input: "hi" }));
    expect(reply.status).withContext(reply.text).toBe(200);
    const body = reply.json();
    expect(body.status).toBe("completed");
    expect(body.output.map((o: any) => o.type)).toEqual(["message"]);
    expect(body.output[0].content[0].text).toBe("whole answer");
    expect(google.generateCalls()[0].path).toBe("/v1internal:generateContent");
  });

  it("replays a Gemini 2.5 signature that came on a thought part with the function call after it", async () => {
    const p = await start();
    google.then({ kind: "calls", calls: [{ name: "lookup", args: { q: "x" } }], signature: "dGhvdWdodC1zaWc=", signatureOn: "thought" }, { kind: "text", text: "done" });
    const tools = [{ type: "function", name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"], additionalProperties: false } }];
    const first = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, tools, input: [USER("look")] });
    const item = first.events.find((e) => e.data?.type === "response.output_item.done")!.data.item;
    expect(item.type).toBe("function_call");
    expect(item.name).toBe("lookup");
    expect(JSON.parse(item.arguments)).toEqual({ q: "x" });
    // What Codex sends back next: the items it received, then the output.
    const second = await postSse(`${p.url}/v1/responses`, { model: "gemini-2.5-flash", stream: true, tools,
      input: [USER("look"), item, { type: "function_call_output", call_id: item.call_id, output: "found it" }] });
    expect(outputText(second.events)).toBe("done");
    const call = google.generateCalls()[1].body.request.contents[1].parts[0];
    expect(call.thoughtSignature).toBe("dGhvdWdodC1zaWc=");
  });

  it("sends Antigravity's envelope and headers, with the preset's model prefix removed", async () => {
    const p = await start("gemini-oauth-antigravity");
    google.then({ kind: "text", text: "from antigravity" });
    const reply = await postSse(`${p.url}/v1/responses`, { model: "antigravity-gemini-3-pro", stream: true, prompt_cache_key: "session-42", input: [USER("hi")] });
    expect(outputText(reply.events)).toBe("from antigravity");
    const sent = google.generateCalls()[0];
    expect(sent.body).toEqual(jasmine.objectContaining({ model: "gemini-3-pro", project: google.project, userAgent: "antigravity", requestType: "agent" }));
    expect(sent.body.requestId).toMatch(/^agent_/);
    expect(sent.body.request.sessionId).toBe("session-42");
    expect(sent.headers["user-agent"]).toMatch(/^antigravity\//);
    expect(JSON.parse(sent.headers["client-metadata"]).ideType).toBe("ANTIGRAVITY");
    expect(google.calls("loadCodeAssist")[0].body.metadata.ideType).toBe("ANTIGRAVITY");
  });

  it("says how to sign in when there is no login at all", async () => {
    const p = await start("gemini-oauth-cli", [], { noCredentials: true });
    const reply = await request("POST", `${p.url}/v1/responses`, JSON.stringify({ model: "gemini-2.5-flash", stream: true, input: "hi" }));
    expect(reply.status).toBe(401);
    expect(reply.json().error.code).toBe("login_required");
    expect(reply.json().error.message).toContain("Not signed in to Google");
    expect(google.requests.length).toBe(0);
  });
});
