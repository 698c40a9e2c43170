// The .deb as a user gets it: built by scripts/build-deb.sh and installed with apt by test/run-all.sh.
import GLib from "gi://GLib";
import { getJson } from "../helpers/http.js";
import { Child, delay, run, waitFor } from "../helpers/process.js";
import { makeTempDir, readRepoFile, removeTree, REPO_ROOT } from "../helpers/repo.js";

const version = JSON.parse(readRepoFile("package.json")).version as string;
const debPath = `${REPO_ROOT}/dist/codex-launcher_${version}_all.deb`;
const artifacts = `${REPO_ROOT}/test-artifacts`;

describe("installed codex-launcher package", () => {
  it("was built as dist/codex-launcher_<version>_all.deb and depends on gjs, GTK 3 and libsoup 3", async () => {
    expect(GLib.file_test(debPath, GLib.FileTest.EXISTS)).withContext(debPath).toBeTrue();
    const depends = (await run(["dpkg-deb", "-f", debPath, "Depends"])).stdout;
    for (const dep of ["gjs", "gir1.2-gtk-3.0", "gir1.2-soup-3.0"]) expect(depends).toContain(dep);
  });

  it("is installed and ships the binaries, desktop file, metainfo and icon", async () => {
    const status = await run(["dpkg-query", "-W", "-f", "${Status} ${Version}", "codex-launcher"]);
    expect(status.stdout).toBe(`install ok installed ${version}`);
    const files = (await run(["dpkg", "-L", "codex-launcher"])).stdout.split("\n");
    for (const f of ["/usr/bin/codex-launcher", "/usr/bin/codex-launcher-proxy",
      "/usr/share/applications/com.codexlauncher.desktop", "/usr/share/metainfo/com.codexlauncher.launcher.metainfo.xml",
      "/usr/share/icons/hicolor/scalable/apps/com.codexlauncher.svg", "/usr/share/codex-launcher/main.js",
      "/usr/share/codex-launcher/proxy.js"]) expect(files).toContain(f);
  });

  it("passes desktop-file-validate, appstreamcli validate and lintian (no errors)", async () => {
    const desktop = await run(["desktop-file-validate", "/usr/share/applications/com.codexlauncher.desktop"]);
    expect(desktop.exitCode).withContext(desktop.stdout + desktop.stderr).toBe(0);
    const metainfo = await run(["appstreamcli", "validate", "--no-net", "/usr/share/metainfo/com.codexlauncher.launcher.metainfo.xml"]);
    expect(metainfo.exitCode).withContext(metainfo.stdout).toBe(0);
    const lintian = await run(["lintian", "--allow-root", debPath], { timeoutMs: 120000 });
    expect(lintian.stdout.split("\n").filter((l) => l.startsWith("E:"))).toEqual([]);
    expect(lintian.exitCode).withContext(lintian.stdout + lintian.stderr).toBe(0);
  }, 150000);

  it("answers `codex-launcher --version` from /usr/bin", async () => {
    const result = await run(["/usr/bin/codex-launcher", "--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`codex-launcher ${version}`);
  });

  it("runs the installed proxy, which answers /health", async () => {
    const proxy = new Child(["/usr/bin/codex-launcher-proxy", "--port", "0"]);
    try {
      const [, port] = await proxy.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const health = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      expect(health.ok).toBeTrue();
      expect(health.version).toBe(version);
      expect(health.port).toBe(Number(port));
    } finally {
      await proxy.stop();
    }
  });

  it("opens the installed app's window under Xvfb and saves a screenshot", async () => {
    const home = makeTempDir("installed-home");
    const app = new Child(["/usr/bin/codex-launcher"], { env: { HOME: home, XDG_CACHE_HOME: `${home}/.cache`, CODEX_HOME: `${home}/.codex` } });
    try {
      const ids = await waitFor(async () => {
        const found = (await run(["xdotool", "search", "--onlyvisible", "--name", "^Codex Launcher$"])).stdout.trim();
        return found ? found.split("\n") : undefined;
      }, 20000, "the installed app's window");
      expect(ids.length).toBe(1);
      // The window class is the application id, so the shell matches it to the desktop file.
      const xprop = await run(["xprop", "-id", ids[0], "WM_CLASS"]);
      expect(xprop.stdout).toContain('"com.codexlauncher"');
      await delay(500); // let the first frame draw
      GLib.mkdir_with_parents(artifacts, 0o755);
      const shot = `${artifacts}/installed-app.png`;
      const grab = await run(["import", "-window", "root", shot]);
      expect(grab.exitCode).withContext(grab.stderr).toBe(0);
      // A blank screen has no variation; a drawn window does.
      const spread = await run(["convert", shot, "-format", "%[fx:standard_deviation]", "info:"]);
      expect(Number(spread.stdout)).toBeGreaterThan(0.05);
    } finally {
      await app.stop();
      removeTree(home);
    }
  }, 40000);
});
