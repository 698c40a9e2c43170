// "Sign in with Google" as a person uses it: the endpoint editor under Xvfb, the real sign-in service
// (loopback redirect, PKCE), a fake Google authorization server and token endpoint on loopback; the
// browser is played by requesting the consent address, which redirects to the app's loopback callback.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import type { AppContext } from "../../src/launcher/app-context.js";
import { EndpointsWindow } from "../../src/ui/endpoints-window.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { credentialsJson, FakeGoogle } from "../helpers/fake-google.js";
import { postSse, request } from "../helpers/http.js";
import { initGtk, testApplication } from "../helpers/gtk.js";
import { waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

function mode(path: string): number {
  return Gio.File.new_for_path(path).query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777;
}

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

describe("Sign in with Google", () => {
  let google: FakeGoogle;
  let home: TestHome;
  let ctx: AppContext;
  let opened: string[];
  let manager: EndpointsWindow | null = null;

  beforeAll(() => {
    initGtk();
    testApplication();
  });

  beforeEach(async () => {
    google = new FakeGoogle();
    GLib.setenv("CODEX_LAUNCHER_GOOGLE_AUTH_URL", google.authUrl, true);
    GLib.setenv("CODEX_LAUNCHER_GOOGLE_TOKEN_URL", google.tokenUrl, true);
    home = makeTestHome("google-sign-in");
    opened = [];
    ctx = await makeTestContext(home, { openUri: (uri) => opened.push(uri) });
  });

  afterEach(async () => {
    manager?.destroy();
    manager = null;
    await ctx.supervisor.stop();
    google.stop();
    GLib.unsetenv("CODEX_LAUNCHER_GOOGLE_AUTH_URL");
    GLib.unsetenv("CODEX_LAUNCHER_GOOGLE_TOKEN_URL");
    removeTree(home.home);
  });

  it("signs in from the endpoint editor (PKCE, loopback redirect), tests through the proxy, and keeps the tokens in the 0600 key file", async () => {
    manager = new EndpointsWindow(null, ctx);
    manager.buttons.add.clicked();
    const d = manager.dialog!;
    d.presetCombo.set_active_id("Google Gemini (OAuth)");
    expect(d.backendCombo.get_active_id()).toBe("gemini-oauth-cli");
    expect(d.keyBox.get_visible()).toBeFalse();
    expect(d.loginBox.get_visible()).toBeTrue();
    expect(d.loginStatus.get_text()).toContain("Not signed in");

    d.signInButton.clicked();
    const url = await waitFor(() => opened[0], 5000, "the browser to be asked to open the consent page");
    expect(url.startsWith(`${google.authUrl}?`)).toBeTrue();
    const query = Object.fromEntries(url.split("?")[1].split("&").map((p) => p.split("=").map(decodeURIComponent)));
    expect(query.code_challenge_method).toBe("S256");
    expect(query.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/);
    expect(query.access_type).toBe("offline");
    // The browser: Google's page redirects to the loopback address, which answers the user.
    const page = await request("GET", url);
    expect(page.status).toBe(200);
    expect(page.text).toContain("signed in as someone@example.com");
    await waitFor(() => d.loginStatus.get_text().includes("Signed in as someone@example.com"), 5000, "the dialog to show the account");
    const exchange = google.calls("token")[0];
    expect(exchange.body.grant_type).toBe("authorization_code");
    expect(exchange.body.code_verifier.length).toBeGreaterThanOrEqual(43);
    expect(exchange.rejected).toBeUndefined(); // the fake checked S256(verifier) against the challenge

    // Test: one request through a temporary proxy that uses the new login (Code Assist is the fake).
    d.urlEntry.set_text(google.url);
    google.then({ kind: "text", text: "OK" });
    d.testButton.clicked();
    await waitFor(() => /^(OK|Failed)/.test(d.testStatus.get_text()), 20000, "the test result");
    expect(d.testStatus.get_text()).toMatch(/^OK in \d+ ms — answered "OK"/);

    expect(await d.saveNow()).toBeTrue();
    const keyFile = `${home.paths.codexHome}/codex-launcher-keys.json`;
    expect(ctx.secrets.kind).toBe("file");
    expect(mode(keyFile)).toBe(0o600);
    expect(mode(home.paths.codexHome)).toBe(0o700);
    const stored = JSON.parse(await ctx.endpoints.keyFor("Google Gemini"));
    expect(google.refreshTokens.has(stored.refresh_token)).toBeTrue();
    expect(google.accessTokens.has(stored.access_token)).toBeTrue();
    expect(read(home.paths.endpointsFile)).not.toContain(stored.refresh_token);
    expect(JSON.parse(read(home.paths.endpointsFile)).endpoints[0].backend_type).toBe("gemini-oauth-cli");
  });

  it("refuses a redirect that does not belong to this sign-in (state mismatch)", async () => {
    manager = new EndpointsWindow(null, ctx);
    manager.buttons.add.clicked();
    const d = manager.dialog!;
    d.presetCombo.set_active_id("Google Antigravity (OAuth)");
    d.signInButton.clicked();
    const url = await waitFor(() => opened[0], 5000, "the consent page");
    const redirect = decodeURIComponent(/redirect_uri=([^&]+)/.exec(url)![1]);
    const forged = await request("GET", `${redirect}?state=forged&code=4/stolen`);
    expect(forged.status).toBe(400);
    await waitFor(() => d.loginStatus.get_text().startsWith("Sign-in failed"), 5000, "the failure");
    expect(d.loginStatus.get_text()).toContain("state mismatch");
    expect(google.calls("token").length).toBe(0);
    let editorGone = false;
    d.connect("destroy", () => (editorGone = true));
    manager.destroy();
    manager = null;
    expect(editorGone).toBeTrue(); // the editor went with Manage Endpoints (no modal dialog left behind)
  });

  it("'Sign in again' (the E4 alert's action) replaces a revoked login, and the running proxy uses the new one at once", async () => {
    const name = "Gemini";
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: name, endpoints: [{ name, backend_type: "gemini-oauth-cli", base_url: google.url,
      api_key: "", default_model: "gemini-2.5-flash", models: ["gemini-2.5-flash"], provider_preset: "Google Gemini (OAuth)" }] }));
    ctx.endpoints.load();
    const old = google.issueRefreshToken();
    await ctx.endpoints.setKey(name, credentialsJson({ access_token: "ya29.gone", refresh_token: old, expiry_date: 0 }));
    google.revoke(old);
    const port = await ctx.supervisor.start({ endpointName: name, backend: "gemini-oauth-cli", targetUrl: google.url,
      apiKey: await ctx.endpoints.keyFor(name), models: ["gemini-2.5-flash"], model: "gemini-2.5-flash" });
    const pid = ctx.supervisor.pid;
    const before = await request("POST", `http://127.0.0.1:${port}/v1/responses`, JSON.stringify({ model: "gemini-2.5-flash", input: "hi", stream: true }),
      { Authorization: `Bearer ${ctx.clientToken}` });
    expect(before.status).toBe(401);
    expect(before.json().error.code).toBe("login_expired");

    manager = new EndpointsWindow(null, ctx);
    const signingIn = manager.signInAgain(name);
    const url = await waitFor(() => opened[0], 5000, "the consent page");
    expect((await request("GET", url)).status).toBe(200);
    const dialog = await signingIn;
    expect(dialog).not.toBeNull();
    await waitFor(() => manager!.dialog === null, 5000, "the editor to save and close");
    const stored = JSON.parse(await ctx.endpoints.keyFor(name));
    expect(stored.refresh_token).not.toBe(old);
    expect(google.refreshTokens.has(stored.refresh_token)).toBeTrue();

    google.then({ kind: "text", text: "back again" });
    const after = await postSse(`http://127.0.0.1:${port}/v1/responses`, { model: "gemini-2.5-flash", input: "hi", stream: true },
      { headers: { Authorization: `Bearer ${ctx.clientToken}` } });
    expect(after.events.some((e) => e.data?.type === "response.completed")).withContext(after.text).toBeTrue();
    expect(ctx.supervisor.pid).toBe(pid); // no restart was needed
  });
});
