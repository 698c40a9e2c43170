// JSON Schema (as Codex's tools carry it) → the OpenAPI subset Gemini accepts for function parameters.
// Pure. Gemini answers 400 "Unknown name" / "Invalid JSON payload" for keywords outside its Schema
// message (additionalProperties, $schema, $ref, const, oneOf, type arrays, ...), so the schema is
// rebuilt from an allow-list instead of patched key by key.

type Schema = Record<string, unknown>;

/** Keywords Gemini's Schema message has (besides type/properties/items/anyOf, handled below). */
const KEPT = new Set(["description", "title", "nullable", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum",
  "minProperties", "maxProperties", "propertyOrdering", "example", "default"]);
/** The only string formats Gemini accepts; others are dropped (a hint goes into the description). */
const STRING_FORMATS = new Set(["enum", "date-time"]);
const NUMBER_FORMATS = new Set(["float", "double", "int32", "int64"]);
const TYPES = new Set(["string", "number", "integer", "boolean", "array", "object"]);
const MAX_DEPTH = 24;

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Resolves a local "#/$defs/X" or "#/definitions/X" reference against the root schema. */
function resolveRef(ref: string, root: Schema): Schema | null {
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m) return null;
  const defs = root[m[1]];
  const target = isObject(defs) ? defs[m[2].replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return isObject(target) ? target : null;
}

function mergeAllOf(schema: Schema): Schema {
  const parts = Array.isArray(schema.allOf) ? schema.allOf.filter(isObject) : [];
  if (parts.length === 0) return schema;
  const { allOf: _drop, ...rest } = schema;
  const merged: Schema = { ...rest };
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (key === "properties" && isObject(value)) merged.properties = { ...(isObject(merged.properties) ? merged.properties : {}), ...value };
      else if (key === "required" && Array.isArray(value)) merged.required = [...new Set([...(Array.isArray(merged.required) ? merged.required : []), ...value])];
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}

function sanitize(input: unknown, root: Schema, depth: number, seenRefs: readonly string[]): Schema {
  if (!isObject(input) || depth > MAX_DEPTH) return { type: "string" };
  let schema = input;
  if (typeof schema.$ref === "string") {
    // A recursive type cannot be inlined forever; past its first level it becomes free-form text.
    const target = seenRefs.includes(schema.$ref) ? null : resolveRef(schema.$ref, root);
    if (!target) return { type: "string", description: `${typeof schema.description === "string" ? `${schema.description} ` : ""}(JSON value)`.trim() };
    const { $ref: ref, ...siblings } = schema;
    return sanitize({ ...target, ...siblings }, root, depth + 1, [...seenRefs, ref as string]);
  }
  schema = mergeAllOf(schema);
  const out: Schema = {};
  for (const key of KEPT) if (schema[key] !== undefined) out[key] = schema[key];

  // type: ["string", "null"] → type + nullable; several real types → anyOf.
  let type = schema.type;
  if (Array.isArray(type)) {
    const real = type.filter((t) => t !== "null");
    if (real.length < type.length) out.nullable = true;
    if (real.length > 1) {
      out.anyOf = real.map((t) => sanitize({ ...schema, type: t, anyOf: undefined, oneOf: undefined }, root, depth + 1, seenRefs));
      type = undefined;
    } else type = real[0];
  }
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (variants && !out.anyOf) {
    const nonNull = variants.filter((v) => !(isObject(v) && v.type === "null"));
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length === 1 && !type) return { ...sanitize(nonNull[0], root, depth + 1, seenRefs), ...out };
    if (nonNull.length > 0) out.anyOf = nonNull.map((v) => sanitize(v, root, depth + 1, seenRefs));
  }

  // const → a one-value enum; Gemini's enum is for strings only.
  let values = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : null;
  if (values) {
    values = values.filter((v) => v !== null);
    if (values.every((v) => typeof v === "string")) {
      out.enum = values;
      type = "string";
    } else {
      const list = values.map((v) => JSON.stringify(v)).join(", ");
      out.description = `${typeof out.description === "string" ? `${out.description} ` : ""}(one of: ${list})`.trim();
    }
  }

  if (typeof type !== "string" || !TYPES.has(type)) {
    // No type given: infer what the keywords say, else leave it to anyOf or make it text.
    type = isObject(schema.properties) ? "object" : schema.items !== undefined ? "array" : out.anyOf ? undefined : "string";
  }
  if (type) out.type = type;

  if (typeof schema.format === "string") {
    if ((type === "string" && STRING_FORMATS.has(schema.format)) || ((type === "number" || type === "integer") && NUMBER_FORMATS.has(schema.format)))
      out.format = schema.format;
    else if (type === "string")
      out.description = `${typeof out.description === "string" ? `${out.description} ` : ""}(format: ${schema.format})`.trim();
  }

  if (type === "object") {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const names = Object.keys(properties);
    if (names.length) {
      out.properties = Object.fromEntries(names.map((name) => [name, sanitize(properties[name], root, depth + 1, seenRefs)]));
      const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string" && names.includes(r)) : [];
      if (required.length) out.required = [...new Set(required)];
    }
  } else if (type === "array") {
    const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
    out.items = sanitize(items ?? { type: "string" }, root, depth + 1, seenRefs);
  } else {
    delete out.minProperties;
    delete out.maxProperties;
    delete out.propertyOrdering;
  }
  if (type !== "array") {
    delete out.minItems;
    delete out.maxItems;
  }
  if (type !== "string") {
    delete out.minLength;
    delete out.maxLength;
    delete out.pattern;
  }
  if (out.nullable !== true) delete out.nullable;
  return out;
}

/**
 * The function-declaration `parameters` for a tool's JSON Schema, or null when the tool takes no
 * arguments (Gemini wants `parameters` left out then, not an empty object).
 */
export function geminiParameters(schema: unknown): Schema | null {
  if (!isObject(schema)) return null;
  const out = sanitize(schema, schema, 0, []);
  if (out.type === "object" && !isObject(out.properties)) return null;
  return out;
}
