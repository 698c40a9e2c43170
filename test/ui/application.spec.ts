// The real `codex-launcher` program under Xvfb: version flag, window, single instance.
import { gjs, run, Child, waitFor } from "../helpers/process.js";
import { MAIN_JS, makeTempDir, readRepoFile, removeTree } from "../helpers/repo.js";

const version = JSON.parse(readRepoFile("package.json")).version as string;

/** Mapped top-level windows whose title is exactly `title` (GDK's hidden leader window is excluded). */
async function windowIds(title: string): Promise<string[]> {
  const result = await run(["xdotool", "search", "--onlyvisible", "--name", `^${title}$`]);
  return result.stdout.split("\n").filter(Boolean);
}

describe("codex-launcher program", () => {
  it("prints its version with --version and exits 0", async () => {
    const result = await run([gjs(), "-m", MAIN_JS, "--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`codex-launcher ${version}`);
  });

  it("rejects an unknown option with a clear error", async () => {
    const result = await run([gjs(), "-m", MAIN_JS, "--bogus"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("--bogus");
  });

  it("opens one 'Codex Launcher' window and stays single-instance", async () => {
    expect(await windowIds("Codex Launcher")).toEqual([]);
    // A throw-away home, so the app under test never touches the real ~/.codex.
    const home = makeTempDir("app-home");
    const env = { HOME: home, XDG_CACHE_HOME: `${home}/.cache`, XDG_CONFIG_HOME: `${home}/.config`, CODEX_HOME: `${home}/.codex` };
    const started = Date.now();
    const first = new Child([gjs(), "-m", MAIN_JS], { env });
    try {
      await waitFor(async () => (await windowIds("Codex Launcher")).length === 1, 15000, "the window", 10);
      print(`        (launch to window shown: ${Date.now() - started} ms)`);
      const second = await run([gjs(), "-m", MAIN_JS], { timeoutMs: 15000, env });
      expect(second.exitCode).toBe(0);
      expect(second.timedOut).toBeFalse();
      expect((await windowIds("Codex Launcher")).length).toBe(1);
    } finally {
      await first.stop();
      removeTree(home);
    }
    await waitFor(async () => (await windowIds("Codex Launcher")).length === 0, 5000, "the window to close");
  });
});
