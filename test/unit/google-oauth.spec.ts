// The pure side of the Google login: SHA-256 and PKCE (RFC 7636 vector), the consent address, the
// redirect, token endpoint answers, credentials files in their several shapes, the expiry math.
import {
  accountEmail, authorizationUrl, base64url, clientFromEnv, clientFromSource, codeExchangeForm, decodeBase64, expiryMs, needsRefresh, parseCredentials,
  pkceChallenge, pkceFromRandom, readCallback, readTokenReply, refreshForm, secretsInKey, sha256,
} from "../../src/lib/google-oauth.js";
import { redactSecrets } from "../../src/lib/redact.js";

const CLIENT = { id: "123-abc.apps.googleusercontent.com", secret: "not-a-real-secret" };

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("SHA-256, base64url and PKCE", () => {
  it("hashes the FIPS 180 test vectors, one and several blocks", () => {
    expect(hex(sha256(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    expect(hex(sha256(utf8("a".repeat(1000))))).toBe("41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  });

  it("derives the RFC 7636 appendix B verifier and S256 challenge", () => {
    const random = new Uint8Array([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
    const pkce = pkceFromRandom(random);
    expect(pkce.verifier).toBe("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    expect(pkce.challenge).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(pkceChallenge(pkce.verifier)).toBe(pkce.challenge);
    expect(() => pkceFromRandom(new Uint8Array(16))).toThrowError(/32 random bytes/);
  });

  it("round-trips base64url and reads standard base64 too", () => {
    for (const text of ["", "f", "fo", "foo", "foob", "fooba", "foobar", "\u00ff\u00fe?>"]) {
      const bytes = utf8(text);
      expect(decodeBase64(base64url(bytes))).toEqual(bytes);
    }
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(new TextDecoder().decode(decodeBase64("aGk/Pz8=")!)).toBe("hi???");
    expect(decodeBase64("not base64!")).toBeNull();
  });
});

describe("the authorization request and its redirect", () => {
  it("asks for offline access with consent, the Gemini CLI's client and scopes, and PKCE", () => {
    const url = authorizationUrl({ authUrl: "https://accounts.example/auth", redirectUri: "http://127.0.0.1:4242/oauth2callback", state: "s1", challenge: "c1", clientId: CLIENT.id });
    const [base, query] = url.split("?");
    expect(base).toBe("https://accounts.example/auth");
    const q = Object.fromEntries(query.split("&").map((p) => p.split("=").map(decodeURIComponent)));
    expect(q).toEqual(jasmine.objectContaining({ client_id: CLIENT.id, redirect_uri: "http://127.0.0.1:4242/oauth2callback", response_type: "code",
      access_type: "offline", prompt: "consent", code_challenge: "c1", code_challenge_method: "S256", state: "s1" }));
    expect(q.scope.split(" ")).toContain("https://www.googleapis.com/auth/cloud-platform");
  });

  it("takes the code only with the right state, and reports Google's refusals", () => {
    expect(readCallback({ code: "4/x", state: "good" }, "good")).toEqual({ kind: "code", code: "4/x" });
    expect(readCallback({ code: "4/x", state: "evil" }, "good")).toEqual(jasmine.objectContaining({ kind: "error", message: jasmine.stringContaining("state mismatch") }));
    expect(readCallback({ error: "access_denied", state: "good" }, "good")).toEqual({ kind: "error", message: "Google refused the sign-in: access_denied" });
    expect(readCallback({}, "good")).toEqual({ kind: "ignore" });
    expect(readCallback({ state: "good" }, "good").kind).toBe("error");
  });

  it("sends the verifier with the code, and the refresh token on refresh", () => {
    const exchange = new URLSearchParamsLike(codeExchangeForm("4/a b", "verif", "http://127.0.0.1:1/oauth2callback", CLIENT));
    expect(exchange.get("grant_type")).toBe("authorization_code");
    expect(exchange.get("code")).toBe("4/a b");
    expect(exchange.get("code_verifier")).toBe("verif");
    expect(exchange.get("client_id")).toBe(CLIENT.id);
    expect(exchange.get("client_secret")).toBe(CLIENT.secret);
    const refresh = new URLSearchParamsLike(refreshForm("1//r", CLIENT));
    expect(refresh.get("grant_type")).toBe("refresh_token");
    expect(refresh.get("refresh_token")).toBe("1//r");
    expect(refresh.get("client_secret")).toBe(CLIENT.secret);
  });

  it("finds the OAuth client in the environment (both halves) or in the Gemini CLI's code, never in this repository", () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name] ?? null;
    expect(clientFromEnv(env({ CODEX_LAUNCHER_GOOGLE_CLIENT_ID: CLIENT.id, CODEX_LAUNCHER_GOOGLE_CLIENT_SECRET: CLIENT.secret }))).toEqual(CLIENT);
    expect(clientFromEnv(env({ CODEX_LAUNCHER_GOOGLE_CLIENT_ID: CLIENT.id }))).toBeNull();
    expect(clientFromEnv(env({ CODEX_LAUNCHER_GOOGLE_CLIENT_ID: " ", CODEX_LAUNCHER_GOOGLE_CLIENT_SECRET: "x" }))).toBeNull();
    // As @google/gemini-cli-core's oauth2.js declares it, and as the CLI's bundle does.
    expect(clientFromSource(`const OAUTH_CLIENT_ID = '${CLIENT.id}';\n// comment\nconst OAUTH_CLIENT_SECRET = '${CLIENT.secret}';`)).toEqual(CLIENT);
    expect(clientFromSource(`var OAUTH_CLIENT_ID="${CLIENT.id}",OAUTH_CLIENT_SECRET="${CLIENT.secret}";`)).toEqual(CLIENT);
    expect(clientFromSource(`const OAUTH_CLIENT_ID = "${CLIENT.id}";`)).toBeNull();
    expect(clientFromSource(`const OAUTH_CLIENT_ID = "not-a-google-client"; const OAUTH_CLIENT_SECRET = "s";`)).toBeNull();
  });
});

/** A tiny form reader (GJS has no URLSearchParams). */
class URLSearchParamsLike {
  readonly #map: Map<string, string>;
  constructor(text: string) {
    this.#map = new Map(text.split("&").map((p) => p.split("=").map(decodeURIComponent) as [string, string]));
  }
  get(key: string): string | undefined {
    return this.#map.get(key);
  }
}

describe("token endpoint answers", () => {
  const now = 1_700_000_000_000;

  it("reads a code exchange and a refresh (which keeps the refresh token it did not resend)", () => {
    const first = readTokenReply(200, JSON.stringify({ access_token: "ya29.a", refresh_token: "1//r", expires_in: 3599, token_type: "Bearer", id_token: "h.p.s" }), now);
    expect(first).toEqual({ kind: "ok", credentials: jasmine.objectContaining({ access_token: "ya29.a", refresh_token: "1//r", expiry_date: now + 3599_000, id_token: "h.p.s" }) });
    const previous = (first as { credentials: any }).credentials;
    const renewed = readTokenReply(200, JSON.stringify({ access_token: "ya29.b", expires_in: 60 }), now + 1000, previous);
    expect(renewed).toEqual({ kind: "ok", credentials: jasmine.objectContaining({ access_token: "ya29.b", refresh_token: "1//r", expiry_date: now + 61_000, id_token: "h.p.s" }) });
  });

  it("calls a refused grant an expired login (E4), and anything else a failure to retry", () => {
    expect(readTokenReply(400, JSON.stringify({ error: "invalid_grant", error_description: "Token has been expired or revoked." }), now))
      .toEqual({ kind: "login_expired", reason: "invalid_grant: Token has been expired or revoked." });
    expect(readTokenReply(401, JSON.stringify({ error: "invalid_client" }), now).kind).toBe("login_expired");
    expect(readTokenReply(503, JSON.stringify({ error: { message: "backend down", status: "UNAVAILABLE" } }), now))
      .toEqual({ kind: "failed", reason: "UNAVAILABLE: backend down" });
    expect(readTokenReply(502, "<html>bad gateway</html>", now)).toEqual({ kind: "failed", reason: "the token endpoint answered HTTP 502 without JSON" });
    expect(readTokenReply(200, JSON.stringify({ access_token: "ya29.x" }), now).kind).toBe("failed"); // no refresh token anywhere
  });
});

describe("credentials files", () => {
  it("reads the Gemini CLI's oauth_creds.json and the original's expires_at forms", () => {
    const cli = parseCredentials(JSON.stringify({ access_token: "ya29.a", refresh_token: "1//r", expiry_date: 1_700_000_000_000, token_type: "Bearer", scope: "s" }));
    expect(cli).toEqual(jasmine.objectContaining({ access_token: "ya29.a", refresh_token: "1//r", expiry_date: 1_700_000_000_000, scope: "s" }));
    expect(parseCredentials(JSON.stringify({ refresh_token: "1//r", expires_at: 1_700_000_000 })).expiry_date).toBe(1_700_000_000_000);
    expect(parseCredentials(JSON.stringify({ token: { refresh_token: "1//r", access_token: "a", expiry: "2023-11-14T22:13:20Z" } })).expiry_date).toBe(1_700_000_000_000);
    expect(parseCredentials(JSON.stringify({ refresh_token: "1//r" })).expiry_date).toBe(0);
    expect(() => parseCredentials(JSON.stringify({ access_token: "a" }))).toThrowError(/no refresh_token/);
    expect(() => parseCredentials("{nope")).toThrowError(/not valid JSON/);
    expect(expiryMs("1700000000")).toBe(1_700_000_000_000);
    expect(expiryMs("garbage")).toBe(0);
  });

  it("renews a token that is missing, expired or within a minute of expiring", () => {
    const at = 1_000_000;
    expect(needsRefresh({ access_token: "a", refresh_token: "r", expiry_date: at + 61_000 }, at)).toBeFalse();
    expect(needsRefresh({ access_token: "a", refresh_token: "r", expiry_date: at + 59_000 }, at)).toBeTrue();
    expect(needsRefresh({ access_token: "a", refresh_token: "r", expiry_date: at - 1 }, at)).toBeTrue();
    expect(needsRefresh({ access_token: "", refresh_token: "r", expiry_date: at + 3600_000 }, at)).toBeTrue();
  });

  it("shows the account from the ID token and knows which parts of a stored login are secret", () => {
    const payload = base64url(utf8(JSON.stringify({ email: "ada@example.com" })));
    expect(accountEmail({ id_token: `e30.${payload}.sig` })).toBe("ada@example.com");
    expect(accountEmail({ id_token: "garbage" })).toBeNull();
    expect(accountEmail(null)).toBeNull();
    const login = JSON.stringify({ access_token: "ya29.secret-access", refresh_token: "1//secret-refresh", expiry_date: 0 });
    expect(secretsInKey(login).sort()).toEqual(["1//secret-refresh", "ya29.secret-access"]);
    expect(secretsInKey("sk-plain-key")).toEqual(["sk-plain-key"]);
    expect(secretsInKey("")).toEqual([]);
  });

  it("never lets a Google token into a log line", () => {
    const line = redactSecrets("renewed ya29.a0AfH6SMBxyz_-.123456 and 1//0gLongRefreshTokenValue12345 done");
    expect(line).toBe("renewed ya29.[redacted] and 1//[redacted] done");
  });
});
