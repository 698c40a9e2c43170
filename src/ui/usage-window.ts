// Usage: totals, a card per provider with its error badge, and Cairo plots (tokens per hour over 24 h
// and 7 days, first-byte p50/p90 per provider). It follows usage-stats.json through the usage feed (a
// file monitor): it redraws when the proxy writes, never on a timer.
import Gdk from "gi://Gdk?version=3.0";
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../launcher/app-context.js";
import { summarize, type ProviderCard, type UsageSummary } from "../launcher/usage-summary.js";
import { formatCount } from "./plot-geometry.js";
import { PricesDialog } from "./prices-dialog.js";
import { drawTokenBars, drawTtfb, type CairoContext } from "./usage-plots.js";

const CSS = `
.usage-badge { border-radius: 9px; padding: 1px 9px; font-weight: bold; color: #ffffff; }
.usage-badge-err { background-color: #c01c28; }
.usage-badge-warn { background-color: #e5a50a; color: #241f31; }
.usage-badge-ok { background-color: #26a269; }
.usage-kpi-value { font-size: 15pt; font-weight: bold; }
.usage-kpi-name { color: #77767b; }
`;

let cssInstalled = false;
function installCss(): void {
  if (cssInstalled) return;
  const provider = new Gtk.CssProvider();
  provider.load_from_data(CSS);
  const screen = Gdk.Screen.get_default();
  if (screen) Gtk.StyleContext.add_provider_for_screen(screen, provider, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION);
  cssInstalled = true;
}

export function money(usd: number): string {
  return usd >= 100 ? `$${usd.toFixed(0)}` : usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** The text lines of a provider card (pure). */
export function cardLines(c: ProviderCard): string[] {
  const lines = [
    `${c.requests} requests · ${c.successes} ok · ${c.failures} failed (${Math.round(c.failureRate * 100)} %)`,
    `tokens ${formatCount(c.tokensIn)} in (${formatCount(c.tokensCached)} cached) · ${formatCount(c.tokensOut)} out${c.estimated ? ` · ${c.estimated} estimated` : ""}`,
    `first byte p50 ${c.ttfbP50 === null ? "—" : `${c.ttfbP50} ms`} · p90 ${c.ttfbP90 === null ? "—" : `${c.ttfbP90} ms`}${c.avgDurationS === null ? "" : ` · avg ${c.avgDurationS.toFixed(1)} s`}`,
    `cost ${money(c.costUsd)} · last used ${c.lastUsed ? c.lastUsed.replace("T", " ").slice(0, 19) : "never"}`,
    ...c.topModels.map((m) => `  ${m.model}: ${m.requests} (${Math.round(m.share * 100)} %), ${formatCount(m.tokens)} tokens`),
    ...c.routes.map((r) => `  ↳ route ${r.name}: ${r.successes}/${r.requests} ok, ${r.failures} failed, ${formatCount(r.tokensIn + r.tokensOut)} tokens`),
  ];
  if (c.lastError) lines.push(`last error: ${c.lastError.length > 140 ? `${c.lastError.slice(0, 139)}…` : c.lastError}`);
  return lines;
}

interface CardWidgets {
  frame: Gtk.Frame;
  badge: Gtk.Label;
  body: Gtk.Label;
}

export class UsageWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherUsageWindow" }, this);
  }

  readonly updatedLabel: Gtk.Label;
  readonly kpis: Record<"requests" | "success" | "tokensIn" | "tokensOut" | "costToday" | "costMonth", Gtk.Label>;
  readonly budgetsLabel: Gtk.Label;
  readonly last24hArea: Gtk.DrawingArea;
  readonly last7dArea: Gtk.DrawingArea;
  readonly ttfbArea: Gtk.DrawingArea;
  readonly cardsBox: Gtk.FlowBox;
  readonly pricesButton: Gtk.Button;
  readonly openLogButton: Gtk.Button;
  readonly closeButton: Gtk.Button;
  readonly statusLabel: Gtk.Label;
  /** What is shown now (specs read it). */
  summary: UsageSummary;
  cards = new Map<string, CardWidgets>();
  prices: PricesDialog | null = null;
  #unsubscribe: (() => void)[] = [];

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext) {
    super({ title: "Usage", default_width: 1000, default_height: 780, ...(parent ? { transient_for: parent } : {}) });
    installCss();
    const outer = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    const head = new Gtk.Box({ spacing: 8 });
    head.add(new Gtk.Label({ label: "<b>Usage</b>", use_markup: true, xalign: 0, hexpand: true }));
    this.updatedLabel = new Gtk.Label({ xalign: 1 });
    head.add(this.updatedLabel);
    outer.add(head);

    const kpiGrid = new Gtk.Grid({ column_spacing: 28, row_spacing: 2, column_homogeneous: true });
    const kpiNames = [["requests", "Requests"], ["success", "Success rate"], ["tokensIn", "Tokens in"], ["tokensOut", "Tokens out"], ["costToday", "Cost today"],
      ["costMonth", "Cost this month"]] as const;
    const kpis = {} as Record<(typeof kpiNames)[number][0], Gtk.Label>;
    kpiNames.forEach(([id, name], i) => {
      const value = new Gtk.Label({ label: "—", xalign: 0 });
      value.get_style_context().add_class("usage-kpi-value");
      const caption = new Gtk.Label({ label: name, xalign: 0 });
      caption.get_style_context().add_class("usage-kpi-name");
      kpiGrid.attach(value, i, 0, 1, 1);
      kpiGrid.attach(caption, i, 1, 1, 1);
      kpis[id] = value;
    });
    this.kpis = kpis;
    outer.add(kpiGrid);
    this.budgetsLabel = new Gtk.Label({ xalign: 0, wrap: true, use_markup: true });
    outer.add(this.budgetsLabel);

    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 10 });
    const plots = new Gtk.Grid({ column_spacing: 10, row_spacing: 10, column_homogeneous: true });
    this.last24hArea = this.#plotArea((cr, w, h) => drawTokenBars(cr, w, h, "Tokens per hour — last 24 h", this.summary.last24h, false));
    this.last7dArea = this.#plotArea((cr, w, h) => drawTokenBars(cr, w, h, "Tokens per hour — last 7 days", this.summary.last7d, true));
    this.ttfbArea = this.#plotArea((cr, w, h) => drawTtfb(cr, w, h, "First byte per provider (p50 / p90)",
      this.summary.cards.map((c) => ({ label: c.label ?? c.key, p50: c.ttfbP50, p90: c.ttfbP90 }))));
    plots.attach(this.last24hArea, 0, 0, 1, 1);
    plots.attach(this.ttfbArea, 1, 0, 1, 1);
    plots.attach(this.last7dArea, 0, 1, 2, 1);
    content.add(plots);
    content.add(new Gtk.Label({ label: "<b>Providers</b>", use_markup: true, xalign: 0 }));
    this.cardsBox = new Gtk.FlowBox({ selection_mode: Gtk.SelectionMode.NONE, max_children_per_line: 2, min_children_per_line: 2, column_spacing: 10,
      row_spacing: 10, homogeneous: true, valign: Gtk.Align.START });
    content.add(this.cardsBox);
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, hscrollbar_policy: Gtk.PolicyType.NEVER });
    scroller.add(content);
    outer.add(scroller);

    this.statusLabel = new Gtk.Label({ xalign: 0, wrap: true });
    outer.add(this.statusLabel);
    const bar = new Gtk.Box({ spacing: 6 });
    this.pricesButton = new Gtk.Button({ label: "Prices & budgets" });
    this.openLogButton = new Gtk.Button({ label: "Open requests.log" });
    this.closeButton = new Gtk.Button({ label: "Close" });
    bar.add(this.pricesButton);
    bar.add(this.openLogButton);
    bar.pack_end(this.closeButton, false, false, 0);
    outer.add(bar);
    this.add(outer);

    this.pricesButton.connect("clicked", () => this.openPrices());
    this.openLogButton.connect("clicked", () => this.#openLog());
    this.closeButton.connect("clicked", () => this.destroy());
    this.summary = summarize(ctx.usageFeed.usage, ctx.usageSettings.settings, Date.now());
    this.#unsubscribe.push(ctx.usageFeed.subscribe(() => this.refresh()), ctx.usageSettings.onChange(() => this.refresh()));
    this.connect("destroy", () => this.#unsubscribe.splice(0).forEach((u) => u()));
    this.refresh();
    this.show_all();
  }

  #plotArea(draw: (cr: CairoContext, width: number, height: number) => void): Gtk.DrawingArea {
    const area = new Gtk.DrawingArea({ hexpand: true });
    area.set_size_request(-1, 150);
    area.connect("draw", (widget: Gtk.DrawingArea, cr: unknown) => {
      const context = cr as CairoContext & { $dispose(): void };
      draw(context, widget.get_allocated_width(), widget.get_allocated_height());
      // gjs keeps the cairo context alive until the next GC unless it is let go here.
      context.$dispose();
      return true;
    });
    return area;
  }

  /** Recomputes and shows everything from the last reading of the files. */
  refresh(): void {
    const s = summarize(this.ctx.usageFeed.usage, this.ctx.usageSettings.settings, Date.now());
    this.summary = s;
    const updated = s.updated ? GLib.DateTime.new_from_iso8601(s.updated, null) : null;
    this.updatedLabel.set_text(updated ? `updated ${updated.to_local()?.format("%H:%M:%S") ?? s.updated}` : "no usage recorded yet");
    this.kpis.requests.set_text(String(s.requests));
    this.kpis.success.set_text(s.successRate === null ? "—" : `${(s.successRate * 100).toFixed(1)} %`);
    this.kpis.tokensIn.set_text(formatCount(s.tokensIn));
    this.kpis.tokensOut.set_text(formatCount(s.tokensOut));
    this.kpis.costToday.set_text(money(s.costToday));
    this.kpis.costMonth.set_text(money(s.costMonth));
    const budgetLines = s.budgets.map((b) => `${b.share >= 1 ? "✖" : b.share >= 0.8 ? "⚠" : "•"} Budget ${GLib.markup_escape_text(b.name, -1)}: ` +
      `${money(b.spent)} of ${money(b.budget)} this month (${Math.round(b.share * 100)} %)`);
    if (s.unpriced.length) budgetLines.push(`<i>No price for ${GLib.markup_escape_text(s.unpriced.join(", "), -1)}: counted as $0 (set one in Prices &amp; budgets)</i>`);
    if (this.ctx.usageFeed.error) budgetLines.push(`<i>${GLib.markup_escape_text(this.ctx.usageFeed.error, -1)}</i>`);
    this.budgetsLabel.set_markup(budgetLines.join("\n"));
    this.budgetsLabel.set_visible(budgetLines.length > 0);
    this.#renderCards(s.cards);
    for (const area of [this.last24hArea, this.last7dArea, this.ttfbArea]) area.queue_draw();
  }

  #renderCards(cards: readonly ProviderCard[]): void {
    for (const child of this.cardsBox.get_children()) child.destroy();
    this.cards.clear();
    if (cards.length === 0) {
      this.cardsBox.add(new Gtk.Label({ label: "No requests yet: usage appears here as Codex works through the proxy.", xalign: 0 }));
    }
    for (const c of cards) {
      const frame = new Gtk.Frame();
      const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 4, margin: 8 });
      const title = new Gtk.Box({ spacing: 8 });
      const name = c.key.startsWith("bgp:") ? `AI BGP pool ${c.key.slice(4)}` : c.label ? `${c.label} (${c.key})` : c.key;
      title.add(new Gtk.Label({ label: `<b>${GLib.markup_escape_text(name, -1)}</b>`, use_markup: true, xalign: 0, hexpand: true, ellipsize: 3 }));
      const badge = new Gtk.Label({ label: c.badge });
      badge.get_style_context().add_class("usage-badge");
      badge.get_style_context().add_class(`usage-badge-${c.badge.toLowerCase()}`);
      badge.set_tooltip_text("ERR above 15 % failed requests, WARN above 5 %");
      title.add(badge);
      box.add(title);
      const body = new Gtk.Label({ label: cardLines(c).join("\n"), xalign: 0, wrap: true, selectable: true, max_width_chars: 52 });
      box.add(body);
      frame.add(box);
      this.cardsBox.add(frame);
      this.cards.set(c.key, { frame, badge, body });
    }
    this.cardsBox.show_all();
  }

  openPrices(): PricesDialog {
    this.prices?.destroy();
    const dialog = new PricesDialog(this, this.ctx);
    dialog.connect("destroy", () => {
      if (this.prices === dialog) this.prices = null;
    });
    this.prices = dialog;
    return dialog;
  }

  #openLog(): void {
    try {
      Gio.AppInfo.launch_default_for_uri(Gio.File.new_for_path(this.ctx.paths.requestsLog).get_uri(), null);
    } catch (e) {
      this.statusLabel.set_text(`Could not open ${this.ctx.paths.requestsLog}: ${(e as Error).message}`);
    }
  }
}
