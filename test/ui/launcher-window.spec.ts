// LauncherWin built with real widgets under Xvfb.
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { BgpWindow } from "../../src/ui/bgp-window.js";
import { HEADER_ACTIONS, LauncherWin } from "../../src/ui/launcher-window.js";
import { UsageWindow } from "../../src/ui/usage-window.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { buttonsIn, findButton, initGtk, settle, testApplication } from "../helpers/gtk.js";
import { waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

describe("LauncherWin", () => {
  let app: Gtk.Application;
  let win: LauncherWin | null = null;
  let home: TestHome;
  let ctx: AppContext;

  beforeAll(() => {
    initGtk();
    app = testApplication();
  });

  beforeEach(async () => {
    home = makeTestHome();
    ctx = await makeTestContext(home);
  });

  afterEach(() => {
    win?.destroy();
    win = null;
    removeTree(home.home);
  });

  it("is titled Codex Launcher and shows the version in the header bar", async () => {
    win = new LauncherWin(app, ctx);
    await settle();
    expect(win.get_title()).toBe("Codex Launcher");
    const bar = win.get_titlebar() as Gtk.HeaderBar;
    expect(bar.get_title()).toBe("Codex Launcher");
    expect(bar.get_subtitle()).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(win.get_visible()).toBeTrue();
  });

  it("has the header buttons Changelog, Usage, AI BGP, AI Monitor, Manage Endpoints in that order", async () => {
    win = new LauncherWin(app, ctx);
    await settle();
    // Left to right as a person sees them, from where each button was laid out in the window.
    const onScreen = buttonsIn(win.get_titlebar()!)
      .map((b) => ({ label: b.get_label(), x: b.translate_coordinates(win!, 0, 0)[1], mapped: b.get_mapped() }))
      .sort((a, b) => a.x - b.x);
    expect(onScreen.map((b) => b.label)).toEqual(["Changelog", "Usage", "AI BGP", "AI Monitor", "Manage Endpoints"]);
    expect(onScreen.every((b) => b.mapped)).toBeTrue();
  });

  it("makes every header button sensitive and opens its window: Usage and AI BGP open theirs", async () => {
    const opened: string[] = [];
    const openers = Object.fromEntries(HEADER_ACTIONS.map((a) => [a.id, () => opened.push(a.id)]));
    win = new LauncherWin(app, ctx, openers);
    await settle();
    for (const action of HEADER_ACTIONS) {
      const button = findButton(win, action.label);
      expect(button.get_sensitive()).withContext(action.label).toBeTrue();
      expect(button.get_tooltip_text()).toBe(`Open ${action.opens}`);
      button.clicked();
    }
    expect(opened).toEqual(["changelog", "usage", "bgp", "monitor", "endpoints"]);
    // The windows behind the two buttons the original app had (they open with live data; see usage-window and bgp-window specs).
    const usage = new UsageWindow(win, ctx);
    const bgp = new BgpWindow(win, ctx, win.session);
    await settle();
    expect(usage.get_title()).toBe("Usage");
    expect(bgp.get_title()).toBe("AI BGP");
    usage.destroy();
    bgp.destroy();
  });

  it("wires a button to its window when one is given", async () => {
    let opened = 0;
    win = new LauncherWin(app, ctx, { changelog: () => opened++ });
    await settle();
    const button = findButton(win, "Changelog");
    expect(button.get_sensitive()).toBeTrue();
    button.clicked();
    expect(opened).toBe(1);
  });

  it("logs the start-up line, runtime versions and the Codex CLI status", async () => {
    win = new LauncherWin(app, ctx);
    const w = win;
    await waitFor(async () => { await settle(10); return /Codex CLI:/.test(w.logText()); }, 10000, "codex status line");
    const log = w.logText();
    expect(log).toMatch(/Codex Launcher v\d+\.\d+\.\d+ started/);
    expect(log).toMatch(/Runtime: gjs 1\.\d+\.\d+, GTK 3\.\d+\.\d+, libsoup 3\.\d+\.\d+/);
    expect(log).toContain("Codex Desktop: ");
  });

  it("tells a first-time user to add an endpoint and keeps the launch buttons off", async () => {
    win = new LauncherWin(app, ctx);
    await settle();
    expect(win.welcoming).toBeTrue();
    expect(win.stack.get_visible_child_name()).toBe("welcome");
    expect(win.welcomeAddButton.get_mapped()).toBeTrue();
    expect(win.welcomeKeys.get_text()).toContain("API keys will be kept in ");
    expect(win.launchCliButton.get_sensitive()).toBeFalse();
    expect(win.proxyButton.get_sensitive()).toBeFalse();
  });
});
