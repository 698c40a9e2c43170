// Every backend type an endpoint may name (the original app's list), and which of them this version
// serves. Pure data, the ground floor: the proxy's registry must define an adapter for exactly the
// served ones (a type check in proxy/translate/registry.ts keeps the two in step).

export const BACKEND_TYPES = [
  "openai-compat",
  "native",
  "anthropic",
  "command-code",
  "gemini-oauth-cli",
  "gemini-oauth-antigravity",
  "kiro-oauth",
  "freebuff",
] as const;

export type BackendType = (typeof BACKEND_TYPES)[number];

/** Backends whose translation this version of the proxy implements. */
export const SERVED_BACKENDS = ["openai-compat", "native", "anthropic", "command-code", "gemini-oauth-cli", "gemini-oauth-antigravity"] as const satisfies readonly BackendType[];

export type ServedBackend = (typeof SERVED_BACKENDS)[number];

export function isServedBackend(backend: string): backend is ServedBackend {
  return (SERVED_BACKENDS as readonly string[]).includes(backend);
}

export function isBackendType(backend: string): backend is BackendType {
  return (BACKEND_TYPES as readonly string[]).includes(backend);
}

/** Backends that authenticate with a Google login (a credentials file) instead of an API key. */
export const GOOGLE_LOGIN_BACKENDS = ["gemini-oauth-cli", "gemini-oauth-antigravity"] as const satisfies readonly BackendType[];

export function usesGoogleLogin(backend: string): boolean {
  return (GOOGLE_LOGIN_BACKENDS as readonly string[]).includes(backend);
}
