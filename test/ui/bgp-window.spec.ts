// The AI BGP window driven like a person would, with real widgets under Xvfb, real files in a throw-away
// home, the real proxy and fake providers on loopback: create a pool in the editor, reorder its routes,
// choose it in the launcher, start it, watch its routes' state change, test it, delete it.
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { upsertEndpoint, type Endpoint } from "../../src/lib/endpoints.js";
import { BgpWindow } from "../../src/ui/bgp-window.js";
import { LauncherWin } from "../../src/ui/launcher-window.js";
import { LauncherSession } from "../../src/launcher/session.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson } from "../helpers/http.js";
import { initGtk, settle, testApplication } from "../helpers/gtk.js";
import { run, waitFor } from "../helpers/process.js";
import { removeTree, REPO_ROOT } from "../helpers/repo.js";

const KEYS = { good: "sk-endpoint-good-000111", broken: "sk-endpoint-broken-000222", hand: "sk-route-by-hand-000333" };

function read(path: string): string {
  return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
}

async function screenshot(title: string, file: string): Promise<void> {
  const dir = `${REPO_ROOT}/test-artifacts`;
  GLib.mkdir_with_parents(dir, 0o755);
  const id = (await run(["xdotool", "search", "--onlyvisible", "--name", `^${title}$`])).stdout.trim().split("\n")[0];
  expect((await run(["import", "-window", id, `${dir}/${file}`])).exitCode).withContext(`screenshot of ${title}`).toBe(0);
}

describe("AI BGP window", () => {
  let home: TestHome;
  let ctx: AppContext;
  let good: FakeProvider;
  let broken: FakeProvider;
  let byHand: FakeProvider;
  let launcher: LauncherWin | null = null;
  let win: BgpWindow | null = null;

  beforeAll(() => initGtk());

  beforeEach(async () => {
    home = makeTestHome("bgp-ui");
    good = new FakeProvider().otherwise({ kind: "text", text: "OK" });
    broken = new FakeProvider().otherwise({ kind: "status", status: 500, body: { error: { message: "the broken provider" } } });
    byHand = new FakeProvider().otherwise({ kind: "text", text: "OK" });
    ctx = await makeTestContext(home);
    const endpoint = (name: string, p: FakeProvider, model: string): Endpoint => ({ name, backend_type: "openai-compat", base_url: p.url, api_key: "",
      default_model: model, models: [model, `${model}-mini`], provider_preset: "Custom" });
    ctx.endpoints.save(upsertEndpoint(upsertEndpoint(ctx.endpoints.doc, endpoint("Good", good, "good-model")), endpoint("Broken", broken, "broken-model")));
    await ctx.endpoints.setKey("Good", KEYS.good);
    await ctx.endpoints.setKey("Broken", KEYS.broken);
  });

  afterEach(async () => {
    win?.dialog?.destroy();
    win?.destroy();
    win = null;
    await ctx.supervisor.stop();
    launcher?.destroy();
    launcher = null;
    for (const p of [good, broken, byHand]) p.stop();
    removeTree(home.home);
  });

  it("creates a pool, reorders its routes, selects it in the launcher, shows its routes' state change live, and tests it", async () => {
    launcher = new LauncherWin(testApplication(), ctx);
    win = new BgpWindow(launcher, ctx, launcher.session);
    win.connect("changed", () => launcher!.refreshEndpoints());
    await settle();
    expect(win.statusLabel.get_text()).toContain("No pools yet");

    // New pool: a route from the Good endpoint, one from Broken, one by hand.
    win.buttons.add.clicked();
    const dialog = win.dialog!;
    dialog.nameEntry.set_text("Main");
    dialog.addFromEndpointButton.clicked();
    expect(dialog.routes()[0]).toEqual(jasmine.objectContaining({ name: "good", endpoint_name: "Good", model: "good-model", priority: 0 }));
    dialog.addFromEndpointButton.clicked();
    dialog.endpointCombo.set_active_id("Broken");
    dialog.routeNameEntry.set_text("broken");
    expect(dialog.routes()[1]).toEqual(jasmine.objectContaining({ name: "broken", endpoint_name: "Broken", model: "broken-model", priority: 1 }));
    dialog.addByHandButton.clicked();
    dialog.routeNameEntry.set_text("hand");
    dialog.urlEntry.set_text(byHand.url);
    dialog.keyEntry.set_text(KEYS.hand);
    (dialog.modelCombo.get_child() as Gtk.Entry).set_text("hand-model");
    // An invalid save says why and writes nothing.
    dialog.nameEntry.set_text("Good");
    expect(await dialog.saveNow()).toBeFalse();
    expect(dialog.errorLabel.get_text()).toContain("An endpoint is named 'Good' too");
    expect(GLib.file_test(home.paths.poolsFile, GLib.FileTest.EXISTS)).toBeFalse();
    dialog.nameEntry.set_text("Main");
    // Reorder: the broken route to the top, the hand-given one up one; the priorities follow.
    dialog.select(1);
    dialog.upButton.clicked();
    expect(dialog.routes().map((r) => [r.name, r.priority])).toEqual([["broken", 0], ["good", 1], ["hand", 2]]);
    dialog.select(2);
    dialog.upButton.clicked();
    expect(dialog.routes().map((r) => r.name)).toEqual(["broken", "hand", "good"]);
    expect(dialog.selectedIndex()).toBe(1);
    // The good route far behind, by priority: the broken one is tried first until its breaker opens.
    dialog.select(2);
    dialog.prioritySpin.set_value(40);
    dialog.select(1);
    dialog.prioritySpin.set_value(30);
    expect(dialog.routes().map((r) => [r.name, r.priority])).toEqual([["broken", 0], ["hand", 30], ["good", 40]]);
    byHand.otherwise({ kind: "status", status: 429, headers: { "Retry-After": "120" } });
    dialog.present();
    await settle(300);
    await screenshot("New AI BGP pool", "ai-bgp-pool-editor.png");
    expect(await dialog.saveNow()).toBeTrue();
    await settle();

    // The file in the original's format, without keys; the hand-given key in the key store.
    const saved = JSON.parse(read(home.paths.poolsFile));
    expect(saved.pools[0]).toEqual(jasmine.objectContaining({ name: "Main", strategy: "failover" }));
    expect(saved.pools[0].routes.map((r: any) => [r.name, r.endpoint_name, r.model, r.priority])).toEqual([["broken", "Broken", "broken-model", 0],
      ["hand", "", "hand-model", 30], ["good", "Good", "good-model", 40]]);
    expect(read(home.paths.poolsFile)).not.toContain(KEYS.hand);
    expect(await ctx.secrets.lookup("bgp-route:Main/hand")).toBe(KEYS.hand);
    expect(win.selectedName()).toBe("Main");
    expect(win.routeRows().map((r) => [r[0], r[2]])).toEqual([["broken", "no traffic yet"], ["hand", "no traffic yet"], ["good", "no traffic yet"]]);

    // Select it in the launcher (🔀 Main) and start it.
    await waitFor(() => { let found = false; launcher!.endpointCombo.get_model().foreach((m, _p, it) => (found = (m.get_value(it, 0) as unknown as string) === "🔀 Main — 3 routes, failover") || false); return found; },
      3000, "the pool in the endpoint selector");
    launcher.endpointCombo.set_active_id("pool:Main");
    expect(launcher.selectedTarget()?.kind).toBe("pool");
    expect(launcher.modelCombo.get_active_id()).toBe("broken-model");
    launcher.proxyButton.clicked();
    await waitFor(() => ctx.supervisor.state === "running", 15000, "the pool's proxy");
    const health = (await getJson(`${ctx.supervisor.url}/health`)).json();
    expect(health.bgp_pool).toBe("Main");
    const cmdline = read(`/proc/${ctx.supervisor.pid}/cmdline`);
    for (const key of Object.values(KEYS)) expect(cmdline).not.toContain(key);

    // Test pool, three times through the running proxy: the broken route fails each time (its breaker
    // opens on the third), the hand-given one is rate limited once and cools down, the good one answers.
    for (let i = 0; i < 3; i++) {
      const line = await win.testSelected();
      expect(line).toMatch(/^OK in \d+ ms through route 'good' \(the running proxy\) — answered "OK"/);
    }
    await waitFor(() => win!.routeRows().some((r) => r[0] === "broken" && r[2] === "open (resting)"), 5000, "the broken route shown open");
    const rows = Object.fromEntries(win.routeRows().map((r) => [r[0], r]));
    expect(rows.broken[5]).toBe("3 in a row · 3 of 3");
    expect(rows.broken[7]).toMatch(/^until \d\d:\d\d:\d\d \(\d+ s\)$/);
    expect(rows.broken[8]).toContain("the broken provider");
    expect(rows.hand[2]).toBe("cooling down");
    expect(rows.hand[7]).toMatch(/^until \d\d:\d\d:\d\d \((1[01]\d|120) s\)$/);
    expect(rows.good[2]).toBe("up");
    expect(rows.good[4]).toMatch(/^\d+ ms$/);
    expect(win.stateTitle.get_text()).toContain("the running proxy routes this pool");
    // Shown in the order the next request would try them.
    expect(win.routeRows().map((r) => r[0])).toEqual(["good", "broken", "hand"]);
    expect(broken.chatRequests().length).toBe(3);
    expect(byHand.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEYS.hand}`);
    expect(broken.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEYS.broken}`);

    // Make it the default: endpoints.json names it, the launcher marks it.
    win.buttons.setDefault.clicked();
    expect(JSON.parse(read(home.paths.endpointsFile)).default).toBe("Main");
    expect(launcher.endpointCombo.get_active_text()).toBe("★ 🔀 Main — 3 routes, failover");
    win.present();
    await settle(400);
    await screenshot("AI BGP", "ai-bgp-window.png");
  }, 60000);

  it("edits a pool the running proxy serves (the proxy follows), and deletes one only after asking", async () => {
    ctx.pools.save({ pools: [{ name: "Duo", strategy: "failover", routes: [
      { name: "g", endpoint_name: "Good", target_url: "", api_key: "", model: "", priority: 0 },
      { name: "h", endpoint_name: "", target_url: byHand.url, api_key: "", model: "hm", priority: 1, backend_type: "openai-compat" }] }] });
    await ctx.pools.savePool(ctx.pools.doc, ctx.pools.doc.pools[0], "Duo", new Map([["h", KEYS.hand]]));
    const session = new LauncherSession(ctx);
    win = new BgpWindow(null, ctx, session);
    await settle();
    expect(win.selectedName()).toBe("Duo");
    // Not running yet: the test goes through a temporary proxy for the pool.
    await win.testSelected();
    expect(win.statusLabel.get_text()).toMatch(/through route 'g' \(a temporary proxy\)/);
    await session.ensureProxy({ kind: "pool", pool: ctx.pools.find("Duo")! }, "");
    const pid = ctx.supervisor.pid;
    expect((await getJson(`${ctx.supervisor.url}/health`)).json().bgp_strategy).toBe("failover");
    // Edit: race strategy; the key of the hand-given route is kept (loaded into the editor).
    win.buttons.edit.clicked();
    const dialog = win.dialog!;
    await waitFor(() => { dialog.select(1); return dialog.keyEntry.get_text() === KEYS.hand; }, 3000, "the route key in the editor");
    dialog.strategyCombo.set_active_id("race");
    expect(await dialog.saveNow()).toBeTrue();
    expect(ctx.pools.find("Duo")!.strategy).toBe("race");
    expect(await ctx.secrets.lookup("bgp-route:Duo/h")).toBe(KEYS.hand);
    // The running proxy follows the edited pool.
    await waitFor(async () => ctx.supervisor.state === "running" && ctx.supervisor.pid !== pid &&
      (await getJson(`${ctx.supervisor.url}/health`)).json().bgp_strategy === "race", 15000, "the proxy to follow the edit");
    // Delete: Cancel keeps it, Delete removes it and its route's key.
    win.buttons.remove.clicked();
    win.confirm!.response(Gtk.ResponseType.CANCEL);
    expect(ctx.pools.doc.pools.length).toBe(1);
    win.buttons.remove.clicked();
    win.confirm!.response(Gtk.ResponseType.ACCEPT);
    await waitFor(() => ctx.pools.doc.pools.length === 0, 5000, "the deletion");
    expect(JSON.parse(read(home.paths.poolsFile)).pools).toEqual([]);
    expect(await ctx.secrets.lookup("bgp-route:Duo/h")).toBeNull();
  }, 40000);
});
