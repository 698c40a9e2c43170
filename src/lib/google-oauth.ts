// Google OAuth for the Gemini backends, the pure part: the Gemini CLI's public installed-app client,
// PKCE (S256), the authorization URL, token request forms, the credentials file format and the expiry
// math. No I/O here; launcher/google-sign-in.ts and the Code Assist adapter do the talking.

/**
 * The OAuth client the login uses: the Gemini CLI's own (an "installed application": Google documents
 * that such a secret is not a secret, https://developers.google.com/identity/protocols/oauth2#installed),
 * so a login made with the `gemini` CLI (~/.gemini/oauth_creds.json) and one made here are
 * interchangeable. It is not copied into this repository: the launcher reads it from the installed
 * Gemini CLI (launcher/google-client.ts) or from these two variables, and hands it to its proxy in them.
 */
export interface GoogleClient {
  id: string;
  secret: string;
}
export const CLIENT_ID_ENV = "CODEX_LAUNCHER_GOOGLE_CLIENT_ID";
export const CLIENT_SECRET_ENV = "CODEX_LAUNCHER_GOOGLE_CLIENT_SECRET";

/** The client named in the environment, or null when either half is missing. */
export function clientFromEnv(env: (name: string) => string | null | undefined): GoogleClient | null {
  const id = env(CLIENT_ID_ENV)?.trim();
  const secret = env(CLIENT_SECRET_ENV)?.trim();
  return id && secret ? { id, secret } : null;
}

/**
 * The client the Gemini CLI's code declares (its `OAUTH_CLIENT_ID` / `OAUTH_CLIENT_SECRET` constants,
 * in its bundle or in @google/gemini-cli-core's oauth2.js), or null when this text holds none.
 */
export function clientFromSource(text: string): GoogleClient | null {
  const id = /OAUTH_CLIENT_ID\s*=\s*["'`]([^"'`\s]+\.apps\.googleusercontent\.com)["'`]/.exec(text)?.[1];
  const secret = /OAUTH_CLIENT_SECRET\s*=\s*["'`]([^"'`\s]+)["'`]/.exec(text)?.[1];
  return id && secret ? { id, secret } : null;
}

export const GOOGLE_SCOPES = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/userinfo.profile",
] as const;
export const GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth";
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Environment variables that point the two endpoints elsewhere (tests use a fake on loopback). */
export const TOKEN_URL_ENV = "CODEX_LAUNCHER_GOOGLE_TOKEN_URL";
export const AUTH_URL_ENV = "CODEX_LAUNCHER_GOOGLE_AUTH_URL";
/** The loopback path Google redirects the browser to after consent. */
export const REDIRECT_PATH = "/oauth2callback";

/** Refresh when less than this is left (the original: refresh under 60 s, warn at 5 min). */
export const REFRESH_MARGIN_MS = 60_000;

/** The Gemini CLI's oauth_creds.json shape (google-auth-library Credentials); ours is the same. */
export interface GoogleCredentials {
  access_token: string;
  refresh_token: string;
  /** Milliseconds since the epoch. */
  expiry_date: number;
  token_type?: string;
  scope?: string;
  id_token?: string;
  [extra: string]: unknown;
}

export class GoogleCredentialsError extends Error {
  override name = "GoogleCredentialsError";
}

// ---------------------------------------------------------------------------------------------------
// SHA-256 and base64url (PKCE needs the raw digest; GJS has no WebCrypto).

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(data: Uint8Array): Uint8Array {
  const bitLength = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]);
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** RFC 4648 §5 (URL-safe, no padding). */
export function base64url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += B64[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** Decodes base64url or standard base64 (padding optional); null when it is neither. */
export function decodeBase64(text: string): Uint8Array | null {
  const clean = text.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  if (!/^[A-Za-z0-9_-]*$/.test(clean) || clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const ch of clean) {
    value = (value << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// PKCE and the authorization request.

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636 with S256; `random` must be at least 32 bytes from a CSPRNG. */
export function pkceFromRandom(random: Uint8Array): Pkce {
  if (random.length < 32) throw new Error("PKCE needs at least 32 random bytes");
  const verifier = base64url(random);
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function pkceChallenge(verifier: string): string {
  return base64url(sha256(new TextEncoder().encode(verifier)));
}

function form(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

export interface AuthorizationRequest {
  authUrl: string;
  redirectUri: string;
  state: string;
  challenge: string;
  clientId: string;
}

/** The address the browser opens: offline access (a refresh token), consent shown so one is issued. */
export function authorizationUrl(r: AuthorizationRequest): string {
  const query = form({
    client_id: r.clientId,
    redirect_uri: r.redirectUri,
    response_type: "code",
    scope: GOOGLE_SCOPES.join(" "),
    access_type: "offline",
    prompt: "consent",
    code_challenge: r.challenge,
    code_challenge_method: "S256",
    state: r.state,
  });
  return `${r.authUrl}${r.authUrl.includes("?") ? "&" : "?"}${query}`;
}

export type CallbackResult = { kind: "code"; code: string } | { kind: "error"; message: string } | { kind: "ignore" };

/** What the loopback redirect carried. A wrong state is refused (a forged redirect). */
export function readCallback(query: Record<string, string>, expectedState: string): CallbackResult {
  if (query.error) return { kind: "error", message: `Google refused the sign-in: ${query.error}${query.error_description ? ` (${query.error_description})` : ""}` };
  if (!query.code && !query.state) return { kind: "ignore" }; // a favicon or a stray request
  if (query.state !== expectedState) return { kind: "error", message: "the sign-in answer did not match this request (state mismatch); try again" };
  if (!query.code) return { kind: "error", message: "Google sent no authorization code" };
  return { kind: "code", code: query.code };
}

/** The token request that trades the authorization code (with the PKCE verifier) for tokens. */
export function codeExchangeForm(code: string, verifier: string, redirectUri: string, client: GoogleClient): string {
  return form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirectUri,
    client_id: client.id, client_secret: client.secret });
}

export function refreshForm(refreshToken: string, client: GoogleClient): string {
  return form({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.id, client_secret: client.secret });
}

// ---------------------------------------------------------------------------------------------------
// Token endpoint answers and the credentials file.

export type TokenOutcome =
  | { kind: "ok"; credentials: GoogleCredentials }
  /** The refresh token is dead (revoked, expired, wrong client): only a new sign-in helps (E4). */
  | { kind: "login_expired"; reason: string }
  /** Anything else (5xx, a garbled answer): try again later; the login may still be good. */
  | { kind: "failed"; reason: string };

/**
 * Reads a token endpoint reply. `previous` supplies what a refresh answer leaves out (Google sends no
 * new refresh token on refresh).
 */
export function readTokenReply(status: number, text: string, nowMs: number, previous: Partial<GoogleCredentials> = {}): TokenOutcome {
  let body: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = null;
  }
  // OAuth's own {error, error_description}, or Google's API shape {error: {status, message}}.
  const nested = body?.error && typeof body.error === "object" ? (body.error as { status?: unknown; message?: unknown }) : null;
  const error = typeof body?.error === "string" ? body.error : typeof nested?.status === "string" ? nested.status : "";
  const description = typeof body?.error_description === "string" ? body.error_description : typeof nested?.message === "string" ? nested.message : "";
  if (status >= 400 || !body) {
    const reason = `${error || `HTTP ${status}`}${description ? `: ${description}` : ""}`;
    // RFC 6749 §5.2: these mean the grant itself is no good; a 5xx or garbage may pass.
    if (["invalid_grant", "unauthorized_client", "invalid_client"].includes(error)) return { kind: "login_expired", reason };
    return { kind: "failed", reason: body ? reason : `the token endpoint answered HTTP ${status} without JSON` };
  }
  const access = body.access_token;
  if (typeof access !== "string" || !access) return { kind: "failed", reason: "the token endpoint sent no access_token" };
  const refresh = typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : previous.refresh_token ?? "";
  if (!refresh) return { kind: "failed", reason: "the token endpoint sent no refresh_token (was consent given for offline access?)" };
  const expiresIn = typeof body.expires_in === "number" ? body.expires_in : Number(body.expires_in ?? 3600) || 3600;
  const credentials: GoogleCredentials = {
    ...previous,
    access_token: access,
    refresh_token: refresh,
    expiry_date: nowMs + expiresIn * 1000,
    token_type: typeof body.token_type === "string" ? body.token_type : previous.token_type ?? "Bearer",
  };
  if (typeof body.scope === "string") credentials.scope = body.scope;
  if (typeof body.id_token === "string") credentials.id_token = body.id_token;
  return { kind: "ok", credentials };
}

/**
 * Parses a credentials file: the Gemini CLI's (expiry_date in ms) or the original app's token files
 * (expires_at / expiry in seconds, ms or ISO text). Throws GoogleCredentialsError when it holds no
 * refresh token, since without one nothing can be renewed.
 */
export function parseCredentials(text: string): GoogleCredentials {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new GoogleCredentialsError(`not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new GoogleCredentialsError("not a JSON object");
  const data = raw as Record<string, unknown>;
  // Some tools nest the token under "token"/"tokens".
  const inner = (typeof data.tokens === "object" && data.tokens) || (typeof data.token === "object" && data.token) || null;
  const source = (inner ?? data) as Record<string, unknown>;
  const refresh = typeof source.refresh_token === "string" ? source.refresh_token : "";
  if (!refresh) throw new GoogleCredentialsError("it holds no refresh_token");
  return {
    ...source,
    access_token: typeof source.access_token === "string" ? source.access_token : "",
    refresh_token: refresh,
    expiry_date: expiryMs(source.expiry_date ?? source.expires_at ?? source.expiry),
  };
}

/** Milliseconds since the epoch from the forms token files use; 0 (expired) when unknown. */
export function expiryMs(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === "string" && value.trim()) {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return expiryMs(Number(value));
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? 0 : parsed;
  }
  return 0;
}

export function serializeCredentials(c: GoogleCredentials): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}

/** True when the access token is missing, expired, or expires within the margin. */
export function needsRefresh(c: GoogleCredentials, nowMs: number, marginMs = REFRESH_MARGIN_MS): boolean {
  return !c.access_token || c.expiry_date - nowMs < marginMs;
}

/** The account's e-mail from the ID token (shown to the user, never trusted for anything). */
export function accountEmail(c: Pick<GoogleCredentials, "id_token"> | null | undefined): string | null {
  const payload = c?.id_token?.split(".")[1];
  if (!payload) return null;
  const bytes = decodeBase64(payload);
  if (!bytes) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { email?: unknown };
    return typeof claims.email === "string" ? claims.email : null;
  } catch {
    return null;
  }
}

/** The literal secrets inside a stored key: the tokens of a Google login, or the key itself. */
export function secretsInKey(key: string): string[] {
  if (!key.trim().startsWith("{")) return key ? [key] : [];
  try {
    const c = parseCredentials(key);
    return [c.access_token, c.refresh_token, typeof c.id_token === "string" ? c.id_token : ""].filter((s) => s.length >= 8);
  } catch {
    return [key];
  }
}
