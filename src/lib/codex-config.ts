// Editing Codex's ~/.codex/config.toml: point it at the proxy, keep everything else the user wrote.
// Pure. smol-toml (bundled by esbuild) parses and validates; the edit itself is done on the text so
// the user's comments and layout survive, and the result is parsed again to prove it says what we
// meant. A config that cannot be edited that way is rewritten from its parsed form instead.
import { parse, stringify, TomlError } from "smol-toml";

export const PROVIDER_ID = "codex-launcher";
export const TOKEN_ENV = "CODEX_LAUNCHER_TOKEN";

export interface LauncherSettings {
  port: number;
  model: string;
  /** Shown by Codex as the provider's name. */
  providerName: string;
  /** model_catalog_json, when the launcher wrote a catalog for models Codex does not know. */
  catalogPath?: string;
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

function providerTable(s: LauncherSettings): TomlTable {
  return {
    name: s.providerName,
    base_url: `http://127.0.0.1:${s.port}/v1`,
    wire_api: "responses",
    env_key: TOKEN_ENV,
    // The proxy retries before the first byte itself; Codex's own retries stay for stream cuts.
    request_max_retries: 2,
    stream_max_retries: 3,
    stream_idle_timeout_ms: 330000,
  };
}

function rootValues(s: LauncherSettings): TomlTable {
  return { model: s.model, model_provider: PROVIDER_ID, ...(s.catalogPath ? { model_catalog_json: s.catalogPath } : {}) };
}

const ROOT_KEYS = ["model", "model_provider", "model_catalog_json"];

function tomlValue(v: unknown): string {
  return stringify({ v }).replace(/^v = /, "").trim();
}

function isHeader(line: string): boolean {
  return /^\s*\[/.test(line);
}

function isOurHeader(line: string): boolean {
  return /^\s*\[\s*model_providers\s*\.\s*(?:"codex-launcher"|'codex-launcher'|codex-launcher)\s*\]\s*(#.*)?$/.test(line);
}

/** The text edit: root keys replaced or inserted before the first table, our table replaced. */
function editText(text: string, s: LauncherSettings): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const firstHeader = lines.findIndex(isHeader);
  const rootEnd = firstHeader < 0 ? lines.length : firstHeader;
  const values = rootValues(s);
  const out: string[] = [];
  const written = new Set<string>();
  for (let i = 0; i < rootEnd; i++) {
    const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(lines[i])?.[1];
    if (key && ROOT_KEYS.includes(key)) {
      if (key in values && !written.has(key)) {
        out.push(`${key} = ${tomlValue(values[key])}`);
        written.add(key);
      }
      continue; // a stale model_catalog_json (or a duplicate) is dropped
    }
    out.push(lines[i]);
  }
  const missing = Object.keys(values).filter((k) => !written.has(k)).map((k) => `${k} = ${tomlValue(values[k])}`);
  // Keys go before the first table; a leading comment block stays on top.
  let insertAt = 0;
  while (insertAt < out.length && /^\s*(#.*)?$/.test(out[insertAt]) && out[insertAt].trim() !== "") insertAt++;
  out.splice(insertAt, 0, ...missing);
  let skipping = false;
  for (let i = rootEnd; i < lines.length; i++) {
    if (isHeader(lines[i])) skipping = isOurHeader(lines[i]);
    if (!skipping) out.push(lines[i]);
  }
  while (out.length > 0 && out[out.length - 1].trim() === "") out.pop();
  const table = stringify({ model_providers: { [PROVIDER_ID]: providerTable(s) } }).trim();
  return `${out.join("\n")}${out.length ? "\n\n" : ""}${table}\n`;
}

function saysWhatWeMeant(parsed: TomlTable, s: LauncherSettings): boolean {
  const providers = parsed.model_providers as TomlTable | undefined;
  const ours = providers?.[PROVIDER_ID] as TomlTable | undefined;
  const want = providerTable(s);
  return parsed.model === s.model && parsed.model_provider === PROVIDER_ID &&
    parsed.model_catalog_json === s.catalogPath &&
    !!ours && Object.entries(want).every(([k, v]) => ours[k] === v);
}

/**
 * The new config.toml text. Throws CodexConfigError when the current text is not valid TOML (the
 * caller keeps that file aside and tells the user instead of overwriting it).
 */
export function applyLauncherSettings(currentText: string, s: LauncherSettings): string {
  const current = parseCodexConfig(currentText);
  try {
    const edited = editText(currentText, s);
    if (saysWhatWeMeant(parse(edited) as TomlTable, s)) return edited;
  } catch {
    // Falls through to the structural rewrite below (e.g. model_providers written as an inline table).
  }
  const next: TomlTable = { ...current };
  delete next.model_catalog_json;
  Object.assign(next, rootValues(s));
  const providers = { ...((current.model_providers as TomlTable | undefined) ?? {}) };
  providers[PROVIDER_ID] = providerTable(s);
  next.model_providers = providers;
  return `${stringify(next)}\n`;
}

/** Removes what the launcher added, when the user goes back to plain Codex. */
export function removeLauncherSettings(currentText: string): string {
  const current = parseCodexConfig(currentText);
  if (current.model_provider !== PROVIDER_ID) return currentText;
  const next: TomlTable = { ...current };
  delete next.model_provider;
  delete next.model_catalog_json;
  const providers = { ...((current.model_providers as TomlTable | undefined) ?? {}) };
  delete providers[PROVIDER_ID];
  if (Object.keys(providers).length) next.model_providers = providers;
  else delete next.model_providers;
  return `${stringify(next)}\n`;
}
