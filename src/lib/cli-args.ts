// A small, strict command-line parser shared by both programs. Pure: no gi:// imports.
// Accepts `--name value` and `--name=value`; boolean flags take no value.

export class UsageError extends Error {
  override name = "UsageError";
}

export type FlagKind = "string" | "int" | "bool";

export interface FlagSpec {
  kind: FlagKind;
  /** One line shown by --help. */
  help: string;
  /** Inclusive bounds for "int" flags. */
  min?: number;
  max?: number;
  /** Allowed values for "string" flags. */
  choices?: readonly string[];
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S["kind"] extends "int" ? number : S["kind"] extends "bool" ? boolean : string;

export type ParsedFlags<T extends FlagSpecs> = { [K in keyof T]?: ValueOf<T[K]> };

export function parseFlags<T extends FlagSpecs>(specs: T, argv: readonly string[]): ParsedFlags<T> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown option '--${name}'`);
    if (spec.kind === "bool") {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) raw = argv[++i];
    if (raw === undefined || raw === "") throw new UsageError(`option '--${name}' needs a value`);
    out[name] = spec.kind === "int" ? parseIntFlag(name, raw, spec) : parseStringFlag(name, raw, spec);
  }
  return out as ParsedFlags<T>;
}

function parseIntFlag(name: string, raw: string, spec: FlagSpec): number {
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`option '--${name}' expects a whole number, got '${raw}'`);
  const value = Number(raw);
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
    throw new UsageError(`option '--${name}' must be between ${spec.min} and ${spec.max}, got ${value}`);
  return value;
}

function parseStringFlag(name: string, raw: string, spec: FlagSpec): string {
  if (spec.choices && !spec.choices.includes(raw))
    throw new UsageError(`option '--${name}' must be one of ${spec.choices.join(", ")}; got '${raw}'`);
  return raw;
}

export function formatHelp(program: string, summary: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${program} [OPTIONS]`, "", summary, "", "Options:"];
  for (const [name, spec] of Object.entries(specs)) {
    const value = spec.kind === "bool" ? "" : spec.kind === "int" ? " N" : " VALUE";
    lines.push(`  --${(name + value).padEnd(22)} ${spec.help}`);
  }
  return lines.join("\n");
}
