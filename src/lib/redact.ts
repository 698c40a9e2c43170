// Removing secrets from text before it reaches a log, a report or an AI prompt. Pure.

const PATTERNS: [RegExp, string][] = [
  [/\b(Bearer)\s+[A-Za-z0-9._~+\/=-]{6,}/gi, "$1 [redacted]"],
  [/\b(sk-(?:ant-|proj-|or-)?)[A-Za-z0-9_-]{8,}/g, "$1[redacted]"],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, "AIza[redacted]"],
  // Google OAuth access and refresh tokens.
  [/\bya29\.[0-9A-Za-z._-]{10,}/g, "ya29.[redacted]"],
  [/\b1\/\/[0-9A-Za-z_-]{20,}/g, "1//[redacted]"],
  [/\b(gh[pousr]_)[A-Za-z0-9]{20,}/g, "$1[redacted]"],
  [/\b(xox[abpr]-)[A-Za-z0-9-]{10,}/g, "$1[redacted]"],
  [/("?(?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|client[_-]?secret|password|secret|x-api-key|authorization)"?\s*[:=]\s*"?)(?!Bearer\b|\[redacted\])([^"\s,}&]{4,})/gi, "$1[redacted]"],
];

/** Replaces API keys, bearer tokens and `key=value` secrets; `extraSecrets` are literal values to hide. */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
