// AI BGP: the pools (create, edit, delete, make one the default, test it) and, live, the state of the
// selected pool's routes as the proxy last wrote it (bgp-route-stats.json, followed by a file monitor).
import GObject from "gi://GObject";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { removePool, sortedRoutes, upsertPool, type BgpPool } from "../lib/bgp-pools.js";
import { setDefaultEndpoint } from "../lib/endpoints.js";
import { poolRoutes, type RouteStatsEntry } from "../lib/route-stats.js";
import type { AppContext } from "../launcher/app-context.js";
import { testPool } from "../launcher/endpoint-tools.js";
import type { LauncherSession } from "../launcher/session.js";
import { PoolDialog } from "./pool-dialog.js";

enum PoolColumn { DEFAULT, NAME, STRATEGY, ROUTES }
enum RouteColumn { ROUTE, MODEL, STATE, SCORE, TTFB, FAILURES, ERROR_RATE, UNTIL, LAST_ERROR }

const STATE_TEXT: Record<RouteStatsEntry["state"], string> = { closed: "up", open: "open (resting)", half_open: "half-open (probe next)", cooling: "cooling down" };

function clock(epochS: number | null): string {
  if (epochS === null) return "";
  return GLib.DateTime.new_from_unix_local(Math.floor(epochS)).format("%H:%M:%S") ?? "";
}

/** One row of the live table (pure formatting of a route's stats entry). */
export function routeRow(e: RouteStatsEntry, nowS: number): string[] {
  const until = e.state === "open" ? e.open_until_ts : e.state === "cooling" ? e.rate_limited_until : null;
  return [e.route, e.model, STATE_TEXT[e.state], e.score.toFixed(1), e.ewma_latency_s === null ? "—" : `${Math.round(e.ewma_latency_s * 1000)} ms`,
    `${e.consecutive_failures} in a row · ${e.failures} of ${e.requests}`, `${Math.round(e.error_rate * 100)} %`,
    until !== null && until > nowS ? `until ${clock(until)} (${Math.ceil(until - nowS)} s)` : "", e.last_error ?? ""];
}

export class BgpWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherBgpWindow", Signals: { changed: {} } }, this);
  }

  readonly poolsStore: Gtk.ListStore;
  readonly poolsView: Gtk.TreeView;
  readonly buttons: Record<"add" | "edit" | "remove" | "setDefault" | "test" | "close", Gtk.Button>;
  readonly routesStore: Gtk.ListStore;
  readonly routesView: Gtk.TreeView;
  readonly stateTitle: Gtk.Label;
  readonly statusLabel: Gtk.Label;
  /** The open pool editor or delete confirmation, if any (specs drive them). */
  dialog: PoolDialog | null = null;
  confirm: Gtk.MessageDialog | null = null;
  #unsubscribe: (() => void)[] = [];

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext, private readonly session: LauncherSession) {
    super({ title: "AI BGP", default_width: 1040, default_height: 600, ...(parent ? { transient_for: parent } : {}) });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    box.add(new Gtk.Label({ label: "<b>AI BGP pools</b> — one Codex session over several providers: the best route answers, the next one takes over before the first byte",
      use_markup: true, xalign: 0, wrap: true }));
    this.poolsStore = new Gtk.ListStore();
    this.poolsStore.set_column_types(Array(4).fill(GObject.TYPE_STRING));
    this.poolsView = new Gtk.TreeView({ model: this.poolsStore });
    for (const [title, column] of [["", PoolColumn.DEFAULT], ["Pool", PoolColumn.NAME], ["Strategy", PoolColumn.STRATEGY], ["Routes (in order)", PoolColumn.ROUTES]] as const)
      this.poolsView.append_column(textColumn(title, column));
    this.poolsView.connect("row-activated", () => this.editSelected());
    const poolsScroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN, min_content_height: 120 });
    poolsScroller.add(this.poolsView);
    box.add(poolsScroller);
    this.buttons = {
      add: new Gtk.Button({ label: "New pool" }), edit: new Gtk.Button({ label: "Edit" }), remove: new Gtk.Button({ label: "Delete" }),
      setDefault: new Gtk.Button({ label: "Set Default" }), test: new Gtk.Button({ label: "Test pool" }), close: new Gtk.Button({ label: "Close" }),
    };
    const bar = new Gtk.Box({ spacing: 6 });
    for (const key of ["add", "edit", "remove", "setDefault", "test"] as const) bar.add(this.buttons[key]);
    box.add(bar);

    this.stateTitle = new Gtk.Label({ xalign: 0, use_markup: true });
    box.add(this.stateTitle);
    this.routesStore = new Gtk.ListStore();
    this.routesStore.set_column_types(Array(9).fill(GObject.TYPE_STRING));
    this.routesView = new Gtk.TreeView({ model: this.routesStore, vexpand: true });
    for (const [title, column] of [["Route", RouteColumn.ROUTE], ["Model", RouteColumn.MODEL], ["State", RouteColumn.STATE], ["Score", RouteColumn.SCORE],
      ["First byte (EWMA)", RouteColumn.TTFB], ["Failures", RouteColumn.FAILURES], ["Errors (10 min)", RouteColumn.ERROR_RATE], ["Back", RouteColumn.UNTIL],
      ["Last error", RouteColumn.LAST_ERROR]] as const) this.routesView.append_column(textColumn(title, column));
    this.routesView.set_tooltip_text("Lower scores are tried first: 10 × priority + 5 × first-byte seconds (EWMA, at most 50) + 100 × the share of " +
      "failed tries in the last 10 minutes + the blended price per million tokens (at most 50). Open: 3 failures in a row, rests 60 s, then one probe. " +
      "Cooling down: the provider said 429.");
    const routesScroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN, min_content_height: 160 });
    routesScroller.add(this.routesView);
    box.add(routesScroller);
    this.statusLabel = new Gtk.Label({ xalign: 0, wrap: true, selectable: true });
    box.add(this.statusLabel);
    const bottom = new Gtk.Box({ spacing: 6 });
    bottom.pack_end(this.buttons.close, false, false, 0);
    box.add(bottom);
    this.add(box);

    this.buttons.add.connect("clicked", () => this.openDialog(null));
    this.buttons.edit.connect("clicked", () => this.editSelected());
    this.buttons.remove.connect("clicked", () => this.#askDelete());
    this.buttons.setDefault.connect("clicked", () => this.#setDefaultSelected());
    this.buttons.test.connect("clicked", () => void this.testSelected());
    this.buttons.close.connect("clicked", () => this.destroy());
    this.poolsView.get_selection().connect("changed", () => {
      this.#updateSensitivity();
      this.renderRoutes();
    });
    this.#unsubscribe.push(ctx.usageFeed.subscribe(() => this.renderRoutes()));
    this.connect("destroy", () => this.#unsubscribe.splice(0).forEach((u) => u()));
    this.refresh();
    if (ctx.pools.doc.pools.length > 0) this.select(ctx.pools.doc.pools[0].name);
    this.show_all();
  }

  refresh(): void {
    const selected = this.selectedName();
    const { doc } = this.ctx.pools;
    this.poolsStore.clear();
    for (const p of doc.pools)
      this.poolsStore.set(this.poolsStore.append(), [PoolColumn.DEFAULT, PoolColumn.NAME, PoolColumn.STRATEGY, PoolColumn.ROUTES],
        [this.ctx.endpoints.doc.default === p.name ? "★" : "", p.name, p.strategy, sortedRoutes(p).map((r) => `${r.name}/${r.model || "default"}`).join(" → ")]);
    if (this.ctx.pools.loadError) this.statusLabel.set_text(this.ctx.pools.loadError);
    else if (doc.pools.length === 0) this.statusLabel.set_text("No pools yet. A pool routes one Codex session over several endpoints; create one with New pool.");
    if (selected) this.select(selected);
    this.#updateSensitivity();
    this.renderRoutes();
  }

  selectedName(): string | null {
    const [ok, model, iter] = this.poolsView.get_selection().get_selected();
    return ok && model && iter ? (model.get_value(iter, PoolColumn.NAME) as unknown as string) : null;
  }

  select(name: string): void {
    const index = this.ctx.pools.doc.pools.findIndex((p) => p.name === name);
    if (index >= 0) this.poolsView.get_selection().select_path(Gtk.TreePath.new_from_indices([index]));
  }

  #updateSensitivity(): void {
    const has = this.selectedName() !== null;
    for (const key of ["edit", "remove", "setDefault", "test"] as const) this.buttons[key].sensitive = has;
  }

  /** The live table: the selected pool's routes as the proxy last saw them (the file is followed, not polled). */
  renderRoutes(): void {
    const name = this.selectedName();
    const pool = name ? this.ctx.pools.find(name) : null;
    this.routesStore.clear();
    if (!pool) {
      this.stateTitle.set_markup("<b>Route state</b>");
      return;
    }
    // In the order the next request would try them: routes that may take traffic first, by score.
    const resting = (e: RouteStatsEntry) => (e.state === "open" || e.state === "cooling" ? 1 : 0);
    const entries = poolRoutes(this.ctx.usageFeed.routes, pool.name).sort((a, b) => resting(a) - resting(b) || a.score - b.score);
    const nowS = Date.now() / 1000;
    const seen = new Set<string>();
    for (const e of entries) {
      seen.add(e.route);
      this.routesStore.set(this.routesStore.append(), Object.values(RouteColumn).filter((v) => typeof v === "number") as number[], routeRow(e, nowS));
    }
    // Routes no proxy has used yet.
    for (const r of sortedRoutes(pool)) if (!seen.has(r.name))
      this.routesStore.set(this.routesStore.append(), [RouteColumn.ROUTE, RouteColumn.MODEL, RouteColumn.STATE], [r.name, r.model || "(endpoint default)", "no traffic yet"]);
    const s = this.ctx.supervisor;
    const active = s.running && s.spec?.pool?.pool === pool.name;
    const updated = entries.length ? clock(Math.max(...entries.map((e) => e.updated))) : "";
    this.stateTitle.set_markup(`<b>Route state — ${GLib.markup_escape_text(pool.name, -1)}</b>  ${active ? "(the running proxy routes this pool)" : "(not the running proxy's pool)"}` +
      `${updated ? `  · updated ${updated}` : ""}`);
  }

  /** The live table's text, row by row (specs read it). */
  routeRows(): string[][] {
    const rows: string[][] = [];
    this.routesStore.foreach((model, _path, iter) => {
      rows.push(Array.from({ length: 9 }, (_, i) => (model.get_value(iter, i) as unknown as string) ?? ""));
      return false;
    });
    return rows;
  }

  editSelected(): void {
    const name = this.selectedName();
    const pool = name ? this.ctx.pools.find(name) : null;
    if (pool) this.openDialog(pool);
  }

  openDialog(pool: BgpPool | null): PoolDialog {
    this.dialog?.destroy();
    const dialog = new PoolDialog(this, {
      endpoints: () => this.ctx.endpoints.doc.endpoints,
      otherPools: () => this.ctx.pools.doc.pools,
      keyFor: (poolName, route) => this.ctx.pools.keyFor(poolName, route),
      save: async (saved, originalName, keys) => {
        try {
          let endpointsDoc = this.ctx.endpoints.doc;
          await this.ctx.pools.savePool(upsertPool(this.ctx.pools.doc, saved, originalName ?? undefined), saved, originalName, keys);
          // A renamed default pool stays the default.
          if (originalName && originalName !== saved.name && endpointsDoc.default === originalName) {
            endpointsDoc = { ...endpointsDoc, default: saved.name };
            this.ctx.endpoints.save(endpointsDoc);
          }
          this.ctx.log.write(`AI BGP pool '${saved.name}' saved (${saved.routes.length} routes, ${saved.strategy})`);
        } catch (e) {
          return `Could not save: ${(e as Error).message}`;
        }
        this.#changed();
        this.select(saved.name);
        // A proxy running this pool follows the edit.
        void this.session.poolChanged(saved.name).catch((e) => this.statusLabel.set_text(`The running proxy could not follow the edit: ${(e as Error).message}`));
        return null;
      },
    }, pool);
    dialog.connect("destroy", () => {
      if (this.dialog === dialog) this.dialog = null;
    });
    this.dialog = dialog;
    return dialog;
  }

  #changed(): void {
    this.refresh();
    this.emit("changed");
  }

  #askDelete(): void {
    const name = this.selectedName();
    if (!name) return;
    const confirm = new Gtk.MessageDialog({ transient_for: this, modal: true, message_type: Gtk.MessageType.QUESTION, buttons: Gtk.ButtonsType.NONE,
      text: `Delete the pool '${name}'?`, secondary_text: "Its routes' own keys are removed from the keyring. The endpoints it used stay." });
    confirm.add_button("Cancel", Gtk.ResponseType.CANCEL);
    confirm.add_button("Delete", Gtk.ResponseType.ACCEPT);
    this.confirm = confirm;
    confirm.connect("response", (_d, response: number) => {
      confirm.destroy();
      this.confirm = null;
      if (response === Gtk.ResponseType.ACCEPT) void this.#delete(name);
    });
    confirm.show_all();
  }

  async #delete(name: string): Promise<void> {
    try {
      await this.ctx.pools.deletePool(removePool(this.ctx.pools.doc, name), name);
      const doc = this.ctx.endpoints.doc;
      if (doc.default === name) this.ctx.endpoints.save({ ...doc, default: doc.endpoints[0]?.name ?? null });
      this.statusLabel.set_text(`Pool '${name}' deleted.`);
    } catch (e) {
      this.statusLabel.set_text(`Could not delete: ${(e as Error).message}`);
    }
    this.#changed();
  }

  #setDefaultSelected(): void {
    const name = this.selectedName();
    if (!name) return;
    try {
      this.ctx.endpoints.save(setDefaultEndpoint(this.ctx.endpoints.doc, name, this.ctx.pools.names()));
      this.statusLabel.set_text(`'${name}' is the default: the launcher and --headless start with it.`);
    } catch (e) {
      this.statusLabel.set_text(`Could not set the default: ${(e as Error).message}`);
    }
    this.#changed();
  }

  /** Sends one request through the selected pool; resolves with the line shown. */
  async testSelected(): Promise<string> {
    const name = this.selectedName();
    const pool = name ? this.ctx.pools.find(name) : null;
    if (!pool) return "";
    this.buttons.test.sensitive = false;
    this.statusLabel.set_text(`Testing '${pool.name}'…`);
    let line: string;
    try {
      const spec = await this.session.specFor({ kind: "pool", pool }, "");
      const result = await testPool(this.ctx.paths, this.ctx.proxyArgv, this.ctx.supervisor, spec, (l) => this.ctx.log.write(`[test] ${l}`), this.ctx.clientToken);
      line = result.ok ? `OK in ${result.latencyMs} ms through route '${result.route ?? "?"}' (${result.through === "running" ? "the running proxy" : "a temporary proxy"}) — ${result.detail}`
        : `Failed after ${result.latencyMs} ms — ${result.detail}`;
    } catch (e) {
      line = `Failed — ${(e as Error).message}`;
    }
    this.buttons.test.sensitive = this.selectedName() !== null;
    this.statusLabel.set_text(line);
    // The proxy wrote its route stats as it went; read them now rather than wait for the monitor.
    this.ctx.usageFeed.reload();
    return line;
  }
}

function textColumn(title: string, column: number): Gtk.TreeViewColumn {
  const col = new Gtk.TreeViewColumn({ title, resizable: true });
  const cell = new Gtk.CellRendererText();
  col.pack_start(cell, true);
  col.add_attribute(cell, "text", column);
  return col;
}
