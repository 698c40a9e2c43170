// A Google login stored by the launcher, through the real supervisor and proxy: how it reaches the proxy
// (a 0600 file in a 0700 directory, named in the environment, never argv), how a renewed token gets back
// to the key store, and E4: a revoked login gives one "sign in again" alert per cooldown, a clear error
// to the real Codex CLI, and no restarts.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import type { AppContext } from "../../src/launcher/app-context.js";
import { DEFAULT_MONITORING } from "../../src/watchdog/config.js";
import { Watchdog, type AlertAction } from "../../src/watchdog/watchdog.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { makeCodexHome, runCodex, type CodexHome } from "../helpers/codex.js";
import { credentialsJson, FakeGoogle } from "../helpers/fake-google.js";
import { postSse } from "../helpers/http.js";
import { waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

function mode(path: string): number {
  return Gio.File.new_for_path(path).query_info("unix::mode", Gio.FileQueryInfoFlags.NONE, null).get_attribute_uint32("unix::mode") & 0o777;
}

function filesIn(dir: string): string[] {
  if (!GLib.file_test(dir, GLib.FileTest.IS_DIR)) return [];
  const names: string[] = [];
  const list = Gio.File.new_for_path(dir).enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
  for (let info = list.next_file(null); info; info = list.next_file(null)) names.push(info.get_name());
  list.close(null);
  return names;
}

const ENDPOINT = "Gemini (Google login)";

describe("Google login through the launcher's supervisor", () => {
  let home: TestHome;
  let ctx: AppContext;
  let google: FakeGoogle;
  let refreshToken: string;
  let codex: CodexHome | null = null;
  let watchdog: Watchdog | null = null;

  beforeEach(async () => {
    google = new FakeGoogle();
    // The supervisor's proxy inherits this process's environment.
    GLib.setenv("CODEX_LAUNCHER_GOOGLE_TOKEN_URL", google.tokenUrl, true);
    home = makeTestHome("gemini-login");
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: ENDPOINT, endpoints: [{ name: ENDPOINT, backend_type: "gemini-oauth-cli",
      base_url: google.url, api_key: "", default_model: "gemini-2.5-flash", models: ["gemini-2.5-flash"], provider_preset: "Google Gemini (OAuth)" }] }));
    ctx = await makeTestContext(home);
    refreshToken = google.issueRefreshToken();
    await ctx.endpoints.setKey(ENDPOINT, credentialsJson({ access_token: "ya29.stored-but-expired", refresh_token: refreshToken, expiry_date: Date.now() - 5000 }));
  });

  afterEach(async () => {
    watchdog?.stop();
    watchdog = null;
    await ctx.supervisor.stop();
    google.stop();
    GLib.unsetenv("CODEX_LAUNCHER_GOOGLE_TOKEN_URL");
    if (codex) {
      removeTree(codex.home);
      removeTree(codex.workdir);
    }
    codex = null;
    removeTree(home.home);
  });

  async function startProxy(): Promise<number> {
    return ctx.supervisor.start({ endpointName: ENDPOINT, backend: "gemini-oauth-cli", targetUrl: google.url,
      apiKey: await ctx.endpoints.keyFor(ENDPOINT), models: ["gemini-2.5-flash"], model: "gemini-2.5-flash" });
  }

  it("hands the login to the proxy as a private file and stores the renewed token back in the key store", async () => {
    const port = await startProxy();
    const files = filesIn(home.paths.oauthDir);
    expect(files.length).toBe(1);
    const loginFile = `${home.paths.oauthDir}/${files[0]}`;
    expect(mode(home.paths.oauthDir)).toBe(0o700);
    expect(mode(loginFile)).toBe(0o600);
    // Named in the proxy's environment; neither the file nor a token is on its command line.
    const cmdline = read(`/proc/${ctx.supervisor.pid}/cmdline`).split("\0").join(" ");
    expect(cmdline).not.toContain(refreshToken);
    expect(cmdline).not.toContain(home.paths.oauthDir);
    expect(read(`/proc/${ctx.supervisor.pid}/environ`).split("\0")).toContain(`CODEX_PROXY_CREDENTIALS_FILE=${loginFile}`);

    google.then({ kind: "text", text: "hello from code assist" });
    const reply = await postSse(`http://127.0.0.1:${port}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: "hi" },
      { headers: { Authorization: `Bearer ${ctx.clientToken}` } });
    expect(reply.events.some((e) => e.data?.type === "response.completed")).withContext(reply.text).toBeTrue();
    const stored = await waitFor(async () => {
      const key = JSON.parse(await ctx.endpoints.keyFor(ENDPOINT));
      return key.access_token !== "ya29.stored-but-expired" ? key : null;
    }, 10000, "the renewed token in the key store");
    expect(stored.refresh_token).toBe(refreshToken);
    expect(google.accessTokens.has(stored.access_token)).toBeTrue();
    expect(mode(`${home.paths.codexHome}/codex-launcher-keys.json`)).toBe(0o600);
    expect(read(home.paths.endpointsFile)).not.toContain(refreshToken);
    await ctx.supervisor.stop();
    expect(filesIn(home.paths.oauthDir)).toEqual([]); // the proxy's copy lives as long as the proxy
  });

  it("uses the Gemini CLI's own login when none is stored, and renews it in place", async () => {
    await ctx.endpoints.setKey(ENDPOINT, "");
    const cliRefresh = google.issueRefreshToken();
    const cliFile = home.paths.geminiCliCredentials;
    expect(cliFile).toBe(`${home.home}/.gemini/oauth_creds.json`);
    GLib.mkdir_with_parents(`${home.home}/.gemini`, 0o700);
    GLib.file_set_contents(cliFile, credentialsJson({ access_token: "ya29.cli-expired", refresh_token: cliRefresh, expiry_date: Date.now() - 1000 }));
    const port = await startProxy();
    expect(read(`/proc/${ctx.supervisor.pid}/environ`).split("\0")).toContain(`CODEX_PROXY_CREDENTIALS_FILE=${cliFile}`);
    expect(filesIn(home.paths.oauthDir)).toEqual([]);
    google.then({ kind: "text", text: "via the gemini cli login" });
    const reply = await postSse(`http://127.0.0.1:${port}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: "hi" },
      { headers: { Authorization: `Bearer ${ctx.clientToken}` } });
    expect(reply.events.some((e) => e.data?.type === "response.completed")).withContext(reply.text).toBeTrue();
    const renewed = JSON.parse(read(cliFile));
    expect(renewed.refresh_token).toBe(cliRefresh);
    expect(google.accessTokens.has(renewed.access_token)).toBeTrue();
    expect(mode(cliFile)).toBe(0o600);
    expect(await ctx.endpoints.keyFor(ENDPOINT)).toBe(""); // the Gemini CLI's login stays the Gemini CLI's
  });

  it("E4: a revoked login gives one 'sign in again' alert per cooldown, a clear error to Codex, and no restart", async () => {
    google.revoked = true;
    const port = await startProxy();
    const pid = ctx.supervisor.pid;
    const alerts: { title: string; body: string; action?: AlertAction }[] = [];
    watchdog = new Watchdog({
      paths: home.paths, supervisor: ctx.supervisor, endpoints: ctx.endpoints,
      config: { ...DEFAULT_MONITORING, enabled: true, health_check_interval_s: 2, health_timeout_s: 1, verify_window_s: 2 },
      aiApiKey: "", announce: async () => true, notify: (title, body, action) => alerts.push({ title, body, action }),
      refreshProfile: async () => null,
    });
    watchdog.start();
    codex = await makeCodexHome(port, "gemini-2.5-flash", { token: ctx.clientToken });
    const result = await runCodex(codex, "say hi");
    expect(result.exitCode).toBe(1);
    expect(result.timedOut).toBeFalse();
    expect(result.stderr).toContain("Google login expired or revoked");
    await waitFor(() => alerts.length > 0, 10000, "the E4 alert");
    // Codex retried (and more requests come): the signals keep coming, the alert does not.
    for (let i = 0; i < 2; i++) await postSse(`http://127.0.0.1:${port}/v1/responses`, { model: "gemini-2.5-flash", stream: true, input: "again" },
      { headers: { Authorization: `Bearer ${ctx.clientToken}` } });
    const log = () => read(home.paths.monitoringLog);
    await waitFor(() => (log().match(/signal E4 oauth_expired: no action \(cooldown/g) ?? []).length >= 3, 10000, "the repeats to be seen and held back");
    expect(alerts.length).toBe(1);
    expect(alerts[0].title).toBe("Your Google login expired or was revoked: sign in again.");
    expect(alerts[0].body).toContain(`Endpoint '${ENDPOINT}'`);
    expect(alerts[0].body).toContain("invalid_grant");
    expect(alerts[0].action).toEqual({ label: "Sign in again", action: "app.google-sign-in", target: ENDPOINT });
    expect(log()).toContain("Tier 1: trigger=oauth_expired action=alert_user");
    expect(log()).not.toMatch(/action=restart|proxy restarted/);
    expect(ctx.supervisor.pid).toBe(pid);
    expect(ctx.supervisor.state).toBe("running");
    expect(google.calls("token").length).toBe(1); // the dead login is remembered, Google is not asked again
  }, 90000);
});
