// Codex's configuration, as far as the launcher touches it. Pure.
//
// The user's ~/.codex/config.toml is theirs: the launcher never writes it. Codex reads a named profile
// from its own file, `<CODEX_HOME>/<name>.config.toml`, only when started with `--profile <name>`, so the
// launcher's settings (provider table pointing at the proxy, the client token, the model) live in
// `codex-launcher.config.toml` and the Codex it starts runs `codex --profile codex-launcher`. Plain
// `codex` never reads that file. smol-toml (bundled by esbuild) writes and validates it.
//
// Version 4.0.0 did edit config.toml's top level; `repairLegacyEdits` undoes that once, on the text,
// keeping every line the user wrote.
import { parse, stringify, TomlError } from "smol-toml";

export const PROFILE_NAME = "codex-launcher";
export const PROFILE_FILE = `${PROFILE_NAME}.config.toml`;
export const PROVIDER_ID = "codex-launcher";
/** The model catalog the launcher writes for models Codex does not know. */
export const CATALOG_FILE = "codex-launcher-models.json";

export interface LauncherProfile {
  port: number;
  model: string;
  /** Shown by Codex as the provider's name. */
  providerName: string;
  /** Sent by Codex as `Authorization: Bearer`; the proxy refuses requests without it. */
  clientToken: string;
  /** model_catalog_json, when the launcher wrote a catalog for models Codex does not know. */
  catalogPath?: string;
  /** The proxy's longest silence bound for this endpoint and model (s): Codex's own idle timeout stays above it. */
  longestSilenceS?: number;
}

export class CodexConfigError extends Error {
  override name = "CodexConfigError";
}

type TomlTable = Record<string, unknown>;

export function parseCodexConfig(text: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (e) {
    const where = e instanceof TomlError ? ` (line ${e.line}, column ${e.column})` : "";
    throw new CodexConfigError(`config.toml is not valid TOML${where}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * Codex's own retries, the larger part of the one retry budget (README, "Retries and silence"; the proxy
 * adds at most 2 upstream requests per turn, src/proxy/retry-policy.ts). A failed stream (cut, provider
 * error, the proxy's "provider sent nothing for N s") is tried stream_max_retries + 1 = 3 times, so a
 * silent provider reaches the user as an error after about 3 × 30 s with the default bounds
 * (src/proxy/silence.ts). stream_idle_timeout_ms stays above every bound of the proxy, whose message is
 * the clearer one.
 */
export const CODEX_RETRIES = { request_max_retries: 2, stream_max_retries: 2, stream_idle_timeout_ms: 330000 };

/** The text of codex-launcher.config.toml. */
export function buildLauncherProfile(p: LauncherProfile): string {
  const root: TomlTable = { model: p.model, model_provider: PROVIDER_ID, ...(p.catalogPath ? { model_catalog_json: p.catalogPath } : {}) };
  const provider: TomlTable = {
    name: p.providerName,
    base_url: `http://127.0.0.1:${p.port}/v1`,
    wire_api: "responses",
    experimental_bearer_token: p.clientToken,
    ...CODEX_RETRIES,
    stream_idle_timeout_ms: Math.max(CODEX_RETRIES.stream_idle_timeout_ms, ((p.longestSilenceS ?? 0) + 30) * 1000),
  };
  return [
    "# Written by Codex Launcher: the settings of `codex --profile codex-launcher` (Codex through the launcher's",
    "# proxy). Your own config.toml is not changed; plain `codex` does not read this file. Rewritten whenever",
    "# the launcher starts its proxy; it holds the proxy's client token, so keep it private (0600).",
    stringify(root).trim(),
    "",
    stringify({ model_providers: { [PROVIDER_ID]: provider } }).trim(),
    "",
  ].join("\n");
}

/** The proxy port a launcher profile points at, or null when the text is not one. */
export function profilePort(text: string): number | null {
  let toml: TomlTable;
  try {
    toml = parse(text) as TomlTable;
  } catch {
    return null;
  }
  const url = ((toml.model_providers as TomlTable | undefined)?.[PROVIDER_ID] as TomlTable | undefined)?.base_url;
  const port = typeof url === "string" ? Number(/^http:\/\/127\.0\.0\.1:(\d+)\//.exec(url)?.[1] ?? NaN) : NaN;
  return Number.isInteger(port) ? port : null;
}

/** True when config.toml still carries the top-level edits of Codex Launcher 4.0.0. */
export function hasLegacyEdits(text: string): boolean {
  const toml = parseCodexConfig(text);
  const providers = toml.model_providers as TomlTable | undefined;
  return toml.model_provider === PROVIDER_ID || (!!providers && PROVIDER_ID in providers);
}

const ROOT_KEYS = ["model", "model_provider", "model_catalog_json"] as const;

function tomlValue(v: unknown): string {
  return stringify({ v }).replace(/^v = /, "").trim();
}

function isHeader(line: string): boolean {
  return /^\s*\[/.test(line);
}

function isOurTableHeader(line: string): boolean {
  return /^\s*\[\s*model_providers\s*\.\s*(?:"codex-launcher"|'codex-launcher'|codex-launcher)\s*\]\s*(#.*)?$/.test(line);
}

/**
 * Undoes 4.0.0's edits of config.toml on its text: the top-level model / model_provider /
 * model_catalog_json become what they were before the launcher (from `before`, the newest backup written
 * before it, when there is one; otherwise the launcher's values are removed), and its own provider table
 * goes. Every other line — comments, tables, the line ends — stays as the user wrote it.
 */
export function repairLegacyEdits(text: string, before: string | null): string {
  const current = parseCodexConfig(text);
  if (!hasLegacyEdits(text)) return text;
  const original = before ? parseCodexConfig(before) : {};
  const restore: Partial<Record<(typeof ROOT_KEYS)[number], unknown>> = {};
  for (const key of ROOT_KEYS) {
    const launcherWrote = key === "model_provider" ? current[key] === PROVIDER_ID
      : key === "model_catalog_json" ? typeof current[key] === "string" && (current[key] as string).endsWith(CATALOG_FILE)
      : current.model_provider === PROVIDER_ID; // the model was written together with the provider
    if (!launcherWrote) continue;
    restore[key] = original[key] !== undefined && original[key] !== PROVIDER_ID ? original[key] : undefined;
  }
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const firstHeader = lines.findIndex(isHeader);
  const rootEnd = firstHeader < 0 ? lines.length : firstHeader;
  const out: string[] = [];
  for (let i = 0; i < rootEnd; i++) {
    const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(lines[i])?.[1] as (typeof ROOT_KEYS)[number] | undefined;
    if (key && key in restore) {
      const value = restore[key];
      if (value !== undefined) out.push(`${key} = ${tomlValue(value)}`);
      delete restore[key];
      continue;
    }
    out.push(lines[i]);
  }
  let skipping = false;
  for (let i = rootEnd; i < lines.length; i++) {
    if (isHeader(lines[i])) skipping = isOurTableHeader(lines[i]);
    if (!skipping) out.push(lines[i]);
  }
  let repaired = out.join(eol);
  // A launcher table written in another form (an inline table, a dotted key) is left to the structural
  // check below: when the text edit did not remove it, only then is the parsed form rewritten.
  const check = parseCodexConfig(repaired);
  const providers = check.model_providers as TomlTable | undefined;
  if (providers && PROVIDER_ID in providers) {
    const next: TomlTable = { ...check, model_providers: { ...providers } };
    delete (next.model_providers as TomlTable)[PROVIDER_ID];
    if (Object.keys(next.model_providers as TomlTable).length === 0) delete next.model_providers;
    repaired = `${stringify(next)}${eol}`;
  }
  return repaired;
}
