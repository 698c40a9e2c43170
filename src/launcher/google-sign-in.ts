// "Sign in with Google": the installed-app OAuth flow with a loopback redirect and PKCE, as the Gemini
// CLI does it. A one-shot Soup.Server on 127.0.0.1 receives the browser's redirect; the code is traded
// for tokens at the token endpoint. The caller stores the result (keyring or the 0600 key file).
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import {
  accountEmail, AUTH_URL_ENV, authorizationUrl, base64url, codeExchangeForm, GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL, pkceFromRandom, readCallback,
  readTokenReply, REDIRECT_PATH, serializeCredentials, TOKEN_URL_ENV, type GoogleCredentials,
} from "../lib/google-oauth.js";
import { googleClient } from "./google-client.js";

Gio._promisify(Soup.Session.prototype, "send_and_read_async", "send_and_read_finish");

export interface SignInOptions {
  /** Shows the address to the user's browser (the GUI opens it; tests fetch it themselves). */
  openUri: (uri: string) => void | Promise<void>;
  /** Told the address once it is known, so it can be shown for copying when no browser opens. */
  onUrl?: (uri: string) => void;
  cancellable?: Gio.Cancellable;
  /** Default 5 minutes, as the Gemini CLI waits. */
  timeoutMs?: number;
}

export interface SignInResult {
  credentials: GoogleCredentials;
  /** The stored form: the Gemini CLI's oauth_creds.json format. */
  text: string;
  email: string | null;
}

/** Cryptographically random bytes from the kernel. */
export function randomBytes(count: number): Uint8Array {
  const stream = Gio.File.new_for_path("/dev/urandom").read(null);
  try {
    const bytes = stream.read_bytes(count, null).toArray();
    if (bytes.length !== count) throw new Error("short read from /dev/urandom");
    return bytes;
  } finally {
    stream.close(null);
  }
}

const PAGE = (title: string, text: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h2>${title}</h2><p>${text}</p></body></html>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

async function exchange(tokenUrl: string, form: string, cancellable: Gio.Cancellable): Promise<{ status: number; text: string }> {
  const session = new Soup.Session({ timeout: 30, user_agent: "codex-launcher" });
  const msg = Soup.Message.new("POST", tokenUrl);
  if (!msg) throw new Error(`invalid token endpoint ${tokenUrl}`);
  msg.set_request_body_from_bytes("application/x-www-form-urlencoded", new GLib.Bytes(new TextEncoder().encode(form)));
  const bytes = (await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, cancellable)) as unknown as GLib.Bytes;
  return { status: msg.status_code, text: new TextDecoder().decode(bytes.toArray()) };
}

/**
 * Runs the whole sign-in: listens on a free loopback port, opens the consent page, waits for the
 * redirect (state checked), trades the code with the PKCE verifier. Rejects with a message the user
 * can act on; the loopback server is gone when it settles.
 */
export async function signInWithGoogle(options: SignInOptions): Promise<SignInResult> {
  const authUrl = GLib.getenv(AUTH_URL_ENV) || GOOGLE_AUTH_URL;
  const tokenUrl = GLib.getenv(TOKEN_URL_ENV) || GOOGLE_TOKEN_URL;
  const client = googleClient();
  const pkce = pkceFromRandom(randomBytes(32));
  const state = base64url(randomBytes(24));
  const cancellable = options.cancellable ?? new Gio.Cancellable();
  const server = new Soup.Server({});
  server.listen(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), 0 as Soup.ServerListenOptions);
  const redirectUri = `http://127.0.0.1:${server.get_uris()[0].get_port()}${REDIRECT_PATH}`;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let cancelHandler = 0;
  try {
    const result = new Promise<SignInResult>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: { ok: SignInResult } | { error: Error }) => {
        if (settled) return;
        settled = true;
        if ("ok" in outcome) resolve(outcome.ok);
        else reject(outcome.error);
      };
      server.add_handler(REDIRECT_PATH, (_s, msg, _path, query) => {
        const page = (status: number, title: string, text: string) => {
          msg.set_status(status, null);
          msg.set_response("text/html; charset=utf-8", Soup.MemoryUse.COPY, new TextEncoder().encode(PAGE(title, text)));
        };
        const callback = readCallback((query as Record<string, string> | null) ?? {}, state);
        if (callback.kind === "ignore") return page(404, "Not found", "");
        if (callback.kind === "error") {
          page(400, "Sign-in failed", escapeHtml(callback.message));
          return finish({ error: new Error(callback.message) });
        }
        msg.pause();
        void exchange(tokenUrl, codeExchangeForm(callback.code, pkce.verifier, redirectUri, client), cancellable).then((reply) => {
          const outcome = readTokenReply(reply.status, reply.text, Date.now());
          if (outcome.kind !== "ok") {
            page(502, "Sign-in failed", escapeHtml(`Google did not issue tokens: ${outcome.reason}`));
            finish({ error: new Error(`Google did not issue tokens: ${outcome.reason}`) });
          } else {
            const email = accountEmail(outcome.credentials);
            page(200, "Signed in", `Codex Launcher is signed in${email ? ` as ${escapeHtml(email)}` : ""}. You can close this tab.`);
            finish({ ok: { credentials: outcome.credentials, text: serializeCredentials(outcome.credentials), email } });
          }
        }, (e: Error) => {
          page(502, "Sign-in failed", escapeHtml(e.message));
          finish({ error: new Error(`the token endpoint could not be reached: ${e.message}`) });
        }).finally(() => msg.unpause());
      });
      timer = setTimeout(() => finish({ error: new Error("no answer from the browser within 5 minutes; sign in again") }), options.timeoutMs ?? 300_000);
      cancelHandler = cancellable.connect(() => finish({ error: new Error("sign-in cancelled") }));
    });
    const url = authorizationUrl({ authUrl, redirectUri, state, challenge: pkce.challenge, clientId: client.id });
    options.onUrl?.(url);
    await options.openUri(url);
    return await result;
  } finally {
    if (timer) clearTimeout(timer);
    if (cancelHandler) cancellable.disconnect(cancelHandler);
    // Let the success page reach the browser before the listener goes away.
    setTimeout(() => server.disconnect(), 1000);
  }
}

/** True when the Gemini CLI's own login (~/.gemini/oauth_creds.json) is there to fall back on. */
export function hasGeminiCliLogin(credentialsPath: string): boolean {
  return GLib.file_test(credentialsPath, GLib.FileTest.EXISTS);
}
