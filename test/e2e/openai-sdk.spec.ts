// The official `openai` npm SDK (a second real client) against the proxy.
import { FakeProvider } from "../helpers/fake-provider.js";
import { run } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, REPO_ROOT, removeTree } from "../helpers/repo.js";

describe("openai npm SDK through the proxy", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let logDir: string;

  beforeEach(async () => {
    provider = new FakeProvider();
    logDir = makeTempDir("sdk-e2e");
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", logDir]);
  });

  afterEach(async () => {
    await proxy.child.stop();
    provider.stop();
    removeTree(logDir);
  });

  it("streams with responses.create, finishes responses.stream(), answers non-streamed calls and reports errors", async () => {
    provider.then(
      { kind: "text", text: "streamed words" },
      { kind: "text", text: "helper words", usage: { prompt: 9, completion: 2 } },
      { kind: "json", body: { choices: [{ message: { content: "whole words" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 2 } } },
      { kind: "status", status: 400, body: { error: { message: "context too long" } } });
    const result = await run(["node", `${REPO_ROOT}/test/e2e/openai-sdk-client.mjs`, `${proxy.url}/v1`], { cwd: REPO_ROOT, timeoutMs: 30000 });
    expect(result.exitCode).withContext(result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(out.raw.text).toBe("streamed words");
    expect(out.raw.types[0]).toBe("response.created");
    expect(out.raw.types).toContain("response.output_text.done");
    expect(out.raw.types[out.raw.types.length - 1]).toBe("response.completed");
    expect(out.helper).toEqual({ status: "completed", outputText: "helper words",
      usage: jasmine.objectContaining({ input_tokens: 9, output_tokens: 2, total_tokens: 11 }) });
    expect(out.nonStream).toEqual({ status: "completed", outputText: "whole words" });
    expect(out.error.status).toBe(400);
    expect(out.error.message).toContain("context too long");
  }, 60000);
});
