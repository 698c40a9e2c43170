// One version everywhere: package.json is the source, the packaging files must agree with it.
import { readRepoFile } from "../helpers/repo.js";

const version = JSON.parse(readRepoFile("package.json")).version as string;

describe("release metadata", () => {
  it("uses the package.json version in meson.build, debian/changelog, the metainfo and the man pages", () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readRepoFile("meson.build")).toMatch(new RegExp(`version: '${version.replace(/\./g, "\\.")}'`));
    expect(readRepoFile("debian/changelog").split("\n")[0]).toBe(`codex-launcher (${version}) unstable; urgency=medium`);
    expect(readRepoFile("data/com.codexlauncher.launcher.metainfo.xml")).toContain(`<release version="${version}"`);
    for (const page of ["data/codex-launcher.1", "data/codex-launcher-proxy.1"])
      expect(readRepoFile(page)).withContext(page).toContain(`"codex-launcher ${version}"`);
  });

  it("points the desktop entry at the installed binary, icon and window class of the application id", () => {
    const desktop = readRepoFile("data/com.codexlauncher.desktop");
    expect(desktop).toMatch(/^Exec=codex-launcher$/m);
    expect(desktop).toMatch(/^Icon=com\.codexlauncher$/m);
    expect(desktop).toMatch(/^StartupWMClass=com\.codexlauncher$/m);
    expect(readRepoFile("data/com.codexlauncher.launcher.metainfo.xml"))
      .toContain('<launchable type="desktop-id">com.codexlauncher.desktop</launchable>');
  });

  it("declares the runtime dependencies the app imports", () => {
    const control = readRepoFile("debian/control");
    const depends = /^Depends: (.*)$/m.exec(control)?.[1] ?? "";
    for (const dep of ["gjs", "gir1.2-gtk-3.0", "gir1.2-soup-3.0"]) expect(depends.split(/,\s*/)).toContain(dep);
    expect(control).toMatch(/^Architecture: all$/m);
  });
});
