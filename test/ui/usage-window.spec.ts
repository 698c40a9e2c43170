// The Usage window with real widgets under Xvfb, the real proxy (one endpoint, and a pool beside it)
// and fake providers on loopback: the numbers, badges and Cairo plots change as requests go through,
// by the file monitor alone; prices and budgets are edited in their dialog and the budget alerts fire.
import Cairo from "cairo";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../../src/launcher/app-context.js";
import { BudgetWatcher } from "../../src/launcher/budget-watcher.js";
import { LauncherSession } from "../../src/launcher/session.js";
import { upsertEndpoint } from "../../src/lib/endpoints.js";
import { UsageWindow } from "../../src/ui/usage-window.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { request } from "../helpers/http.js";
import { initGtk, settle } from "../helpers/gtk.js";
import { run, waitFor } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { removeTree, REPO_ROOT } from "../helpers/repo.js";

/** What a plot shows, as PNG bytes' checksum (rendered off screen through the widget's own draw handler). */
function plotChecksum(area: Gtk.Widget, path: string): string {
  const surface = new Cairo.ImageSurface(Cairo.Format.ARGB32, area.get_allocated_width(), area.get_allocated_height());
  const cr = new Cairo.Context(surface);
  area.draw(cr as never);
  surface.writeToPNG(path);
  (surface as unknown as { $dispose?: () => void }).$dispose?.();
  const [, bytes] = GLib.file_get_contents(path);
  return GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, bytes)!;
}

describe("Usage window", () => {
  let home: TestHome;
  let ctx: AppContext;
  let work: FakeProvider;
  let poolRoute: FakeProvider;
  let pool: RunningProxy | null = null;
  let win: UsageWindow | null = null;

  beforeAll(() => initGtk());

  beforeEach(async () => {
    home = makeTestHome("usage-ui");
    work = new FakeProvider().otherwise({ kind: "text", text: "done", usage: { prompt: 1000, completion: 200, cached: 400 } });
    poolRoute = new FakeProvider().otherwise({ kind: "text", text: "pooled", usage: { prompt: 300, completion: 30 } });
    ctx = await makeTestContext(home);
    ctx.endpoints.save(upsertEndpoint(ctx.endpoints.doc, { name: "Work", backend_type: "openai-compat", base_url: work.url, api_key: "", default_model: "work-model",
      models: ["work-model"], provider_preset: "Custom" }));
  });

  afterEach(async () => {
    win?.prices?.destroy();
    win?.destroy();
    win = null;
    await pool?.child.stop();
    pool = null;
    await ctx.supervisor.stop();
    work.stop();
    poolRoute.stop();
    removeTree(home.home);
  });

  it("shows totals, provider cards with ERR/WARN badges and plots that change as requests go through, costs from the price table, budget alerts", async () => {
    win = new UsageWindow(null, ctx);
    win.present();
    await settle(300);
    expect(win.updatedLabel.get_text()).toBe("no usage recorded yet");
    expect(win.kpis.requests.get_text()).toBe("0");
    const plots = `${home.home}/plots`;
    GLib.mkdir_with_parents(plots, 0o700);
    const before = [win.last24hArea, win.last7dArea, win.ttfbArea].map((a, i) => plotChecksum(a, `${plots}/before-${i}.png`));

    // One endpoint through the launcher's proxy: 10 requests, one of them failed (10 %: WARN).
    const session = new LauncherSession(ctx);
    await session.ensureProxy({ kind: "endpoint", endpoint: ctx.endpoints.doc.endpoints[0] }, "work-model");
    work.then(...Array(4).fill({ kind: "text", text: "done", usage: { prompt: 1000, completion: 200, cached: 400 } }), { kind: "status", status: 400, body: { error: { message: "bad" } } });
    const auth = { Authorization: `Bearer ${ctx.clientToken}` };
    for (let i = 0; i < 10; i++) await request("POST", `${ctx.supervisor.url}/v1/responses`, JSON.stringify({ model: "work-model", input: `q${i}` }), auth);
    // The window follows the proxy's file (no polling): wait for its numbers.
    await waitFor(() => win!.summary.requests === 10, 15000, "the first ten requests in the window");
    const host = `127.0.0.1:${work.port}`;
    expect(win.kpis.requests.get_text()).toBe("10");
    expect(win.kpis.success.get_text()).toBe("90.0 %");
    expect(win.kpis.tokensIn.get_text()).toBe("9.0k");
    expect(win.kpis.tokensOut.get_text()).toBe("1.8k");
    expect(win.cards.get(host)!.badge.get_text()).toBe("WARN");
    expect(win.cards.get(host)!.badge.get_style_context().has_class("usage-badge-warn")).toBeTrue();
    expect(win.cards.get(host)!.body.get_text()).toContain("10 requests · 9 ok · 1 failed (10 %)");
    expect(win.budgetsLabel.get_text()).toContain("No price for work-model");

    // A pool next to it (another proxy writing the same files): 2 answers then its only route fails twice (50 %: ERR).
    poolRoute.then({ kind: "text", text: "pooled", usage: { prompt: 300, completion: 30 } }, { kind: "text", text: "pooled", usage: { prompt: 300, completion: 30 } },
      { kind: "status", status: 500 }, { kind: "status", status: 500 });
    poolRoute.otherwise({ kind: "status", status: 500 });
    pool = await startProxy(["--log-dir", home.paths.cacheDir], { env: { CODEX_PROXY_ROUTES: JSON.stringify({ pool: "Main", strategy: "failover",
      routes: [{ name: "only", backend: "openai-compat", target_url: poolRoute.url, api_key: "", model: "pool-model", priority: 0 }] }) } });
    for (let i = 0; i < 4; i++) await request("POST", `${pool.url}/v1/responses`, JSON.stringify({ model: "x", input: `p${i}` }));
    await waitFor(() => win!.summary.requests === 14, 15000, "the pool's requests in the window");
    expect(win.cards.get("bgp:Main")!.badge.get_text()).toBe("ERR");
    expect(win.cards.get("bgp:Main")!.body.get_text()).toContain("↳ route only: 2/4 ok, 2 failed");
    expect(win.cards.get(host)!.badge.get_text()).toBe("WARN");
    expect(win.kpis.tokensIn.get_text()).toBe("9.6k");
    // The plots drew the new hours' tokens and the first-byte times.
    const s = win.summary;
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(s.last24h.tokensIn) + sum(s.last24h.tokensOut)).toBe(9 * 1200 + 2 * 330);
    expect(s.cards.find((c) => c.key === host)!.ttfbP50).not.toBeNull();
    await settle(200);
    const after = [win.last24hArea, win.last7dArea, win.ttfbArea].map((a, i) => plotChecksum(a, `${plots}/after-${i}.png`));
    after.forEach((sum, i) => expect(sum).withContext(`plot ${i}`).not.toBe(before[i]));

    // Prices & budgets: a price for the endpoint's model and a budget; the budget alerts at 80 % then at 100 %.
    const alerts: string[] = [];
    const budgets = new BudgetWatcher(ctx.paths, ctx.usageFeed, ctx.usageSettings, (title) => alerts.push(title));
    budgets.start();
    win.pricesButton.clicked();
    const prices = win.prices!;
    const row = prices.pathOf("work-model")!;
    prices.priceCells.input.emit("edited", row, "2");
    prices.priceCells.output.emit("edited", row, "8");
    prices.priceCells.cached.emit("edited", row, "0.5");
    prices.budgetCell.emit("edited", prices.budgetPathOf("Work")!, "0.035");
    prices.present();
    await settle(300);
    expect(prices.saveNow()).toBeTrue();
    // 9 answers: 5400 fresh in at $2, 3600 cached at $0.5, 1800 out at $8 per million = $0.0270.
    await waitFor(() => win!.kpis.costToday.get_text() === "$0.0270", 5000, "the cost from the new prices");
    expect(win.kpis.costMonth.get_text()).toBe("$0.0270");
    expect(win.budgetsLabel.get_text()).toContain("Budget Work: $0.0270 of $0.0350 this month (77 %)");
    expect(alerts).toEqual([]);
    await request("POST", `${ctx.supervisor.url}/v1/responses`, JSON.stringify({ model: "work-model", input: "one more" }), auth);
    await waitFor(() => alerts.length === 1, 15000, "the 80 % alert");
    expect(alerts[0]).toBe("80 % of the monthly budget used for 'Work'");
    for (let i = 0; i < 2; i++) await request("POST", `${ctx.supervisor.url}/v1/responses`, JSON.stringify({ model: "work-model", input: `more ${i}` }), auth);
    await waitFor(() => alerts.length === 2, 15000, "the 100 % alert");
    expect(alerts[1]).toBe("Monthly budget reached for 'Work'");
    expect(win.budgetsLabel.get_text()).toMatch(/✖ Budget Work: \$0\.03\d\d of \$0\.0350 this month \(1\d\d %\)/);
    // Given once a month: a restart of the watcher does not repeat them.
    budgets.stop();
    const again = new BudgetWatcher(ctx.paths, ctx.usageFeed, ctx.usageSettings, (title) => alerts.push(title));
    expect(again.check()).toEqual([]);
    expect(JSON.parse(new TextDecoder().decode(GLib.file_get_contents(ctx.paths.usageSettingsFile)[1]))).toEqual(jasmine.objectContaining({
      prices: { "work-model": { input: 2, output: 8, cached: 0.5 } }, budgets: { Work: 0.035 } }));

    const dir = `${REPO_ROOT}/test-artifacts`;
    GLib.mkdir_with_parents(dir, 0o755);
    win.present();
    await settle(400);
    const id = (await run(["xdotool", "search", "--onlyvisible", "--name", "^Usage$"])).stdout.trim().split("\n")[0];
    expect((await run(["import", "-window", id, `${dir}/usage-window.png`])).exitCode).toBe(0);
    for (let i = 0; i < 3; i++) GLib.spawn_command_line_sync(`cp ${plots}/after-${i}.png ${dir}/usage-plot-${["24h", "7d", "ttfb"][i]}.png`);
  }, 90000);
});
