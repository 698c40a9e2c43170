// The Google login as the proxy uses it: an access token from the credentials file, renewed before it
// expires and once after a 401, written back atomically. Pure: the file, HTTP and the clock are injected.
import {
  clientFromEnv, CLIENT_ID_ENV, CLIENT_SECRET_ENV, GOOGLE_TOKEN_URL, GoogleCredentialsError, needsRefresh, parseCredentials, readTokenReply, refreshForm, serializeCredentials,
  type GoogleCredentials,
} from "../../../lib/google-oauth.js";
import { AdapterError, type AdapterHttp, type LoginFile } from "../contract.js";

export const LOGIN_REQUIRED = "login_required";
export const LOGIN_EXPIRED = "login_expired";
export const REFRESH_FAILED = "token_refresh_failed";

const HOW_TO_SIGN_IN = "Sign in again: Codex Launcher → Manage Endpoints → Edit → Sign in with Google (or run `gemini` and log in).";

export interface GoogleLoginDeps {
  file: LoginFile | undefined;
  http: AdapterHttp | undefined;
  tokenUrl?: string;
  /** The proxy's environment: the launcher hands the OAuth client over in it (lib/google-oauth.ts). */
  env?: (name: string) => string | null | undefined;
  now: () => number;
  log: (line: string) => void;
  secret: (value: string) => void;
}

export class GoogleLogin {
  #text: string | null = null;
  #creds: GoogleCredentials | null = null;
  #refreshing: Promise<GoogleCredentials> | null = null;
  /** A refresh token Google refused: not tried again until the file holds another one. */
  #deadRefreshToken: string | null = null;
  #deadReason = "";

  constructor(private readonly deps: GoogleLoginDeps) {}

  /** The account's refresh token (a stable key for what is cached per account); "" before loading. */
  get account(): string {
    return this.#creds?.refresh_token ?? "";
  }

  /** The access token last handed out (follow-up calls of the same answer reuse it). */
  get current(): string {
    return this.#creds?.access_token ?? "";
  }

  /** A valid access token, renewed first when it expires within a minute. */
  async accessToken(): Promise<string> {
    const creds = this.#load();
    if (!needsRefresh(creds, this.deps.now())) return creds.access_token;
    return (await this.#refresh(creds)).access_token;
  }

  /** After the provider refused `rejected`: a renewed token (once per rejected token). */
  async renewAfterRejection(rejected: string): Promise<string> {
    const creds = this.#load();
    if (creds.access_token && creds.access_token !== rejected) return creds.access_token; // someone renewed it meanwhile
    return (await this.#refresh(creds)).access_token;
  }

  /** Re-reads the file when it changed (the Gemini CLI or a new sign-in may have written it). */
  #load(): GoogleCredentials {
    const { file } = this.deps;
    const text = file?.read() ?? null;
    if (text === null) {
      throw new AdapterError(401, LOGIN_REQUIRED, `Not signed in to Google: no credentials at ${file?.path ?? "(no file given)"}. ` +
        "Sign in with Google in Codex Launcher (Manage Endpoints → Edit), or run `gemini` once and log in.");
    }
    if (text !== this.#text || !this.#creds) {
      let creds: GoogleCredentials;
      try {
        creds = parseCredentials(text);
      } catch (e) {
        if (!(e instanceof GoogleCredentialsError)) throw e;
        throw new AdapterError(401, LOGIN_REQUIRED, `Not signed in to Google: ${file!.path} cannot be used (${e.message}). ${HOW_TO_SIGN_IN}`);
      }
      this.#text = text;
      this.#creds = creds;
      this.deps.secret(creds.refresh_token);
      if (creds.access_token) this.deps.secret(creds.access_token);
    }
    if (this.#creds.refresh_token === this.#deadRefreshToken)
      throw new AdapterError(401, LOGIN_EXPIRED, `Google login expired or revoked (${this.#deadReason}). ${HOW_TO_SIGN_IN}`);
    return this.#creds;
  }

  #refresh(creds: GoogleCredentials): Promise<GoogleCredentials> {
    // Parallel requests share one refresh.
    this.#refreshing ??= this.#doRefresh(creds).finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #doRefresh(creds: GoogleCredentials): Promise<GoogleCredentials> {
    const { http, tokenUrl, now, log } = this.deps;
    if (!http) throw new AdapterError(503, REFRESH_FAILED, "this proxy cannot reach Google's token endpoint");
    const client = this.deps.env ? clientFromEnv(this.deps.env) : null;
    if (!client) throw new AdapterError(503, REFRESH_FAILED, `Could not renew the Google access token: this proxy was given no OAuth client ` +
      `(${CLIENT_ID_ENV}, ${CLIENT_SECRET_ENV}; the launcher sets them from the installed Gemini CLI)`);
    const url = tokenUrl || GOOGLE_TOKEN_URL;
    let reply: { status: number; text: string };
    try {
      reply = await http({ method: "POST", url, body: refreshForm(creds.refresh_token, client), contentType: "application/x-www-form-urlencoded", timeoutMs: 30000 });
    } catch (e) {
      throw new AdapterError(503, REFRESH_FAILED, `Could not renew the Google access token: the token endpoint did not answer (${(e as Error).message})`);
    }
    const outcome = readTokenReply(reply.status, reply.text, now(), creds);
    if (outcome.kind === "login_expired") {
      this.#deadRefreshToken = creds.refresh_token;
      this.#deadReason = outcome.reason;
      throw new AdapterError(401, LOGIN_EXPIRED, `Google login expired or revoked (${outcome.reason}). ${HOW_TO_SIGN_IN}`);
    }
    if (outcome.kind === "failed") throw new AdapterError(503, REFRESH_FAILED, `Could not renew the Google access token (${outcome.reason}); try again`);
    const fresh = outcome.credentials;
    this.deps.secret(fresh.access_token);
    if (typeof fresh.id_token === "string") this.deps.secret(fresh.id_token);
    // Written back so the next proxy (and the Gemini CLI, for its own file) starts with a valid token.
    const text = serializeCredentials(fresh);
    try {
      this.deps.file?.write(text);
    } catch (e) {
      log(`google login: renewed the access token but could not write ${this.deps.file?.path}: ${(e as Error).message}`);
    }
    this.#text = text;
    this.#creds = fresh;
    log(`google login: access token renewed (valid for ${Math.round((fresh.expiry_date - now()) / 60000)} min)`);
    return fresh;
  }
}
