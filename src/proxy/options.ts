// The proxy's command-line interface, compatible with the original translate-proxy.py flags.
// Pure: no gi:// imports.
import { BACKEND_TYPES, type BackendType } from "../lib/backend-types.js";
import { parseFlags, UsageError, type FlagSpecs } from "../lib/cli-args.js";
import { parseHandedPool, PoolHandoverError, type HandedPool } from "../lib/pool-handover.js";
import { splitUrlSecrets } from "../lib/url-secrets.js";
import { REASONING_SETTINGS, type ReasoningSetting } from "../lib/reasoning.js";

export const PROXY_FLAGS = {
  port: { kind: "int", min: 0, max: 65535, help: "port to listen on (0 picks a free one; default 8080)" },
  host: { kind: "string", help: "address to bind (default 127.0.0.1)" },
  backend: { kind: "string", choices: BACKEND_TYPES, help: "upstream API flavour (default openai-compat)" },
  "target-url": { kind: "string", help: "upstream base URL, e.g. https://api.deepseek.com/v1" },
  "api-key": { kind: "string", help: "upstream API key (prefer the CODEX_PROXY_API_KEY environment variable)" },
  config: { kind: "string", help: "JSON file with these same settings (flags win)" },
  "models-file": { kind: "string", help: "JSON file listing the models served on /v1/models" },
  "log-dir": { kind: "string", help: "directory for proxy.log and provider-caps.json (default ~/.cache/codex-proxy)" },
  "first-byte-timeout": { kind: "int", min: 1, max: 3600, help: "seconds the provider may take to start answering (default per model: 30, reasoning models 90)" },
  "idle-timeout": { kind: "int", min: 1, max: 3600, help: "seconds of silence inside an answer before it is failed (default per model: 30, reasoning models 90)" },
  "force-model": { kind: "string", help: "send this model to the provider whatever the client asks for" },
  reasoning: { kind: "string", choices: REASONING_SETTINGS, help: "reasoning effort sent to the provider: off (none sent) or an effort that replaces the client's" },
  "max-body-mb": { kind: "int", min: 1, max: 1024, help: "largest accepted request body in MB (default 32)" },
  "client-token-file": { kind: "string", help: "require this file's token as `Authorization: Bearer` (or set CODEX_LAUNCHER_CLIENT_TOKEN)" },
  "allow-origin": { kind: "string", help: "comma-separated browser origins allowed to call the proxy (default: none)" },
  "registry-dir": { kind: "string", help: "register this process (identity, port) in DIR/<pid>.json while it runs" },
  "owner-lease": { kind: "int", min: 1, max: 86400, help: "seconds without a word from the launcher after which the proxy counts as orphaned" },
  "orphan-idle-exit": { kind: "int", min: 1, max: 86400, help: "an orphaned proxy exits after this many idle seconds (default 300)" },
  "usage-label": { kind: "string", help: "the name usage-stats.json files this proxy's requests under (the launcher's endpoint name)" },
  "drain-timeout": { kind: "int", min: 0, max: 600, help: "seconds live streams get to finish on SIGTERM (default 5)" },
  "request-timeout": { kind: "int", min: 1, max: 3600, help: "seconds a client gets to send its whole request (default 30)" },
  "self-test": { kind: "bool", help: "run the Command Code parser's self-test patterns, print one line each, and exit (1 on any failure)" },
  "self-test-fixtures": { kind: "string", help: "with --self-test: a JSON file of extra patterns (e.g. captured model outputs) to run too" },
  version: { kind: "bool", help: "print the version and exit" },
  help: { kind: "bool", help: "show this help and exit" },
} as const satisfies FlagSpecs;

export interface ProxyOptions {
  port: number;
  host: string;
  backend: BackendType;
  targetUrl: string;
  apiKey: string;
  configFile?: string;
  modelsFile?: string;
  logDir?: string;
  /** Overrides of the per-model silence bounds (silence.ts); unset: the defaults table. */
  firstByteTimeoutS?: number;
  idleTimeoutS?: number;
  maxBodyMb: number;
  forceModel?: string;
  /** What happens to each request's reasoning effort (the endpoint's setting); absent: the client's passes. */
  reasoning?: ReasoningSetting;
  /** Required from clients on every route but /health; null: not required (standalone use). */
  clientToken: string | null;
  allowedOrigins: string[];
  registryDir?: string;
  /** Set when a launcher supervises this proxy: seconds without its word before the proxy is an orphan. */
  ownerLeaseS?: number;
  orphanIdleExitS: number;
  drainTimeoutS: number;
  /** Seconds a client gets to send its request (headers and body). */
  requestTimeoutS: number;
  /** Credentials taken out of the target URL (user:pw@, ?api-key=); never shown. */
  targetSecrets: { basicAuth: string | null; secretQuery: [string, string][]; secrets: string[] };
  /** A login file the Google backends read and renew (CODEX_PROXY_CREDENTIALS_FILE; never a flag). */
  credentialsFile?: string;
  /** An AI BGP pool to route over instead of one provider (CODEX_PROXY_ROUTES, or bgp_routes in --config). */
  pool: HandedPool | null;
  /** Under what name usage-stats.json keeps this proxy's requests (default: the provider's host or bgp:<pool>). */
  usageLabel?: string;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_MAX_BODY_MB = 32;
export const DEFAULT_ORPHAN_IDLE_EXIT_S = 300;
export const DEFAULT_DRAIN_TIMEOUT_S = 5;
export const DEFAULT_REQUEST_TIMEOUT_S = 30;

export type ProxyCommand = { kind: "help" } | { kind: "version" } | { kind: "self-test"; fixturesFile?: string } | { kind: "serve"; options: ProxyOptions };

/** Settings a --config file may carry; same names as the flags, in snake_case or kebab-case. */
export function optionsFromConfigJson(text: string, source: string): Partial<ProxyOptions> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new UsageError(`config file ${source} must hold a JSON object`);
  const obj = data as Record<string, unknown>;
  const pick = (...keys: string[]) => keys.map((k) => obj[k]).find((v) => v !== undefined);
  const out: Partial<ProxyOptions> = {};
  const port = pick("port");
  if (port !== undefined) {
    if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
      throw new UsageError(`config file ${source}: "port" must be a whole number 0-65535`);
    out.port = port as number;
  }
  const str = (value: unknown, key: string): string => {
    if (typeof value !== "string") throw new UsageError(`config file ${source}: "${key}" must be a string`);
    return value;
  };
  const host = pick("host");
  if (host !== undefined) out.host = str(host, "host");
  const backend = pick("backend", "backend_type");
  if (backend !== undefined) {
    const b = str(backend, "backend");
    if (!(BACKEND_TYPES as readonly string[]).includes(b))
      throw new UsageError(`config file ${source}: unknown backend '${b}'`);
    out.backend = b as BackendType;
  }
  const target = pick("target_url", "target-url", "base_url");
  if (target !== undefined) out.targetUrl = str(target, "target_url");
  const key = pick("api_key", "api-key");
  if (key !== undefined) out.apiKey = str(key, "api_key");
  const models = pick("models_file", "models-file");
  if (models !== undefined) out.modelsFile = str(models, "models_file");
  // The original's pool config: `bgp_routes` (a list of routes) with an optional pool name and strategy.
  const routes = pick("bgp_routes");
  if (routes !== undefined && routes !== null) {
    try {
      out.pool = parseHandedPool(Array.isArray(routes) ? { pool: pick("bgp_pool") ?? "pool", strategy: pick("bgp_strategy") ?? "failover", routes } : routes);
    } catch (e) {
      if (e instanceof PoolHandoverError) throw new UsageError(`config file ${source}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/**
 * Resolves argv (+ an optional config file's contents + environment) into what the proxy does.
 * `readConfig` is injected so this stays pure.
 */
export function resolveProxyCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  readConfig: (path: string) => string,
): ProxyCommand {
  const flags = parseFlags(PROXY_FLAGS, argv);
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  if (flags["self-test"]) return { kind: "self-test", fixturesFile: flags["self-test-fixtures"] };
  if (flags["self-test-fixtures"]) throw new UsageError("--self-test-fixtures needs --self-test");
  const fromFile = flags.config ? optionsFromConfigJson(readConfig(flags.config), flags.config) : {};
  let clientToken: string | null = null;
  if (flags["client-token-file"]) {
    clientToken = readConfig(flags["client-token-file"]).trim();
    if (!clientToken) throw new UsageError(`the client token file ${flags["client-token-file"]} is empty`);
  } else if (env.CODEX_LAUNCHER_CLIENT_TOKEN !== undefined) {
    clientToken = env.CODEX_LAUNCHER_CLIENT_TOKEN.trim();
    if (!clientToken) throw new UsageError("CODEX_LAUNCHER_CLIENT_TOKEN is set but empty");
  }
  if (clientToken !== null && clientToken.length < 16) throw new UsageError("the client token must be at least 16 characters");
  // The launcher hands over a target URL with credentials in the environment, never on the command line.
  const rawTarget = env.CODEX_PROXY_TARGET_URL ?? flags["target-url"] ?? fromFile.targetUrl ?? "";
  const target = splitUrlSecrets(rawTarget);
  const options: ProxyOptions = {
    port: flags.port ?? fromFile.port ?? DEFAULT_PORT,
    host: flags.host ?? fromFile.host ?? DEFAULT_HOST,
    backend: (flags.backend as BackendType | undefined) ?? fromFile.backend ?? "openai-compat",
    targetUrl: target.publicUrl,
    apiKey: flags["api-key"] ?? env.CODEX_PROXY_API_KEY ?? fromFile.apiKey ?? "",
    configFile: flags.config,
    modelsFile: flags["models-file"] ?? fromFile.modelsFile,
    logDir: flags["log-dir"],
    firstByteTimeoutS: flags["first-byte-timeout"],
    idleTimeoutS: flags["idle-timeout"],
    maxBodyMb: flags["max-body-mb"] ?? DEFAULT_MAX_BODY_MB,
    forceModel: flags["force-model"],
    reasoning: flags.reasoning as ReasoningSetting | undefined,
    clientToken,
    allowedOrigins: (flags["allow-origin"] ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    registryDir: flags["registry-dir"],
    ownerLeaseS: flags["owner-lease"],
    orphanIdleExitS: flags["orphan-idle-exit"] ?? DEFAULT_ORPHAN_IDLE_EXIT_S,
    drainTimeoutS: flags["drain-timeout"] ?? DEFAULT_DRAIN_TIMEOUT_S,
    requestTimeoutS: flags["request-timeout"] ?? DEFAULT_REQUEST_TIMEOUT_S,
    targetSecrets: { basicAuth: target.basicAuth, secretQuery: target.secretQuery, secrets: target.secrets },
    credentialsFile: env.CODEX_PROXY_CREDENTIALS_FILE || undefined,
    pool: env.CODEX_PROXY_ROUTES ? poolFromEnv(env.CODEX_PROXY_ROUTES) : fromFile.pool ?? null,
    usageLabel: flags["usage-label"],
  };
  if (options.targetUrl && !/^https?:\/\/[^\s/]+/i.test(options.targetUrl))
    throw new UsageError(`--target-url must be an http(s) URL, got '${options.targetUrl}'`);
  return { kind: "serve", options };
}

/** The pool the launcher hands over in CODEX_PROXY_ROUTES (JSON with the route keys: never on argv). */
function poolFromEnv(text: string): HandedPool {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`CODEX_PROXY_ROUTES is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseHandedPool(value);
  } catch (e) {
    if (e instanceof PoolHandoverError) throw new UsageError(`CODEX_PROXY_ROUTES: ${e.message}`);
    throw e;
  }
}
