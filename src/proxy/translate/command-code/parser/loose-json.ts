// Reading the almost-JSON models write: escaped quotes where none belong (`{\"cmd\":…}`), literal
// `\uXXXX` escapes, objects cut out of surrounding prose. Pure.

/** Depth check before JSON.parse: gjs parses deep nesting pathologically slowly (CONVENTIONS.md). */
function tooDeep(text: string, limit = 64): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export function tryJson(text: string): unknown {
  const t = text.trim();
  if (!t || t.length > 1_000_000 || tooDeep(t)) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** Decodes backslash escapes (\" \\ \n \t \uXXXX) the way a JSON string would, leaving other text as is. */
export function unescapeOnce(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_m, e: string) => {
    if (e[0] === "u") return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[e];
  });
}

/**
 * JSON.parse, then again with `\"` → `"` (a double-encoded object), then with every escape decoded
 * (the original's unicode_escape step).
 */
export function parseLoose(text: string): unknown {
  const direct = tryJson(text);
  if (direct !== undefined) return direct;
  if (text.includes('\\"')) {
    const unquoted = tryJson(text.replace(/\\"/g, '"'));
    if (unquoted !== undefined) return unquoted;
  }
  if (/\\(?:u[0-9a-fA-F]{4}|["\\/bfnrt])/.test(text)) return tryJson(unescapeOnce(text));
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The index of the `}` closing the object that opens at `open`. String-aware first; when that finds
 * no end (escaped quotes confuse it), plain brace counting. -1 when the object never closes.
 */
export function closingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/** The `{` that opens the object containing position `at` (brace counting backwards), or -1. */
export function openingBrace(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i >= 0; i--) {
    if (text[i] === "}") depth++;
    else if (text[i] === "{") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * The string value of `"key": "…"` in text that may not parse: tolerant of escaped quotes around the
 * key and of unescaped quotes inside the value (it ends at the last quote before `}` or `, "next":`).
 */
export function looseStringField(text: string, keys: readonly string[]): string | null {
  const keyAlt = keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const start = new RegExp(`\\\\*"(?:${keyAlt})\\\\*"\\s*:\\s*\\\\*"`).exec(text);
  if (!start) return null;
  const from = start.index + start[0].length;
  const rest = text.slice(from);
  // The value ends at a quote followed by the end of the object or the next key.
  const end = /\\*"\s*(?:}|,\s*\\*"[A-Za-z_][A-Za-z0-9_]*\\*"\s*:)/.exec(rest);
  if (!end) return null;
  const raw = rest.slice(0, end.index);
  return raw.includes("\\") ? unescapeOnce(raw) : raw;
}
