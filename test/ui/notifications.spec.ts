// Alerts reach the user as desktop notifications: the real app, a notification server on the session bus.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { Child, gjs, waitFor } from "../helpers/process.js";
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
});
