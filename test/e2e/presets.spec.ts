// Honest presets: every preset the edit dialog offers is answered by the proxy (none with 501 "not
// supported"), checked by starting the real proxy for each offered backend against a fake provider.
import { isServedBackend } from "../../src/lib/backend-types.js";
import { offeredPresets, PROVIDER_PRESETS } from "../../src/lib/presets.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { request } from "../helpers/http.js";
import { startProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

async function statusFor(backend: string, targetUrl: string, model: string, logDir: string): Promise<number> {
  const proxy = await startProxy(["--backend", backend, "--target-url", targetUrl, "--log-dir", logDir],
    { env: { CODEX_PROXY_API_KEY: "sk-preset-check-0000", CODEX_PROXY_CREDENTIALS_FILE: `${logDir}/no-login.json` } });
  try {
    return (await request("POST", `${proxy.url}/v1/responses`, JSON.stringify({ model, input: "hi", stream: false }))).status;
  } finally {
    await proxy.child.stop();
  }
}

describe("provider presets", () => {
  it("offers only presets whose backend is served; Kiro and Freebuff are not presets", () => {
    expect(offeredPresets().length).toBeGreaterThanOrEqual(25);
    for (const p of offeredPresets()) expect(isServedBackend(p.backendType)).withContext(p.name).toBeTrue();
    for (const p of PROVIDER_PRESETS) expect(["kiro-oauth", "freebuff"]).not.toContain(p.backendType);
    expect(offeredPresets().map((p) => p.name)).toContain("Google Gemini (OAuth)");
    expect(offeredPresets().map((p) => p.name)).toContain("Google Antigravity (OAuth)");
  });

  it("has no offered preset whose backend the proxy answers with 501", async () => {
    const provider = new FakeProvider();
    const logDir = makeTempDir("presets");
    try {
      const byBackend = new Map(offeredPresets().map((p) => [p.backendType, p]));
      for (const [backend, preset] of byBackend) {
        const status = await statusFor(backend, provider.url, preset.models[0] ?? "some-model", logDir);
        expect(status).withContext(`${backend} (${preset.name})`).not.toBe(501);
      }
      // The check can tell: a backend type that is not served does answer 501.
      expect(await statusFor("kiro-oauth", provider.url, "m", logDir)).toBe(501);
    } finally {
      provider.stop();
      removeTree(logDir);
    }
  });
});
