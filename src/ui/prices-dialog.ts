// Prices & budgets: the price table (USD per million tokens; the presets' published prices by default,
// any model editable) and a monthly budget per endpoint or pool. Saved to codex-launcher-usage.json by
// the store; the Usage window and the budget alerts follow.
import GObject from "gi://GObject";
import Gtk from "gi://Gtk?version=3.0";
import { DEFAULT_PRICES, type ModelPrice } from "../lib/prices.js";
import type { AppContext } from "../launcher/app-context.js";

enum PriceColumn { MODEL, INPUT, OUTPUT, CACHED, SOURCE }
enum BudgetColumn { NAME, SHOWN, BUDGET }

const number = (n: number | undefined): string => (n === undefined ? "" : String(n));

export class PricesDialog extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherPricesDialog" }, this);
  }

  readonly pricesStore: Gtk.ListStore;
  readonly pricesView: Gtk.TreeView;
  /** The editable cells, by column (specs edit through them like a person would). */
  readonly priceCells: Record<"input" | "output" | "cached", Gtk.CellRendererText>;
  readonly newModelEntry: Gtk.Entry;
  readonly addModelButton: Gtk.Button;
  readonly budgetsStore: Gtk.ListStore;
  readonly budgetCell: Gtk.CellRendererText;
  readonly errorLabel: Gtk.Label;
  readonly saveButton: Gtk.Button;
  readonly cancelButton: Gtk.Button;
  /** The user's own prices (the defaults are not copied in). */
  #prices: Record<string, ModelPrice>;
  #budgets: Record<string, number>;

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext) {
    super({ title: "Prices & budgets", default_width: 640, default_height: 620, modal: true, destroy_with_parent: true, ...(parent ? { transient_for: parent } : {}) });
    this.#prices = { ...ctx.usageSettings.settings.prices };
    this.#budgets = { ...ctx.usageSettings.settings.budgets };
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    box.add(new Gtk.Label({ label: "<b>Prices</b> in USD per million tokens (cached: input read from the provider's cache). Click a price to change it.",
      use_markup: true, xalign: 0, wrap: true }));
    this.pricesStore = new Gtk.ListStore();
    this.pricesStore.set_column_types(Array(5).fill(GObject.TYPE_STRING));
    this.pricesView = new Gtk.TreeView({ model: this.pricesStore, vexpand: true });
    const cells = {} as Record<"input" | "output" | "cached", Gtk.CellRendererText>;
    for (const [title, column, key] of [["Model", PriceColumn.MODEL, null], ["Input", PriceColumn.INPUT, "input"], ["Output", PriceColumn.OUTPUT, "output"],
      ["Cached", PriceColumn.CACHED, "cached"], ["", PriceColumn.SOURCE, null]] as const) {
      const cell = new Gtk.CellRendererText({ editable: key !== null });
      const col = new Gtk.TreeViewColumn({ title, resizable: true });
      col.pack_start(cell, true);
      col.add_attribute(cell, "text", column);
      this.pricesView.append_column(col);
      if (key) {
        cells[key] = cell;
        cell.connect("edited", (_c, path: string, text: string) => this.#editPrice(path, key, text));
      }
    }
    this.priceCells = cells;
    const scroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN, min_content_height: 220 });
    scroller.add(this.pricesView);
    box.add(scroller);
    const add = new Gtk.Box({ spacing: 6 });
    this.newModelEntry = new Gtk.Entry({ placeholder_text: "another model, e.g. glm-5.1", hexpand: true });
    this.addModelButton = new Gtk.Button({ label: "Add model" });
    add.add(this.newModelEntry);
    add.add(this.addModelButton);
    box.add(add);

    box.add(new Gtk.Label({ label: "<b>Monthly budgets</b> in USD (0 = none): an alert at 80 % and at 100 % of the month's spending.", use_markup: true, xalign: 0, wrap: true }));
    this.budgetsStore = new Gtk.ListStore();
    this.budgetsStore.set_column_types(Array(3).fill(GObject.TYPE_STRING));
    const budgetsView = new Gtk.TreeView({ model: this.budgetsStore });
    this.budgetCell = new Gtk.CellRendererText({ editable: true });
    for (const [title, column, cell] of [["Endpoint or pool", BudgetColumn.SHOWN, new Gtk.CellRendererText()], ["Budget (USD / month)", BudgetColumn.BUDGET, this.budgetCell]] as const) {
      const col = new Gtk.TreeViewColumn({ title, resizable: true });
      col.pack_start(cell, true);
      col.add_attribute(cell, "text", column);
      budgetsView.append_column(col);
    }
    this.budgetCell.connect("edited", (_c, path: string, text: string) => this.#editBudget(path, text));
    const budgetScroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN, min_content_height: 120 });
    budgetScroller.add(budgetsView);
    box.add(budgetScroller);

    this.errorLabel = new Gtk.Label({ xalign: 0, wrap: true });
    box.add(this.errorLabel);
    const bottom = new Gtk.Box({ spacing: 6 });
    this.cancelButton = new Gtk.Button({ label: "Cancel" });
    this.saveButton = new Gtk.Button({ label: "Save" });
    this.saveButton.get_style_context().add_class("suggested-action");
    bottom.pack_end(this.saveButton, false, false, 0);
    bottom.pack_end(this.cancelButton, false, false, 0);
    box.add(bottom);
    this.add(box);

    this.addModelButton.connect("clicked", () => this.#addModel());
    this.cancelButton.connect("clicked", () => this.destroy());
    this.saveButton.connect("clicked", () => this.saveNow());
    this.#renderPrices();
    this.#renderBudgets();
    this.show_all();
  }

  /** Every model worth a price: the defaults, the user's, and those the endpoints and pools use. */
  #models(): string[] {
    const used = [...this.ctx.endpoints.doc.endpoints.flatMap((e) => e.models), ...this.ctx.pools.doc.pools.flatMap((p) => p.routes.map((r) => r.model))];
    return [...new Set([...Object.keys(DEFAULT_PRICES), ...Object.keys(this.#prices), ...used].filter(Boolean))].sort();
  }

  #renderPrices(): void {
    this.pricesStore.clear();
    for (const model of this.#models()) {
      const own = this.#prices[model];
      const price = own ?? DEFAULT_PRICES[model];
      this.pricesStore.set(this.pricesStore.append(), [PriceColumn.MODEL, PriceColumn.INPUT, PriceColumn.OUTPUT, PriceColumn.CACHED, PriceColumn.SOURCE],
        [model, number(price?.input), number(price?.output), number(price?.cached), own ? "yours" : price ? "list price" : "no price"]);
    }
  }

  #renderBudgets(): void {
    this.budgetsStore.clear();
    const names = [...this.ctx.endpoints.doc.endpoints.map((e) => [e.name, e.name]), ...this.ctx.pools.doc.pools.map((p) => [`bgp:${p.name}`, `AI BGP pool ${p.name}`])];
    for (const name of Object.keys(this.#budgets)) if (!names.some(([n]) => n === name)) names.push([name, `${name} (gone)`]);
    for (const [name, shown] of names)
      this.budgetsStore.set(this.budgetsStore.append(), [BudgetColumn.NAME, BudgetColumn.SHOWN, BudgetColumn.BUDGET], [name, shown, String(this.#budgets[name] ?? 0)]);
  }

  #rowValue(store: Gtk.ListStore, path: string, column: number): string {
    const [ok, iter] = store.get_iter(Gtk.TreePath.new_from_string(path));
    return ok ? (store.get_value(iter, column) as unknown as string) : "";
  }

  #editPrice(path: string, key: "input" | "output" | "cached", text: string): void {
    const model = this.#rowValue(this.pricesStore, path, PriceColumn.MODEL);
    const value = Number(text.trim().replace(",", "."));
    if (!model) return;
    if (text.trim() === "" && key === "cached") {
      const { cached: _drop, ...rest } = this.#prices[model] ?? DEFAULT_PRICES[model] ?? { input: 0, output: 0 };
      this.#prices[model] = rest;
    } else if (!Number.isFinite(value) || value < 0) {
      this.errorLabel.set_text(`'${text}' is not a price (USD per million tokens, 0 or more).`);
      return;
    } else this.#prices[model] = { ...(this.#prices[model] ?? DEFAULT_PRICES[model] ?? { input: 0, output: 0 }), [key]: value };
    this.errorLabel.set_text("");
    this.#renderPrices();
  }

  #editBudget(path: string, text: string): void {
    const name = this.#rowValue(this.budgetsStore, path, BudgetColumn.NAME);
    const value = Number(text.trim().replace(/^\$/, "").replace(",", ".") || "0");
    if (!Number.isFinite(value) || value < 0) {
      this.errorLabel.set_text(`'${text}' is not an amount of USD.`);
      return;
    }
    if (value > 0) this.#budgets[name] = value;
    else delete this.#budgets[name];
    this.errorLabel.set_text("");
    this.#renderBudgets();
  }

  #addModel(): void {
    const model = this.newModelEntry.get_text().trim();
    if (!model) return;
    this.#prices[model] ??= { ...(DEFAULT_PRICES[model] ?? { input: 0, output: 0 }) };
    this.newModelEntry.set_text("");
    this.#renderPrices();
  }

  /** The path of a model's row (specs edit its cells). */
  pathOf(model: string): string | null {
    const index = this.#models().indexOf(model);
    return index >= 0 ? String(index) : null;
  }

  budgetPathOf(name: string): string | null {
    let found: string | null = null;
    this.budgetsStore.foreach((m, path, iter) => {
      if ((m.get_value(iter, BudgetColumn.NAME) as unknown as string) === name) found = path.to_string();
      return found !== null;
    });
    return found;
  }

  saveNow(): boolean {
    try {
      this.ctx.usageSettings.save({ ...this.ctx.usageSettings.settings, prices: this.#prices, budgets: this.#budgets });
    } catch (e) {
      this.errorLabel.set_text(`Could not save: ${(e as Error).message}`);
      return false;
    }
    this.destroy();
    return true;
  }
}
