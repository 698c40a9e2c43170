// A fake of the Google services the Gemini backends use, on 127.0.0.1 (a real libsoup server in the
// test process): the OAuth authorization and token endpoints, and Code Assist (loadCodeAssist,
// onboardUser, streamGenerateContent, generateContent). It is strict where Google is: a stale access
// token gets 401, a replayed function call without the thought signature it was issued with gets 400,
// function responses must answer the calls of the turn before. Every request is recorded.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { CLIENT_ID_ENV, CLIENT_SECRET_ENV } from "../../src/lib/google-oauth.js";
import { statusPhrase } from "../../src/proxy/errors.js";

/**
 * The OAuth client this fake knows. It is put in the test process's environment, which every launcher
 * and proxy the specs start inherits: the way a user without the Gemini CLI would configure one.
 */
export const TEST_GOOGLE_CLIENT = { id: "codex-launcher-tests.apps.googleusercontent.com", secret: "fake-oauth-client-secret" } as const;
GLib.setenv(CLIENT_ID_ENV, TEST_GOOGLE_CLIENT.id, true);
GLib.setenv(CLIENT_SECRET_ENV, TEST_GOOGLE_CLIENT.secret, true);

export type GeminiScript =
  | { kind: "text"; text: string; thought?: string; finish?: string; chunkSize?: number }
  /** Function calls in one model turn; like Gemini 3, only the first call carries the signature. */
  | { kind: "calls"; calls: { name: string; args: Record<string, unknown> }[]; signature: string; thought?: string;
    /** "thought": the signature comes on a thought part before the calls (Gemini 2.5 style). */
    signatureOn?: "call" | "thought" }
  | { kind: "silence" }
  | { kind: "status"; status: number; message: string; reason?: string };

export interface GoogleRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
  raw: string;
  /** Set when the fake refused the request, with its reason. */
  rejected?: string;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return GLib.base64_encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** S256 computed with GLib's checksum (independent of the app's own SHA-256). */
function s256(verifier: string): string {
  const hex = GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, encoder.encode(verifier))!;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return base64url(bytes);
}

function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split("&").filter(Boolean)) {
    const [k, v = ""] = pair.split("=");
    out[decodeURIComponent(k.replace(/\+/g, " "))] = decodeURIComponent(v.replace(/\+/g, " "));
  }
  return out;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

export class FakeGoogle {
  readonly requests: GoogleRecord[] = [];
  readonly script: GeminiScript[] = [];
  readonly project = "fake-project-4711";
  readonly email = "someone@example.com";
  /** Refresh tokens the token endpoint honours. */
  readonly refreshTokens = new Set<string>();
  /** Access tokens Code Assist accepts. */
  readonly accessTokens = new Set<string>();
  /** Every refresh token revoked: refreshing fails with invalid_grant (see also revoke()). */
  revoked = false;
  /** The account is set up already (loadCodeAssist names its project), else it must be onboarded. */
  onboarded = true;
  port = 0;
  readonly #server = new Soup.Server({});
  /** Calls issued, by name + canonical arguments → the signature each was issued with (null for none). */
  readonly #issued = new Map<string, string | null>();
  readonly #codes = new Map<string, { challenge: string; redirectUri: string }>();
  #tokenCounter = 0;
  #opPolled = false;

  constructor() {
    this.#server.add_handler(null, (_s, msg, path, query) => this.#handle(msg, path, (query as Record<string, string> | null) ?? {}));
    this.#server.listen(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), 0 as Soup.ServerListenOptions);
    this.port = this.#server.get_uris()[0].get_port();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  get authUrl(): string {
    return `${this.url}/o/oauth2/v2/auth`;
  }

  then(...replies: GeminiScript[]): this {
    this.script.push(...replies);
    return this;
  }

  /** A refresh token the token endpoint will honour. */
  issueRefreshToken(): string {
    const token = `1//fake-refresh-${++this.#tokenCounter}-${GLib.uuid_string_random().slice(0, 8)}`;
    this.refreshTokens.add(token);
    return token;
  }

  /** Revokes one refresh token (the user removed the app's access, or it expired). */
  revoke(token: string): void {
    this.refreshTokens.delete(token);
  }

  /** Requests to one endpoint ("token", "loadCodeAssist", "streamGenerateContent", ...). */
  calls(kind: string): GoogleRecord[] {
    return this.requests.filter((r) => r.path === `/${kind}` || r.path.endsWith(`:${kind}`));
  }

  generateCalls(): GoogleRecord[] {
    return this.requests.filter((r) => /:(stream)?[gG]enerateContent$/.test(r.path));
  }

  stop(): void {
    this.#server.disconnect();
  }

  #handle(msg: Soup.ServerMessage, path: string, query: Record<string, string>): void {
    const headers: Record<string, string> = {};
    msg.get_request_headers().foreach((n, v) => (headers[n.toLowerCase()] = v));
    const raw = new TextDecoder().decode(msg.get_request_body().flatten().toArray());
    let body: any = null;
    try {
      body = raw && !headers["content-type"]?.includes("x-www-form-urlencoded") ? JSON.parse(raw) : parseForm(raw);
    } catch {
      body = raw;
    }
    const record: GoogleRecord = { method: msg.get_method(), path, query, headers, body, raw };
    this.requests.push(record);
    const refuse = (status: number, reason: string, error: unknown) => {
      record.rejected = reason;
      this.#json(msg, status, error);
    };
    if (path === "/o/oauth2/v2/auth") return this.#authorize(msg, query, refuse);
    if (path === "/token") return this.#token(msg, body, refuse);
    // Code Assist: every method needs a valid access token.
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (!bearer || !this.accessTokens.has(bearer))
      return refuse(401, "stale access token", { error: { code: 401, message: "Request had invalid authentication credentials. Expected OAuth 2 access token.", status: "UNAUTHENTICATED" } });
    if (path.endsWith(":loadCodeAssist"))
      return this.#json(msg, 200, this.onboarded ? { currentTier: { id: "free-tier", name: "Gemini Code Assist for individuals" }, cloudaicompanionProject: this.project }
        : { allowedTiers: [{ id: "free-tier", isDefault: true }, { id: "standard-tier" }] });
    if (path.endsWith(":onboardUser")) return this.#json(msg, 200, { name: "operations/onboard-1", done: false });
    if (path === "/v1internal/operations/onboard-1") {
      this.#opPolled = true;
      this.onboarded = true;
      return this.#json(msg, 200, { name: "operations/onboard-1", done: true, response: { cloudaicompanionProject: { id: this.project } } });
    }
    if (/:(stream)?[gG]enerateContent$/.test(path)) return this.#generate(msg, path, body, refuse);
    refuse(404, "unknown path", { error: { code: 404, message: `no such method ${path}`, status: "NOT_FOUND" } });
  }

  /** Whether onboarding polled its long-running operation. */
  get onboardingPolled(): boolean {
    return this.#opPolled;
  }

  #authorize(msg: Soup.ServerMessage, q: Record<string, string>, refuse: (s: number, r: string, e: unknown) => void): void {
    if (q.client_id !== TEST_GOOGLE_CLIENT.id) return refuse(400, "unknown client", { error: "invalid_client" });
    if (q.response_type !== "code" || q.code_challenge_method !== "S256" || !q.code_challenge || !q.state)
      return refuse(400, "not a PKCE code request", { error: "invalid_request" });
    if (!/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/.test(q.redirect_uri ?? "")) return refuse(400, "redirect is not loopback", { error: "redirect_uri_mismatch" });
    if (q.access_type !== "offline" || !q.scope?.includes("cloud-platform")) return refuse(400, "no offline cloud-platform access", { error: "invalid_scope" });
    const code = `4/fake-code-${GLib.uuid_string_random().slice(0, 8)}`;
    this.#codes.set(code, { challenge: q.code_challenge, redirectUri: q.redirect_uri });
    // The consent screen is skipped: the "user" agrees at once.
    msg.set_status(302, "Found");
    msg.get_response_headers().replace("Location", `${q.redirect_uri}?state=${encodeURIComponent(q.state)}&code=${encodeURIComponent(code)}&scope=${encodeURIComponent(q.scope)}`);
    msg.set_response("text/plain", Soup.MemoryUse.COPY, encoder.encode("redirecting"));
  }

  #token(msg: Soup.ServerMessage, form: Record<string, string>, refuse: (s: number, r: string, e: unknown) => void): void {
    if (form.client_id !== TEST_GOOGLE_CLIENT.id || form.client_secret !== TEST_GOOGLE_CLIENT.secret) return refuse(401, "unknown client", { error: "invalid_client", error_description: "The OAuth client was not found." });
    const issue = (refresh: string | null) => {
      const access = `ya29.fake-access-${++this.#tokenCounter}-${GLib.uuid_string_random().slice(0, 8)}`;
      this.accessTokens.add(access);
      const payload = base64url(encoder.encode(JSON.stringify({ iss: "https://accounts.google.com", email: this.email, sub: "1234" })));
      this.#json(msg, 200, { access_token: access, expires_in: 3599, token_type: "Bearer", scope: "https://www.googleapis.com/auth/cloud-platform openid",
        ...(refresh ? { refresh_token: refresh, id_token: `eyJhbGciOiJub25lIn0.${payload}.sig` } : {}) });
    };
    if (form.grant_type === "refresh_token") {
      if (this.revoked || !this.refreshTokens.has(form.refresh_token))
        return refuse(400, "refresh token revoked", { error: "invalid_grant", error_description: "Token has been expired or revoked." });
      return issue(null);
    }
    if (form.grant_type === "authorization_code") {
      const grant = this.#codes.get(form.code);
      if (!grant) return refuse(400, "unknown code", { error: "invalid_grant", error_description: "Malformed auth code." });
      this.#codes.delete(form.code);
      if (form.redirect_uri !== grant.redirectUri) return refuse(400, "redirect_uri differs", { error: "redirect_uri_mismatch" });
      if (!form.code_verifier || s256(form.code_verifier) !== grant.challenge) return refuse(400, "PKCE verifier does not match", { error: "invalid_grant", error_description: "Invalid code verifier." });
      return issue(this.issueRefreshToken());
    }
    refuse(400, "unsupported grant", { error: "unsupported_grant_type" });
  }

  /** Google's checks on the conversation: signatures replayed, responses answering the calls before. */
  #checkContents(body: any): string | null {
    if (body?.project !== this.project) return `project is ${JSON.stringify(body?.project)}, not ${this.project}`;
    const contents = body?.request?.contents;
    if (!Array.isArray(contents) || contents.length === 0) return "contents is empty";
    if (contents[0].role !== "user" || contents[contents.length - 1].role !== "user") return "contents must start and end with a user turn";
    for (let i = 0; i < contents.length; i++) {
      const c = contents[i];
      if (i > 0 && contents[i - 1].role === c.role) return `turns ${i - 1} and ${i} have the same role`;
      if (!Array.isArray(c.parts) || c.parts.length === 0) return `turn ${i} has no parts`;
      if (c.parts.some((p: any) => typeof p.text === "string" && p.text === "")) return `turn ${i} has an empty text part`;
      if (c.role !== "model") continue;
      const calls = c.parts.filter((p: any) => p.functionCall);
      for (const part of calls) {
        const key = `${part.functionCall.name}:${canonical(part.functionCall.args ?? {})}`;
        if (!this.#issued.has(key)) continue;
        const expected = this.#issued.get(key);
        if (expected && part.thoughtSignature !== expected)
          return `Function call \`${part.functionCall.name}\` in the ${i + 1}. content block is missing a \`thought_signature\``;
      }
      if (calls.length) {
        const answers = (contents[i + 1]?.parts ?? []).filter((p: any) => p.functionResponse);
        if (answers.length !== calls.length)
          return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
        const names = calls.map((p: any) => p.functionCall.name).sort();
        if (answers.map((p: any) => p.functionResponse.name).sort().join() !== names.join()) return "function responses do not name the calls they answer";
      }
    }
    return null;
  }

  #generate(msg: Soup.ServerMessage, path: string, body: any, refuse: (s: number, r: string, e: unknown) => void): void {
    const problem = this.#checkContents(body);
    if (problem) return refuse(400, problem, { error: { code: 400, message: problem, status: "INVALID_ARGUMENT" } });
    const reply = this.script.shift() ?? { kind: "text", text: "ok" };
    if (reply.kind === "status") return refuse(reply.status, reply.reason ?? "scripted", { error: { code: reply.status, message: reply.message, status: "SCRIPTED" } });
    const usage = { promptTokenCount: 120, candidatesTokenCount: 15, thoughtsTokenCount: 30, totalTokenCount: 165 };
    const chunks: unknown[] = [];
    if (reply.kind === "text") {
      if (reply.thought) chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: reply.thought, thought: true }] } }] });
      const size = reply.chunkSize ?? 6;
      for (let i = 0; i < reply.text.length; i += size)
        chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: reply.text.slice(i, i + size) }] } }] });
      chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: reply.finish ?? "STOP" }], usageMetadata: usage, modelVersion: body.model });
    } else if (reply.kind === "calls") {
      const onThought = reply.signatureOn === "thought";
      chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: reply.thought ?? "**Planning** the tool calls", thought: true,
        ...(onThought ? { thoughtSignature: reply.signature } : {}) }] } }] });
      const parts = reply.calls.map((call, i) => {
        this.#issued.set(`${call.name}:${canonical(call.args)}`, i === 0 ? reply.signature : null);
        return { functionCall: { name: call.name, args: call.args }, ...(i === 0 && !onThought ? { thoughtSignature: reply.signature } : {}) };
      });
      chunks.push({ candidates: [{ content: { role: "model", parts }, finishReason: "STOP" }], usageMetadata: usage, modelVersion: body.model });
    }
    const wrap = (c: unknown) => ({ response: c, traceId: "fake-trace" });
    if (!path.includes("streamGenerateContent")) {
      // generateContent: one merged body.
      const parts = chunks.flatMap((c: any) => c.candidates[0].content.parts);
      const last: any = chunks[chunks.length - 1] ?? {};
      return this.#json(msg, 200, wrap({ candidates: [{ content: { role: "model", parts }, finishReason: last.candidates?.[0]?.finishReason ?? "STOP" }], usageMetadata: usage }));
    }
    msg.set_status(200, null);
    const h = msg.get_response_headers();
    h.set_encoding(Soup.Encoding.CHUNKED);
    h.set_content_type("text/event-stream", null);
    msg.get_response_body().set_accumulate(false);
    msg.pause();
    if (reply.kind === "silence") {
      // Headers, one empty chunk, then nothing: the proxy's idle timeout must end it.
      msg.get_response_body().append_bytes(new GLib.Bytes(encoder.encode(`data: ${JSON.stringify(wrap({ candidates: [{ content: { role: "model", parts: [{ text: "" }] } }] }))}\r\n\r\n`)));
      msg.unpause();
      return;
    }
    for (const c of chunks) msg.get_response_body().append_bytes(new GLib.Bytes(encoder.encode(`data: ${JSON.stringify(wrap(c))}\r\n\r\n`)));
    msg.get_response_body().complete();
    msg.unpause();
  }

  #json(msg: Soup.ServerMessage, status: number, body: unknown): void {
    msg.set_status(status, statusPhrase(status));
    msg.set_response("application/json", Soup.MemoryUse.COPY, encoder.encode(JSON.stringify(body)));
  }
}

/** A credentials file as the Gemini CLI writes it. */
export function credentialsJson(fields: { access_token: string; refresh_token: string; expiry_date: number }): string {
  return `${JSON.stringify({ ...fields, token_type: "Bearer", scope: "https://www.googleapis.com/auth/cloud-platform" }, null, 2)}\n`;
}
