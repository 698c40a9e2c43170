import { formatHelp, parseFlags, UsageError } from "../../src/lib/cli-args.js";
import { DEFAULT_HOST, DEFAULT_PORT, resolveProxyCommand } from "../../src/proxy/options.js";

const noConfig = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

describe("parseFlags", () => {
  const specs = {
    port: { kind: "int", min: 0, max: 65535, help: "port" },
    host: { kind: "string", help: "host" },
    verbose: { kind: "bool", help: "verbose" },
  } as const;

  it("reads '--name value' and '--name=value' forms", () => {
    expect(parseFlags(specs, ["--port", "8080", "--host=::1", "--verbose"])).toEqual({ port: 8080, host: "::1", verbose: true });
  });

  it("rejects unknown options, naming them", () => {
    expect(() => parseFlags(specs, ["--prot", "1"])).toThrowMatching((e) => e instanceof UsageError && /unknown option '--prot'/.test(e.message));
  });

  it("rejects a missing value", () => {
    expect(() => parseFlags(specs, ["--port"])).toThrowError(UsageError, /needs a value/);
    expect(() => parseFlags(specs, ["--host", "--verbose"])).toThrowError(UsageError, /needs a value/);
  });

  it("rejects non-numeric and out-of-range ports", () => {
    expect(() => parseFlags(specs, ["--port", "80a"])).toThrowError(UsageError, /whole number/);
    expect(() => parseFlags(specs, ["--port", "70000"])).toThrowError(UsageError, /between 0 and 65535/);
  });

  it("rejects a value given to a boolean flag and stray positional arguments", () => {
    expect(() => parseFlags(specs, ["--verbose=yes"])).toThrowError(UsageError, /takes no value/);
    expect(() => parseFlags(specs, ["serve"])).toThrowError(UsageError, /unexpected argument 'serve'/);
  });

  it("lists every option in the help text", () => {
    const help = formatHelp("prog", "Does things.", specs);
    expect(help).toContain("--port N");
    expect(help).toContain("--host VALUE");
    expect(help).toContain("--verbose");
  });
});

describe("resolveProxyCommand", () => {
  it("defaults to 127.0.0.1:8080 and the openai-compat backend, like translate-proxy.py", () => {
    const cmd = resolveProxyCommand([], {}, noConfig);
    expect(cmd.kind).toBe("serve");
    if (cmd.kind !== "serve") return;
    expect(cmd.options.host).toBe(DEFAULT_HOST);
    expect(cmd.options.port).toBe(DEFAULT_PORT);
    expect(cmd.options.backend).toBe("openai-compat");
    // No override: the per-model silence bounds apply (src/proxy/silence.ts).
    expect(cmd.options.idleTimeoutS).toBeUndefined();
    expect(cmd.options.firstByteTimeoutS).toBeUndefined();
  });

  it("takes silence bounds that override the per-model defaults", () => {
    const cmd = resolveProxyCommand(["--first-byte-timeout", "45", "--idle-timeout", "120"], {}, noConfig);
    if (cmd.kind !== "serve") throw new Error("not serve");
    expect(cmd.options.firstByteTimeoutS).toBe(45);
    expect(cmd.options.idleTimeoutS).toBe(120);
    expect(() => resolveProxyCommand(["--first-byte-timeout", "0"], {}, noConfig)).toThrow();
  });

  it("accepts the original flags", () => {
    const cmd = resolveProxyCommand(
      ["--port", "9000", "--host", "0.0.0.0", "--backend", "anthropic", "--target-url", "https://api.anthropic.com/v1",
        "--api-key", "k", "--models-file", "/m.json"], {}, noConfig);
    expect(cmd).toEqual({
      kind: "serve",
      options: jasmine.objectContaining({ port: 9000, host: "0.0.0.0", backend: "anthropic",
        targetUrl: "https://api.anthropic.com/v1", apiKey: "k", modelsFile: "/m.json" }),
    });
  });

  it("rejects unknown backends and non-http target URLs", () => {
    expect(() => resolveProxyCommand(["--backend", "nope"], {}, noConfig)).toThrowError(UsageError, /must be one of/);
    expect(() => resolveProxyCommand(["--target-url", "ftp://x"], {}, noConfig)).toThrowError(UsageError, /http\(s\) URL/);
  });

  it("takes the API key from CODEX_PROXY_API_KEY so it stays out of the process list", () => {
    const cmd = resolveProxyCommand([], { CODEX_PROXY_API_KEY: "from-env" }, noConfig);
    expect(cmd.kind === "serve" && cmd.options.apiKey).toBe("from-env");
  });

  it("reads --config and lets flags win over it", () => {
    const config = JSON.stringify({ port: 7000, backend_type: "native", target_url: "https://api.openai.com/v1" });
    const cmd = resolveProxyCommand(["--config", "/c.json", "--port", "7001"], {}, () => config);
    expect(cmd.kind === "serve" && cmd.options).toEqual(jasmine.objectContaining({ port: 7001, backend: "native", targetUrl: "https://api.openai.com/v1" }));
  });

  it("gives a clear error for a config file that is not JSON", () => {
    expect(() => resolveProxyCommand(["--config", "/c.json"], {}, () => "{port:"))
      .toThrowError(UsageError, /config file \/c\.json is not valid JSON/);
  });

  it("answers --help and --version without serving", () => {
    expect(resolveProxyCommand(["--help"], {}, noConfig)).toEqual({ kind: "help" });
    expect(resolveProxyCommand(["--version"], {}, noConfig)).toEqual({ kind: "version" });
  });

  it("runs --self-test (with an optional fixtures file) instead of serving", () => {
    expect(resolveProxyCommand(["--self-test"], {}, noConfig)).toEqual({ kind: "self-test", fixturesFile: undefined });
    expect(resolveProxyCommand(["--self-test", "--self-test-fixtures", "/f.json"], {}, noConfig)).toEqual({ kind: "self-test", fixturesFile: "/f.json" });
    expect(() => resolveProxyCommand(["--self-test-fixtures", "/f.json"], {}, noConfig)).toThrowError(UsageError, /needs --self-test/);
  });
});
