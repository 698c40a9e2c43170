// Where API keys go at first start, against a real gnome-keyring-daemon on the test session bus: the
// keyring only when its default collection exists and is unlocked, otherwise the 0600 file — and never
// the "Choose password for new keyring" prompt (gcr-prompter) that a store into a missing default
// collection brings up.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Secret from "gi://Secret?version=1";
import { createAppContext } from "../../src/launcher/app-context.js";
import { allPids, argvOf } from "../../src/lib/processes.js";
import { probeKeyring } from "../../src/lib/secrets.js";
import { makeTestHome, type TestHome } from "../helpers/app-context.js";
import { gjs, run, waitFor } from "../helpers/process.js";
import { PROXY_JS, removeTree } from "../helpers/repo.js";

Gio._promisify(Gio.Subprocess.prototype, "communicate_utf8_async", "communicate_utf8_finish");

const KEY = "sk-original-app-plaintext-key-123";

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

function nameHasOwner(name: string): boolean {
  const reply = Gio.DBus.session.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
    new GLib.Variant("(s)", [name]), null, Gio.DBusCallFlags.NONE, 2000, null);
  return (reply.deepUnpack() as [boolean])[0];
}

function prompters(): number[] {
  return allPids().filter((pid) => argvOf(pid).some((a) => a.endsWith("gcr-prompter")));
}

describe("API keys at first start, with a real desktop keyring", () => {
  let home: TestHome;
  let daemon: Gio.Subprocess | null = null;

  /** gnome-keyring-daemon for this home; `password` creates (or unlocks) the login keyring. */
  async function startKeyring(password?: string): Promise<void> {
    Secret.Service.disconnect();
    const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_SILENCE | Gio.SubprocessFlags.STDERR_SILENCE });
    launcher.setenv("HOME", home.home, true);
    launcher.setenv("XDG_DATA_HOME", `${home.home}/.local/share`, true);
    launcher.unsetenv("XDG_RUNTIME_DIR");
    daemon = launcher.spawnv(["gnome-keyring-daemon", "--foreground", "--components=secrets", ...(password !== undefined ? ["--unlock"] : [])]);
    const stdin = daemon.get_stdin_pipe()!;
    if (password !== undefined) stdin.write_all(new TextEncoder().encode(password), null);
    stdin.close(null);
    await waitFor(() => nameHasOwner("org.freedesktop.secrets"), 10000, "the keyring daemon on the bus");
  }

  async function stopKeyring(): Promise<void> {
    Secret.Service.disconnect();
    if (!daemon) return;
    daemon.send_signal(15);
    await daemon.wait_async(null);
    daemon = null;
    await waitFor(() => !nameHasOwner("org.freedesktop.secrets"), 10000, "the keyring daemon to leave the bus");
  }

  function writeOriginalFile(): void {
    GLib.mkdir_with_parents(home.paths.codexHome, 0o700);
    GLib.file_set_contents(home.paths.endpointsFile, JSON.stringify({ default: "Z.AI", endpoints: [
      { name: "Z.AI", backend_type: "openai-compat", base_url: "https://api.z.ai/api/coding/paas/v4", api_key: KEY, default_model: "glm-5.1", models: ["glm-5.1"] }] }));
  }

  const context = () => createAppContext(home.paths, { proxyArgv: [gjs(), "-m", PROXY_JS] });
  const keysFile = () => `${home.paths.codexHome}/codex-launcher-keys.json`;

  beforeEach(() => {
    home = makeTestHome("keyring");
    expect(nameHasOwner("org.freedesktop.secrets")).withContext("another keyring on the test bus").toBeFalse();
    expect(prompters()).toEqual([]);
  });

  afterEach(async () => {
    for (const pid of prompters()) await run(["kill", "-TERM", String(pid)]);
    await stopKeyring();
    removeTree(home.home);
  });

  it("without a default keyring: the 0600 file, no new-keyring prompt, one true line", async () => {
    await startKeyring();
    writeOriginalFile();
    const ctx = await context();
    expect(ctx.secrets.kind).toBe("file");
    const keys = await ctx.endpoints.settleKeys();
    expect(keys.line).toBe(`API keys are kept in ${keysFile()} (mode 0600; the desktop keyring has no default collection (creating one would ask for ` +
      "a new password)); moved 1 key(s) there from endpoints.json");
    expect(keys.error).toBeNull();
    expect(read(keysFile())).toContain(KEY);
    expect((await run(["stat", "-c", "%a", keysFile()])).stdout.trim()).toBe("600");
    expect(read(home.paths.endpointsFile)).not.toContain(KEY);
    expect(await ctx.endpoints.keyFor("Z.AI")).toBe(KEY);
    // Nothing asked for a password, and no keyring was created behind the user's back.
    await new Promise((r) => setTimeout(r, 1500));
    expect(prompters()).toEqual([]);
    expect(await probeKeyring(Secret)).toEqual(jasmine.objectContaining({ usable: false }));
    expect(ctx.log.lines.filter((l) => /keyring/.test(l))).toEqual([]);
    await ctx.supervisor.dispose();
  }, 30000);

  it("with an unlocked login keyring: the keyring (keys left in the file are still found)", async () => {
    await startKeyring("test-login-password");
    writeOriginalFile();
    // A key saved while no keyring was usable (an earlier start) stays readable.
    GLib.file_set_contents(keysFile(), JSON.stringify({ version: 1, secrets: { "endpoint:Earlier": "sk-earlier" } }));
    const ctx = await context();
    expect(ctx.secrets.kind).toBe("keyring");
    const keys = await ctx.endpoints.settleKeys();
    expect(keys.line).toBe("API keys are kept in the desktop keyring ('Login' collection); moved 1 key(s) there from endpoints.json");
    const lookup = await run(["secret-tool", "lookup", "account", "endpoint:Z.AI"], { env: { HOME: home.home } });
    expect(lookup.stdout).toBe(KEY);
    expect(read(home.paths.endpointsFile)).not.toContain(KEY);
    expect(await ctx.endpoints.keyFor("Earlier")).toBe("sk-earlier");
    // Saved again, it moves into the keyring and out of the file.
    await ctx.endpoints.setKey("Earlier", "sk-earlier");
    expect(read(keysFile())).not.toContain("sk-earlier");
    expect(prompters()).toEqual([]);
    await ctx.supervisor.dispose();
  }, 30000);

  it("with a locked keyring: the 0600 file, no unlock prompt, and the line says keys wait there", async () => {
    await startKeyring("test-login-password");
    const first = await context();
    await first.endpoints.setKey("Stored", "sk-in-the-keyring");
    await first.supervisor.dispose();
    await stopKeyring();
    await startKeyring(); // the login keyring exists now, locked
    writeOriginalFile();
    const ctx = await context();
    expect(ctx.secrets.kind).toBe("file");
    const keys = await ctx.endpoints.settleKeys();
    expect(keys.line).toContain(`API keys are kept in ${keysFile()} (mode 0600; the desktop keyring is locked (unlock it and restart the launcher ` +
      "to use keys kept there)); moved 1 key(s) there");
    await new Promise((r) => setTimeout(r, 1500));
    expect(prompters()).toEqual([]);
    await ctx.supervisor.dispose();
  }, 40000);
});
