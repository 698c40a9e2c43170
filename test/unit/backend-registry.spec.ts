// The backend registry: one definition per served backend, each with its own auth headers.
import { BACKEND_TYPES, isServedBackend, SERVED_BACKENDS } from "../../src/lib/backend-types.js";
import { PROVIDER_PRESETS } from "../../src/lib/presets.js";
import { backendDefinition, BACKENDS } from "../../src/proxy/translate/registry.js";

describe("backend registry", () => {
  it("defines an adapter for exactly the served backends", () => {
    expect(Object.keys(BACKENDS).sort()).toEqual([...SERVED_BACKENDS].sort());
    for (const backend of BACKEND_TYPES) expect(backendDefinition(backend) !== null).toBe(isServedBackend(backend));
    expect(backendDefinition("toString")).toBeNull();
  });

  it("spells each provider's key header once: Bearer for OpenAI-style APIs, x-api-key + version for Anthropic", () => {
    expect(BACKENDS["openai-compat"].headers("k1")).toEqual({ Authorization: "Bearer k1" });
    expect(BACKENDS.native.headers("k2")).toEqual({ Authorization: "Bearer k2" });
    expect(BACKENDS.anthropic.headers("k3")).toEqual({ "anthropic-version": "2023-06-01", "x-api-key": "k3" });
    // Command Code: Bearer; its x-command-code-version goes on each call (the adapter's own header).
    expect(BACKENDS["command-code"].headers("k4")).toEqual({ Authorization: "Bearer k4" });
    expect(BACKENDS["openai-compat"].headers("")).toEqual({});
    expect(BACKENDS.anthropic.headers("")).toEqual({ "anthropic-version": "2023-06-01" });
    // A Google login, not a key: each Code Assist call carries its own access token; there is no model list.
    for (const b of ["gemini-oauth-cli", "gemini-oauth-antigravity"] as const) {
      expect(BACKENDS[b].headers("{\"refresh_token\":\"1//x\"}")).toEqual({});
      expect(BACKENDS[b].modelsPath).toBe("");
    }
  });

  it("builds an adapter named after its backend", () => {
    for (const backend of SERVED_BACKENDS) {
      const adapter = BACKENDS[backend].create({ targetUrl: "http://127.0.0.1:9/v1", quirks: { quirksFor: () => new Set(), learn: () => {}, forget: () => {} } });
      expect(adapter.name).toBe(backend);
    }
    expect(PROVIDER_PRESETS.length).toBeGreaterThan(20);
  });
});
