// The AI BGP pool editor: name, strategy, and the routes in the order they are tried — each from an
// existing endpoint or given by hand (backend, URL, key), with its model and priority; reorder, remove.
// It renders and forwards the save; keys and files are the store's business.
import GObject from "gi://GObject";
import Gtk from "gi://Gtk?version=3.0";
import { SERVED_BACKENDS, usesGoogleLogin, type BackendType } from "../lib/backend-types.js";
import { moveRoute, sortedRoutes, validatePool, type BgpPool, type PoolRoute } from "../lib/bgp-pools.js";
import type { Endpoint } from "../lib/endpoints.js";
import type { PoolStrategy } from "../lib/pool-handover.js";

enum Column { ORDER, NAME, SOURCE, URL, MODEL, PRIORITY }

/** What the dialog asks of its owner. */
export interface PoolDialogActions {
  endpoints: () => readonly Endpoint[];
  /** Other pools (for unique names). */
  otherPools: () => readonly BgpPool[];
  /** The key a hand-given route holds now (editing an existing pool). */
  keyFor: (pool: string, route: PoolRoute) => Promise<string>;
  /** Saves; resolves with an error message, or null when saved. */
  save: (pool: BgpPool, originalName: string | null, keys: ReadonlyMap<string, string>) => Promise<string | null>;
}

/** Routes given by hand can use these backends (a Google login cannot be handed to a pool yet). */
const ROUTE_BACKENDS = SERVED_BACKENDS.filter((b) => !usesGoogleLogin(b));

export class PoolDialog extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherPoolDialog" }, this);
  }

  readonly nameEntry: Gtk.Entry;
  readonly strategyCombo: Gtk.ComboBoxText;
  readonly routesStore: Gtk.ListStore;
  readonly routesView: Gtk.TreeView;
  readonly addFromEndpointButton: Gtk.Button;
  readonly addByHandButton: Gtk.Button;
  readonly removeButton: Gtk.Button;
  readonly upButton: Gtk.Button;
  readonly downButton: Gtk.Button;
  readonly routeNameEntry: Gtk.Entry;
  readonly endpointCombo: Gtk.ComboBoxText;
  readonly backendCombo: Gtk.ComboBoxText;
  readonly urlEntry: Gtk.Entry;
  readonly keyEntry: Gtk.Entry;
  readonly modelCombo: Gtk.ComboBoxText;
  readonly prioritySpin: Gtk.SpinButton;
  readonly formBox: Gtk.Grid;
  readonly errorLabel: Gtk.Label;
  readonly saveButton: Gtk.Button;
  readonly cancelButton: Gtk.Button;
  /** Routes in the order tried; a hand-given route's key rides in api_key until the save. */
  #routes: PoolRoute[] = [];
  #selected = -1;
  #filling = false;

  constructor(parent: Gtk.Window | null, private readonly actions: PoolDialogActions, private readonly original: BgpPool | null) {
    super({ title: original ? `Edit pool ${original.name}` : "New AI BGP pool", default_width: 780, default_height: 560, modal: true,
      destroy_with_parent: true, ...(parent ? { transient_for: parent } : {}) });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    const head = new Gtk.Grid({ row_spacing: 6, column_spacing: 10 });
    this.nameEntry = new Gtk.Entry({ hexpand: true, placeholder_text: "e.g. Main" });
    this.strategyCombo = new Gtk.ComboBoxText();
    this.strategyCombo.append("failover", "failover — best route first, the next one when it fails before its first byte");
    this.strategyCombo.append("race", "race — the best three at once, the first to answer wins, the others are cancelled");
    head.attach(new Gtk.Label({ label: "Pool name", xalign: 1 }), 0, 0, 1, 1);
    head.attach(this.nameEntry, 1, 0, 1, 1);
    head.attach(new Gtk.Label({ label: "Strategy", xalign: 1 }), 0, 1, 1, 1);
    head.attach(this.strategyCombo, 1, 1, 1, 1);
    box.add(head);

    box.add(new Gtk.Label({ label: "<b>Routes</b> (tried from the top; the score also weighs first-byte time, recent errors and price)", use_markup: true, xalign: 0 }));
    this.routesStore = new Gtk.ListStore();
    this.routesStore.set_column_types(Array(6).fill(GObject.TYPE_STRING));
    this.routesView = new Gtk.TreeView({ model: this.routesStore, vexpand: true });
    for (const [title, column] of [["#", Column.ORDER], ["Route", Column.NAME], ["Endpoint", Column.SOURCE], ["URL", Column.URL], ["Model", Column.MODEL],
      ["Priority", Column.PRIORITY]] as const) {
      const col = new Gtk.TreeViewColumn({ title, resizable: true });
      const cell = new Gtk.CellRendererText({ ellipsize: column === Column.URL ? 3 : 0 });
      col.pack_start(cell, true);
      col.add_attribute(cell, "text", column);
      this.routesView.append_column(col);
    }
    const scroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN, min_content_height: 150 });
    scroller.add(this.routesView);
    box.add(scroller);
    const routeButtons = new Gtk.Box({ spacing: 6 });
    this.addFromEndpointButton = new Gtk.Button({ label: "Add from endpoint" });
    this.addByHandButton = new Gtk.Button({ label: "Add by hand" });
    this.removeButton = new Gtk.Button({ label: "Remove" });
    this.upButton = new Gtk.Button({ label: "Up" });
    this.downButton = new Gtk.Button({ label: "Down" });
    for (const b of [this.addFromEndpointButton, this.addByHandButton, this.removeButton, this.upButton, this.downButton]) routeButtons.add(b);
    box.add(routeButtons);

    // The selected route's fields; edits apply to it at once.
    this.formBox = new Gtk.Grid({ row_spacing: 6, column_spacing: 10 });
    this.routeNameEntry = new Gtk.Entry({ hexpand: true });
    this.endpointCombo = new Gtk.ComboBoxText();
    this.backendCombo = new Gtk.ComboBoxText();
    for (const b of ROUTE_BACKENDS) this.backendCombo.append(b, b);
    this.urlEntry = new Gtk.Entry({ placeholder_text: "https://provider.example/v1" });
    this.keyEntry = new Gtk.Entry({ visibility: false, input_purpose: Gtk.InputPurpose.PASSWORD });
    this.modelCombo = Gtk.ComboBoxText.new_with_entry();
    this.prioritySpin = Gtk.SpinButton.new_with_range(0, 1000, 1);
    const rows: [string, Gtk.Widget][] = [["Route name", this.routeNameEntry], ["Endpoint", this.endpointCombo], ["Backend", this.backendCombo],
      ["URL", this.urlEntry], ["API key", this.keyEntry], ["Model", this.modelCombo], ["Priority", this.prioritySpin]];
    rows.forEach(([label, widget], i) => {
      this.formBox.attach(new Gtk.Label({ label, xalign: 1 }), 0, i, 1, 1);
      this.formBox.attach(widget, 1, i, 1, 1);
    });
    const frame = new Gtk.Frame({ label: "Selected route" });
    this.formBox.margin = 8;
    frame.add(this.formBox);
    box.add(frame);

    this.errorLabel = new Gtk.Label({ xalign: 0, wrap: true });
    this.errorLabel.get_style_context().add_class("error");
    box.add(this.errorLabel);
    const bottom = new Gtk.Box({ spacing: 6 });
    this.cancelButton = new Gtk.Button({ label: "Cancel" });
    this.saveButton = new Gtk.Button({ label: "Save" });
    this.saveButton.get_style_context().add_class("suggested-action");
    bottom.pack_end(this.saveButton, false, false, 0);
    bottom.pack_end(this.cancelButton, false, false, 0);
    box.add(bottom);
    this.add(box);

    this.addFromEndpointButton.connect("clicked", () => this.addRoute(true));
    this.addByHandButton.connect("clicked", () => this.addRoute(false));
    this.removeButton.connect("clicked", () => this.removeSelected());
    this.upButton.connect("clicked", () => this.moveSelected(-1));
    this.downButton.connect("clicked", () => this.moveSelected(1));
    this.cancelButton.connect("clicked", () => this.destroy());
    this.saveButton.connect("clicked", () => void this.saveNow());
    this.routesView.get_selection().connect("changed", () => this.#onSelection());
    for (const entry of [this.routeNameEntry, this.urlEntry, this.keyEntry]) entry.connect("changed", () => this.#fromForm());
    // A message about an earlier save attempt goes once the pool is being changed again.
    this.nameEntry.connect("changed", () => this.errorLabel.set_text(""));
    this.endpointCombo.connect("changed", () => this.#onEndpointChosen());
    this.backendCombo.connect("changed", () => this.#fromForm());
    this.modelCombo.connect("changed", () => this.#fromForm());
    this.prioritySpin.connect("value-changed", () => this.#fromForm());

    this.nameEntry.set_text(original?.name ?? "");
    this.strategyCombo.set_active_id(original?.strategy ?? "failover");
    this.#routes = original ? sortedRoutes(original).map((r) => ({ ...r })) : [];
    this.#fillEndpoints();
    this.#render();
    this.show_all();
    if (original) void this.#loadKeys(original);
  }

  async #loadKeys(pool: BgpPool): Promise<void> {
    for (const r of this.#routes) if (!r.endpoint_name) r.api_key = await this.actions.keyFor(pool.name, r);
    this.#fillForm();
  }

  #fillEndpoints(): void {
    this.endpointCombo.remove_all();
    this.endpointCombo.append("", "(none — the route's own URL and key)");
    for (const e of this.actions.endpoints()) this.endpointCombo.append(e.name, `${e.name} — ${e.backend_type}`);
  }

  /** The routes as they would be saved (order tried). */
  routes(): PoolRoute[] {
    return this.#routes.map((r) => ({ ...r }));
  }

  selectedIndex(): number {
    return this.#selected;
  }

  select(index: number): void {
    if (index >= 0 && index < this.#routes.length) this.routesView.get_selection().select_path(Gtk.TreePath.new_from_indices([index]));
    else this.routesView.get_selection().unselect_all();
  }

  #uniqueName(base: string): string {
    const taken = new Set(this.#routes.map((r) => r.name));
    let name = base || "route";
    for (let n = 2; taken.has(name); n++) name = `${base || "route"}-${n}`;
    return name;
  }

  /** A new route at the end (lowest priority): from the first endpoint, or empty to fill by hand. */
  addRoute(fromEndpoint: boolean): void {
    const endpoint = fromEndpoint ? this.actions.endpoints()[0] : undefined;
    const priority = this.#routes.reduce((max, r) => Math.max(max, r.priority + 1), 0);
    this.#routes.push(endpoint
      ? { name: this.#uniqueName(endpoint.name.toLowerCase().replace(/\s+/g, "-")), endpoint_name: endpoint.name, target_url: "", api_key: "",
        model: endpoint.default_model || endpoint.models[0] || "", priority }
      : { name: this.#uniqueName("route"), endpoint_name: "", target_url: "", api_key: "", model: "", priority, backend_type: "openai-compat" });
    this.#render();
    this.select(this.#routes.length - 1);
  }

  removeSelected(): void {
    if (this.#selected < 0) return;
    this.#routes.splice(this.#selected, 1);
    const next = Math.min(this.#selected, this.#routes.length - 1);
    this.#render();
    this.select(next);
  }

  /** Moves the selected route up (-1) or down (+1): it trades place and priority with its neighbour. */
  moveSelected(delta: number): void {
    const at = this.#selected;
    if (at < 0) return;
    const moved = moveRoute({ name: "", strategy: "failover", routes: this.#routes }, at, delta).routes;
    if (moved.map((r) => r.name).join("\n") === this.#routes.map((r) => r.name).join("\n")) return;
    this.#routes = moved;
    this.#render();
    this.select(at + delta);
  }

  #render(): void {
    const keep = this.#selected;
    this.#filling = true;
    this.routesStore.clear();
    this.#routes.forEach((r, i) => {
      this.routesStore.set(this.routesStore.append(), [Column.ORDER, Column.NAME, Column.SOURCE, Column.URL, Column.MODEL, Column.PRIORITY],
        [String(i + 1), r.name, r.endpoint_name || `by hand (${r.backend_type ?? "openai-compat"})`, r.endpoint_name ? "—" : r.target_url,
          r.model || "(endpoint default)", String(r.priority)]);
    });
    this.#filling = false;
    this.#selected = -1;
    if (keep >= 0 && keep < this.#routes.length) this.select(keep);
    this.#onSelection();
  }

  #onSelection(): void {
    if (this.#filling) return;
    const [ok, , iter] = this.routesView.get_selection().get_selected();
    this.#selected = ok && iter ? Number(this.routesStore.get_value(iter, Column.ORDER) as unknown as string) - 1 : -1;
    const has = this.#selected >= 0;
    this.removeButton.sensitive = has;
    this.upButton.sensitive = has && this.#selected > 0;
    this.downButton.sensitive = has && this.#selected < this.#routes.length - 1;
    this.formBox.sensitive = has;
    this.#fillForm();
  }

  #fillForm(): void {
    const r = this.#routes[this.#selected];
    this.#filling = true;
    try {
      this.routeNameEntry.set_text(r?.name ?? "");
      this.endpointCombo.set_active_id(r?.endpoint_name ?? "");
      this.backendCombo.set_active_id(r?.backend_type ?? "openai-compat");
      this.urlEntry.set_text(r?.target_url ?? "");
      this.keyEntry.set_text(r && !r.endpoint_name ? r.api_key : "");
      this.#fillModels(r?.endpoint_name ?? "");
      (this.modelCombo.get_child() as Gtk.Entry).set_text(r?.model ?? "");
      this.prioritySpin.set_value(r?.priority ?? 0);
      const byHand = !r?.endpoint_name;
      for (const w of [this.backendCombo, this.urlEntry, this.keyEntry]) w.sensitive = byHand;
    } finally {
      this.#filling = false;
    }
  }

  #fillModels(endpointName: string): void {
    this.modelCombo.remove_all();
    const endpoint = this.actions.endpoints().find((e) => e.name === endpointName);
    for (const m of endpoint?.models ?? []) this.modelCombo.append(m, m);
  }

  #onEndpointChosen(): void {
    if (this.#filling || this.#selected < 0) return;
    const name = this.endpointCombo.get_active_id() ?? "";
    const endpoint = this.actions.endpoints().find((e) => e.name === name);
    this.#filling = true;
    this.#fillModels(name);
    // A new endpoint brings its default model unless the route's model is one of its models.
    const current = (this.modelCombo.get_child() as Gtk.Entry).get_text();
    if (endpoint && !endpoint.models.includes(current)) (this.modelCombo.get_child() as Gtk.Entry).set_text(endpoint.default_model || endpoint.models[0] || "");
    this.#filling = false;
    this.#fromForm();
    this.#fillForm();
  }

  /** The form's values into the selected route. */
  #fromForm(): void {
    if (this.#filling || this.#selected < 0) return;
    const r = this.#routes[this.#selected];
    const endpoint = this.endpointCombo.get_active_id() ?? "";
    r.name = this.routeNameEntry.get_text().trim();
    r.endpoint_name = endpoint;
    r.model = (this.modelCombo.get_child() as Gtk.Entry).get_text().trim();
    const priority = this.prioritySpin.get_value_as_int();
    if (endpoint) {
      r.target_url = "";
      r.api_key = "";
      delete r.backend_type;
    } else {
      r.target_url = this.urlEntry.get_text().trim();
      r.api_key = this.keyEntry.get_text().trim();
      r.backend_type = (this.backendCombo.get_active_id() ?? "openai-compat") as BackendType;
    }
    const reorder = priority !== r.priority;
    r.priority = priority;
    if (reorder) {
      // A new priority may move the route: the list stays in the order tried.
      const route = r;
      this.#routes = sortedRoutes({ name: "", strategy: "failover", routes: this.#routes });
      this.#render();
      this.select(this.#routes.indexOf(route));
      return;
    }
    const iter = this.routesStore.get_iter(Gtk.TreePath.new_from_indices([this.#selected]))[1];
    this.routesStore.set(iter, [Column.NAME, Column.SOURCE, Column.URL, Column.MODEL], [r.name, r.endpoint_name || `by hand (${r.backend_type ?? "openai-compat"})`,
      r.endpoint_name ? "—" : r.target_url, r.model || "(endpoint default)"]);
  }

  /** The pool as the dialog shows it (keys left out). */
  pool(): BgpPool {
    return { ...(this.original ?? {}), name: this.nameEntry.get_text().trim(), strategy: (this.strategyCombo.get_active_id() ?? "failover") as PoolStrategy,
      routes: this.#routes.map((r) => ({ ...r, api_key: "" })) };
  }

  /** Validates and saves; resolves true when saved (the dialog then closes). */
  async saveNow(): Promise<boolean> {
    const pool = this.pool();
    const others = this.actions.otherPools().filter((p) => p.name !== this.original?.name);
    const problems = validatePool(pool, others, this.actions.endpoints());
    if (problems.length > 0) {
      this.errorLabel.set_text(problems.join("\n"));
      return false;
    }
    const keys = new Map(this.#routes.filter((r) => !r.endpoint_name).map((r) => [r.name, r.api_key]));
    this.saveButton.sensitive = false;
    const error = await this.actions.save(pool, this.original?.name ?? null, keys);
    this.saveButton.sensitive = true;
    if (error) {
      this.errorLabel.set_text(error);
      return false;
    }
    this.destroy();
    return true;
  }
}
