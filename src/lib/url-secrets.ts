// Credentials inside a provider's base URL (`https://user:pw@host/v1`, `...?api-key=…`): taken out of
// the URL that is shown (command lines, /health, proxy-config.json, logs) and put back only on the
// request that goes to the provider. Pure.

/** Query parameters that carry a credential (compared case-insensitively). */
const SECRET_QUERY_KEYS = new Set(["key", "api-key", "api_key", "apikey", "access_token", "token", "auth", "secret", "password", "sig", "signature", "code"]);

export interface UrlSecrets {
  /** The URL with the credentials taken out (what may be shown). */
  publicUrl: string;
  /** `Authorization: Basic …` value from user:password@, or null. */
  basicAuth: string | null;
  /** Credential query parameters, in their original order and spelling. */
  secretQuery: [string, string][];
  /** Every literal secret value, for redaction. */
  secrets: string[];
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += abc[(n >> 18) & 63] + abc[(n >> 12) & 63] + (i + 1 < bytes.length ? abc[(n >> 6) & 63] : "=") + (i + 2 < bytes.length ? abc[n & 63] : "=");
  }
  return out;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Splits `url` into what may be shown and the credentials it carried. A URL without any is unchanged. */
export function splitUrlSecrets(url: string): UrlSecrets {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(url.trim());
  if (!m) return { publicUrl: url, basicAuth: null, secretQuery: [], secrets: [] };
  const [, scheme, authority, path, query = "", fragment = ""] = m;
  const secrets: string[] = [];
  let host = authority;
  let basicAuth: string | null = null;
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    host = authority.slice(at + 1);
    const colon = userinfo.indexOf(":");
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const password = colon < 0 ? "" : decode(userinfo.slice(colon + 1));
    basicAuth = `Basic ${base64(`${user}:${password}`)}`;
    for (const s of [user, password, userinfo]) if (s) secrets.push(s);
  }
  const kept: string[] = [];
  const secretQuery: [string, string][] = [];
  for (const pair of query.replace(/^\?/, "").split("&").filter(Boolean)) {
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    if (SECRET_QUERY_KEYS.has(key.toLowerCase()) && value !== "") {
      secretQuery.push([key, decode(value)]);
      secrets.push(decode(value), value);
    } else kept.push(pair);
  }
  const publicUrl = `${scheme}${host}${path}${kept.length ? `?${kept.join("&")}` : ""}${fragment}`;
  return { publicUrl, basicAuth, secretQuery, secrets: [...new Set(secrets.filter((s) => s.length >= 3))] };
}

/** Adds the credential query parameters back to a URL built from the public one. */
export function withSecretQuery(url: string, secretQuery: readonly [string, string][]): string {
  if (secretQuery.length === 0) return url;
  const extra = secretQuery.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  const hash = url.indexOf("#");
  const [head, tail] = hash < 0 ? [url, ""] : [url.slice(0, hash), url.slice(hash)];
  return `${head}${head.includes("?") ? "&" : "?"}${extra}${tail}`;
}
