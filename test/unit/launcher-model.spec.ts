import { parse } from "smol-toml";
import { buildLauncherProfile, CodexConfigError, hasLegacyEdits, profilePort, PROVIDER_ID, repairLegacyEdits } from "../../src/lib/codex-config.js";
import { duplicateEndpoint, endpointSilence, EndpointsFormatError, parseEndpoints, removeEndpoint, serializeEndpoints, setDefaultEndpoint,
  upsertEndpoint, validateEndpoint, type Endpoint } from "../../src/lib/endpoints.js";
import { findPreset, PROVIDER_PRESETS } from "../../src/lib/presets.js";

const ORIGINAL_FILE = JSON.stringify({
  default: "Z.AI",
  endpoints: [
    { name: "OpenAI", backend_type: "native", base_url: "https://api.openai.com/v1", api_key: "", default_model: "gpt-4o", models: ["gpt-4o"], provider_preset: "OpenAI" },
    { name: "Z.AI", backend_type: "openai-compat", base_url: "https://api.z.ai/api/coding/paas/v4", api_key: "k", default_model: "glm-5.1",
      models: ["glm-5.1", "glm-5"], provider_preset: "Z.ai Coding", reasoning_enabled: true, prompt_enhancer: false },
  ],
  ai_monitoring: { enabled: true, provider_url: "http://127.0.0.1:11434/v1/chat/completions", model: "qwen3" },
});

const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({ name: "New", backend_type: "openai-compat", base_url: "https://x/v1",
  api_key: "", default_model: "", models: ["m1", "m2"], provider_preset: "Custom", ...over });

describe("endpoints.json model", () => {
  it("reads the original app's file and keeps unknown fields and sections when saving", () => {
    const doc = parseEndpoints(ORIGINAL_FILE);
    expect(doc.default).toBe("Z.AI");
    expect(doc.endpoints.map((e) => e.name)).toEqual(["OpenAI", "Z.AI"]);
    const again = JSON.parse(serializeEndpoints(upsertEndpoint(doc, endpoint())));
    expect(again.ai_monitoring).toEqual({ enabled: true, provider_url: "http://127.0.0.1:11434/v1/chat/completions", model: "qwen3" });
    expect(again.endpoints[1].reasoning_enabled).toBeTrue();
    expect(again.endpoints[2].name).toBe("New");
  });

  it("rejects files it cannot use, saying why", () => {
    expect(() => parseEndpoints("{")).toThrowError(EndpointsFormatError, /not valid JSON/);
    expect(() => parseEndpoints("[]")).toThrowError(EndpointsFormatError, /top level/);
    expect(() => parseEndpoints('{"endpoints":{}}')).toThrowError(EndpointsFormatError, /must be a list/);
    expect(() => parseEndpoints('{"endpoints":[{"name":"a"},{"name":"a"}]}')).toThrowError(EndpointsFormatError, /two endpoints are named 'a'/);
    expect(() => parseEndpoints('{"endpoints":[{"name":"a","backend_type":"smtp"}]}')).toThrowError(EndpointsFormatError, /unknown backend_type/);
    expect(() => parseEndpoints('{"endpoints":[{"name":"a","first_byte_timeout_s":"30"}]}')).toThrowError(EndpointsFormatError, /first_byte_timeout_s must be a whole number/);
    expect(() => parseEndpoints('{"endpoints":[{"name":"a","idle_timeout_s":0}]}')).toThrowError(EndpointsFormatError, /idle_timeout_s must be/);
    const slow = parseEndpoints('{"endpoints":[{"name":"a","first_byte_timeout_s":180,"idle_timeout_s":120,"keep_me":1}]}').endpoints[0];
    expect(endpointSilence(slow)).toEqual({ firstByteS: 180, idleS: 120 });
    expect(slow.keep_me).toBe(1);
    expect(endpointSilence(parseEndpoints('{"endpoints":[{"name":"a"}]}').endpoints[0])).toEqual({ firstByteS: undefined, idleS: undefined });
  });

  it("falls back to the first endpoint when the default names nothing", () => {
    expect(parseEndpoints('{"default":"gone","endpoints":[{"name":"a"}]}').default).toBe("a");
  });

  it("validates what the edit dialog saves", () => {
    const doc = parseEndpoints(ORIGINAL_FILE);
    expect(validateEndpoint(endpoint(), doc.endpoints)).toEqual([]);
    expect(validateEndpoint(endpoint({ name: "OpenAI" }), doc.endpoints)).toEqual(["An endpoint named 'OpenAI' already exists."]);
    expect(validateEndpoint(endpoint({ name: " ", base_url: "api.x" }), [])).toEqual(["Give the endpoint a name.", "The base URL must start with http:// or https://."]);
    expect(validateEndpoint(endpoint({ default_model: "zz" }), [])).toEqual(["The default model must be one of the models."]);
    expect(validateEndpoint(endpoint({ models: [] }), [])).toEqual(["Add at least one model (or fetch them from the provider)."]);
  });

  it("adds, renames, duplicates, deletes and sets the default", () => {
    let doc = parseEndpoints('{"endpoints":[]}');
    doc = upsertEndpoint(doc, endpoint({ base_url: "https://x/v1/" }));
    expect(doc.default).toBe("New");
    expect(doc.endpoints[0].base_url).toBe("https://x/v1");
    expect(doc.endpoints[0].default_model).toBe("m1");
    doc = upsertEndpoint(doc, endpoint({ name: "Renamed" }), "New");
    expect(doc.endpoints.map((e) => e.name)).toEqual(["Renamed"]);
    expect(doc.default).toBe("Renamed");
    const dup = duplicateEndpoint(doc, "Renamed");
    expect(dup.copy.name).toBe("Renamed (copy)");
    expect(duplicateEndpoint(dup.doc, "Renamed").copy.name).toBe("Renamed (copy 2)");
    doc = setDefaultEndpoint(dup.doc, "Renamed (copy)");
    expect(doc.default).toBe("Renamed (copy)");
    doc = removeEndpoint(doc, "Renamed (copy)");
    expect(doc.default).toBe("Renamed");
    expect(() => setDefaultEndpoint(doc, "nope")).toThrowError(EndpointsFormatError);
  });
});

describe("provider presets", () => {
  it("has the original's presets (15+), each with a backend type and, unless Custom, a URL", () => {
    expect(PROVIDER_PRESETS.length).toBeGreaterThanOrEqual(30);
    for (const p of PROVIDER_PRESETS.filter((p) => p.name !== "Custom")) expect(p.baseUrl).withContext(p.name).toMatch(/^https?:\/\//);
    expect(findPreset("Groq")!.baseUrl).toBe("https://api.groq.com/openai/v1");
    expect(findPreset("Command Code")!.backendType).toBe("command-code");
    expect(findPreset("Ollama (local)")!.keyOptional).toBeTrue();
  });
});

describe("Codex's configuration (the launcher's profile; config.toml stays the user's)", () => {
  const profile = { port: 43123, model: "glm-5.1", providerName: "Z.AI (Codex Launcher)", clientToken: "a".repeat(64),
    catalogPath: "/home/u/.codex/codex-launcher-models.json" };

  it("writes a profile that points Codex at the proxy with the client token", () => {
    const text = buildLauncherProfile(profile);
    const toml = parse(text) as any;
    expect(toml.model).toBe("glm-5.1");
    expect(toml.model_provider).toBe(PROVIDER_ID);
    expect(toml.model_catalog_json).toBe(profile.catalogPath);
    expect(toml.model_providers[PROVIDER_ID]).toEqual(jasmine.objectContaining({ base_url: "http://127.0.0.1:43123/v1", wire_api: "responses",
      experimental_bearer_token: profile.clientToken }));
    expect(toml.model_providers[PROVIDER_ID].env_key).toBeUndefined();
    expect(profilePort(text)).toBe(43123);
    expect(text).toContain("codex --profile codex-launcher");
    expect((parse(buildLauncherProfile({ ...profile, catalogPath: undefined })) as any).model_catalog_json).toBeUndefined();
  });

  it("writes Codex's side of the one retry budget, its idle timeout above the proxy's longest silence bound", () => {
    const base = { port: 1, model: "m", providerName: "p", clientToken: "t".repeat(16) };
    const provider = (extra = {}) => (parse(buildLauncherProfile({ ...base, ...extra })) as any).model_providers[PROVIDER_ID];
    expect(provider()).toEqual(jasmine.objectContaining({ request_max_retries: 2, stream_max_retries: 2, stream_idle_timeout_ms: 330000 }));
    expect(provider({ longestSilenceS: 90 }).stream_idle_timeout_ms).toBe(330000);
    expect(provider({ longestSilenceS: 600 }).stream_idle_timeout_ms).toBe(630000);
  });

  // What 4.0.0 left in a user's config.toml: its root keys and provider table over the user's own.
  const before = `# my settings\r\nmodel = "o3"\r\nmodel_provider = "openai"\r\napproval_policy = "on-request"\r\n\r\n[profiles.work]\r\nmodel = "gpt-5.5" # inline comment\r\n\r\n[mcp_servers.docs]\r\ncommand = "docs-server"\r\n`;
  const edited = `# my settings\r\nmodel = "glm-5.1"\r\nmodel_provider = "codex-launcher"\r\nmodel_catalog_json = "/home/u/.codex/codex-launcher-models.json"\r\napproval_policy = "on-request"\r\n\r\n[profiles.work]\r\nmodel = "gpt-5.5" # inline comment\r\n\r\n[mcp_servers.docs]\r\ncommand = "docs-server"\r\n\r\n[model_providers.codex-launcher]\r\nname = "x"\r\nbase_url = "http://127.0.0.1:1/v1"\r\nenv_key = "CODEX_LAUNCHER_TOKEN"\r\n`;

  it("repairs 4.0.0's edits line by line: the user's model and provider come back, every other line stays", () => {
    expect(hasLegacyEdits(edited)).toBeTrue();
    expect(repairLegacyEdits(edited, before)).toBe(before.replace(/\r\n$/, "") + "\r\n");
  });

  it("without a backup, takes the launcher's values out and keeps the rest", () => {
    const toml = parse(repairLegacyEdits(edited, null)) as any;
    expect(toml.model).toBeUndefined();
    expect(toml.model_provider).toBeUndefined();
    expect(toml.model_catalog_json).toBeUndefined();
    expect(toml.model_providers).toBeUndefined();
    expect(toml.profiles.work.model).toBe("gpt-5.5");
    expect(toml.approval_policy).toBe("on-request");
  });

  it("repairs an inline-table provider form too, keeping the user's other providers", () => {
    const text = 'model = "m"\nmodel_provider = "codex-launcher"\nmodel_providers = { mine = { name = "x", base_url = "http://y" }, codex-launcher = { name = "l", base_url = "http://127.0.0.1:1/v1" } }\n';
    const toml = parse(repairLegacyEdits(text, null)) as any;
    expect(toml.model_providers.mine.name).toBe("x");
    expect(toml.model_providers["codex-launcher"]).toBeUndefined();
    expect(toml.model_provider).toBeUndefined();
  });

  it("leaves a config.toml without launcher edits exactly as it is, and refuses invalid TOML with the line", () => {
    expect(repairLegacyEdits(before, null)).toBe(before);
    expect(() => hasLegacyEdits('model = "x\n[broken')).toThrowError(CodexConfigError, /not valid TOML \(line \d+/);
  });
});
