// Running the real Codex CLI (npm @openai/codex, pinned) against the proxy, per ../shared/REAL-CODEX.md.
import GLib from "gi://GLib";
import { buildModelCatalog, type Catalog } from "../../src/lib/model-catalog.js";
import { run, type RunResult } from "./process.js";
import { makeTempDir, REPO_ROOT } from "./repo.js";

/** The pinned Codex from node_modules, or another build (scripts/codex-drift.sh sets CODEX_BIN to a scratch install). */
export const CODEX_BIN = GLib.getenv("CODEX_BIN") || `${REPO_ROOT}/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex`;
export const CODEX_API_KEY = "sk-codex-client-key-0000";

/** Codex's own retry and compaction knobs (REAL-CODEX §2, §7); the specs keep failure rows fast with them. */
export interface CodexKnobs {
  request_max_retries?: number;
  stream_max_retries?: number;
  stream_idle_timeout_ms?: number;
  /** Codex compacts the conversation once this many tokens were used. */
  model_auto_compact_token_limit?: number;
}

export function codexConfigToml(proxyPort: number, model: string, catalogPath?: string, knobs: CodexKnobs = {}): string {
  const k = { request_max_retries: 1, stream_max_retries: 1, ...knobs };
  return [
    `model = "${model}"`,
    `model_provider = "localproxy"`,
    `check_for_update_on_startup = false`,
    ...(catalogPath ? [`model_catalog_json = "${catalogPath}"`] : []),
    ...(k.model_auto_compact_token_limit !== undefined ? [`model_auto_compact_token_limit = ${k.model_auto_compact_token_limit}`] : []),
    `[analytics]`, `enabled = false`,
    `[otel]`, `exporter = "none"`, `trace_exporter = "none"`, `metrics_exporter = "none"`,
    `[features]`, `plugins = false`, `unbounded_connection_retries = false`,
    `[model_providers.localproxy]`,
    `name = "localproxy"`,
    `base_url = "http://127.0.0.1:${proxyPort}/v1"`,
    `wire_api = "responses"`,
    `env_key = "CODEX_LOCALPROXY_API_KEY"`,
    `request_max_retries = ${k.request_max_retries}`,
    `stream_max_retries = ${k.stream_max_retries}`,
    ...(k.stream_idle_timeout_ms !== undefined ? [`stream_idle_timeout_ms = ${k.stream_idle_timeout_ms}`] : []),
    "",
  ].join("\n");
}

export interface CodexHome {
  home: string;
  workdir: string;
  /** What Codex sends as its key: the proxy's client token when the proxy requires one. */
  token?: string;
}

let bundledCatalog: Catalog | null = null;

async function bundled(home: string): Promise<Catalog> {
  if (!bundledCatalog) {
    const result = await run([CODEX_BIN, "debug", "models", "--bundled"], { env: { CODEX_HOME: home } });
    if (result.exitCode !== 0) throw new Error(`codex debug models failed: ${result.stderr}`);
    bundledCatalog = JSON.parse(result.stdout) as Catalog;
  }
  return bundledCatalog;
}

/** A fresh CODEX_HOME (under /var/tmp) and work directory; `catalog` gives the model apply_patch. */
/** `catalogEntry`: fields laid over the catalog entry (e.g. apply_patch_tool_type "function"). */
export async function makeCodexHome(proxyPort: number, model: string,
  options: { catalog?: boolean; catalogEntry?: Record<string, unknown>; token?: string; knobs?: CodexKnobs } = {}): Promise<CodexHome> {
  const home = makeTempDir("codex-home");
  const workdir = makeTempDir("codex-work");
  let catalogPath: string | undefined;
  if (options.catalog || options.catalogEntry) {
    catalogPath = `${home}/models.json`;
    const catalog = buildModelCatalog(await bundled(home), [model], "test provider");
    catalog.models = catalog.models.map((m) => ({ ...m, ...options.catalogEntry }));
    GLib.file_set_contents(catalogPath, JSON.stringify(catalog));
  }
  GLib.file_set_contents(`${home}/config.toml`, codexConfigToml(proxyPort, model, catalogPath, options.knobs));
  return { home, workdir, token: options.token };
}

/** `stdin`: the prompt itself when `prompt` is "-" (a prompt too big for the command line). */
export function runCodex(h: CodexHome, prompt: string, extra: string[] = [], timeoutMs = 60000, stdin = ""): Promise<RunResult> {
  return run([CODEX_BIN, "exec", "--skip-git-repo-check", "--ephemeral", "--color", "never", ...extra, "-C", h.workdir, prompt],
    { env: { CODEX_HOME: h.home, CODEX_LOCALPROXY_API_KEY: h.token ?? CODEX_API_KEY, NO_COLOR: "1" }, stdin, timeoutMs });
}
