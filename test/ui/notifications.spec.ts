// Alerts reach the user as desktop notifications: the real app, a notification server on the session bus.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { credentialsJson, FakeGoogle } from "../helpers/fake-google.js";
import { request } from "../helpers/http.js";
import { Child, gjs, waitFor } from "../helpers/process.js";
import { startProxy } from "../helpers/proxy.js";
import { MAIN_JS, makeTempDir, removeTree } from "../helpers/repo.js";

const IFACE = `<node><interface name="org.freedesktop.Notifications">
  <method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
    <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/><arg type="a{sv}" direction="in"/>
    <arg type="i" direction="in"/><arg type="u" direction="out"/></method>
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <method name="CloseNotification"><arg type="u" direction="in"/></method>
  <method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/></method>
  <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>`;

describe("desktop notifications", () => {
  it("sends an AI Monitor alert to the desktop's notification server", async () => {
    const received: { summary: string; body: string }[] = [];
    const server = Gio.DBusExportedObject.wrapJSObject(IFACE, {
      Notify: (_app: string, _replaces: number, _icon: string, summary: string, body: string) => {
        received.push({ summary, body });
        return received.length;
      },
      GetCapabilities: () => ["body"],
      CloseNotification: () => {},
      GetServerInformation: () => ["test", "codex-launcher", "1", "1.2"],
    });
    let owner = 0;
    await new Promise<void>((resolve, reject) => {
      owner = Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
        (connection) => server.export(connection, "/org/freedesktop/Notifications"), () => resolve(), () => reject(new Error("could not own the name")));
    });
    const home = makeTempDir("notify-home");
    GLib.mkdir_with_parents(`${home}/.codex`, 0o700);
    GLib.mkdir_with_parents(`${home}/.cache/codex-proxy`, 0o700);
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ endpoints: [], ai_monitoring: { enabled: true } }));
    // A corrupt incident store is one of the things the watchdog alerts about as it starts.
    GLib.file_set_contents(`${home}/.cache/codex-proxy/incident-store.json`, "{broken");
    const app = new Child([gjs(), "-m", MAIN_JS], { env: { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`,
      CODEX_LAUNCHER_SECRETS: "file", GIO_USE_NOTIFICATION_BACKEND: "freedesktop" } });
    try {
      await waitFor(() => received.length > 0, 15000, "a notification");
      expect(received[0].summary).toBe("Incident store reset");
      expect(received[0].body).toContain("kept as");
    } finally {
      await app.stop();
      server.unexport();
      Gio.bus_unown_name(owner);
      removeTree(home);
    }
  }, 30000);

  it("E4: the real app's 'sign in again' alert has a button that opens the Google sign-in in the desktop's browser", async () => {
    interface Sent { id: number; summary: string; body: string; actions: string[] }
    const received: Sent[] = [];
    const server = Gio.DBusExportedObject.wrapJSObject(IFACE, {
      Notify: (_app: string, _replaces: number, _icon: string, summary: string, body: string, actions: string[]) => {
        received.push({ id: received.length + 1, summary, body, actions });
        return received.length;
      },
      GetCapabilities: () => ["body", "actions"],
      CloseNotification: () => {},
      GetServerInformation: () => ["test", "codex-launcher", "1", "1.2"],
    });
    let owner = 0;
    await new Promise<void>((resolve, reject) => {
      owner = Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
        (connection) => server.export(connection, "/org/freedesktop/Notifications"), () => resolve(), () => reject(new Error("could not own the name")));
    });
    const google = new FakeGoogle();
    const home = makeTempDir("e4-home");
    const cache = `${home}/.cache/codex-proxy`;
    for (const dir of [`${home}/.codex`, cache, `${home}/.local/share/applications`, `${home}/.config`]) GLib.mkdir_with_parents(dir, 0o700);
    // The desktop's default browser is a script that notes the address it was asked to open.
    GLib.file_set_contents(`${home}/browser.sh`, `#!/bin/sh\nprintf '%s' "$1" > "${home}/opened-url"\n`);
    Gio.File.new_for_path(`${home}/browser.sh`).set_attribute_uint32("unix::mode", 0o755, Gio.FileQueryInfoFlags.NONE, null);
    GLib.file_set_contents(`${home}/.local/share/applications/test-browser.desktop`,
      `[Desktop Entry]\nType=Application\nName=Test Browser\nExec=${home}/browser.sh %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n`);
    GLib.file_set_contents(`${home}/.config/mimeapps.list`, "[Default Applications]\nx-scheme-handler/http=test-browser.desktop\nx-scheme-handler/https=test-browser.desktop\n");
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Gemini", ai_monitoring: { enabled: true },
      endpoints: [{ name: "Gemini", backend_type: "gemini-oauth-cli", base_url: google.url, api_key: "", default_model: "gemini-2.5-flash",
        models: ["gemini-2.5-flash"], provider_preset: "Google Gemini (OAuth)" }] }));
    const env = { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, XDG_CONFIG_HOME: `${home}/.config`,
      XDG_DATA_HOME: `${home}/.local/share`, CODEX_LAUNCHER_SECRETS: "file", GIO_USE_NOTIFICATION_BACKEND: "freedesktop",
      CODEX_LAUNCHER_GOOGLE_AUTH_URL: google.authUrl, CODEX_LAUNCHER_GOOGLE_TOKEN_URL: google.tokenUrl };
    const app = new Child([gjs(), "-m", MAIN_JS], { env });
    try {
      await waitFor(() => readText(`${cache}/monitoring.log`).includes("watchdog started"), 15000, "the watchdog");
      // A proxy with a revoked login writes the E4 line into the proxy.log the app's watchdog follows.
      GLib.file_set_contents(`${home}/revoked.json`, credentialsJson({ access_token: "ya29.x", refresh_token: "1//revoked-token-000000000000", expiry_date: 0 }));
      const proxy = await startProxy(["--backend", "gemini-oauth-cli", "--target-url", google.url, "--log-dir", cache],
        { env: { CODEX_PROXY_CREDENTIALS_FILE: `${home}/revoked.json`, CODEX_LAUNCHER_GOOGLE_TOKEN_URL: google.tokenUrl } });
      try {
        const refused = await request("POST", `${proxy.url}/v1/responses`, JSON.stringify({ model: "gemini-2.5-flash", input: "hi", stream: true }));
        expect(refused.status).toBe(401);
      } finally {
        await proxy.child.stop();
      }
      const alert = await waitFor(() => received.find((n) => n.summary.includes("Google login")), 15000, "the E4 notification");
      expect(alert.summary).toBe("Your Google login expired or was revoked: sign in again.");
      expect(alert.body).toContain("Endpoint 'Gemini'");
      const button = alert.actions.findIndex((a) => a === "Sign in again");
      expect(button).toBeGreaterThan(0);
      const key = alert.actions[button - 1];
      expect(key).toMatch(/^app\.google-sign-in(::Gemini|\('Gemini'\))$/); // GLib's detailed action name
      // The user clicks the button.
      server.emit_signal("ActionInvoked", new GLib.Variant("(us)", [alert.id, key]));
      const url = await waitFor(() => readText(`${home}/opened-url`), 15000, "the browser to open the consent page");
      expect(url.startsWith(`${google.authUrl}?`)).toBeTrue();
      const page = await request("GET", url); // the browser follows Google's redirect to the app
      expect(page.text).toContain("signed in as someone@example.com");
      const stored = await waitFor(() => {
        const keys = readText(`${home}/.codex/codex-launcher-keys.json`);
        return keys ? JSON.parse(keys).secrets["endpoint:Gemini"] : null;
      }, 15000, "the new login in the key file");
      expect(google.refreshTokens.has(JSON.parse(stored).refresh_token)).toBeTrue();
    } finally {
      await app.stop();
      google.stop();
      server.unexport();
      Gio.bus_unown_name(owner);
      removeTree(home);
    }
  }, 60000);
});

function readText(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}
