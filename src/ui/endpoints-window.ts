// Manage Endpoints: list, add, edit, duplicate, delete (asks first), set default.
import GObject from "gi://GObject";
import Gtk from "gi://Gtk?version=3.0";
import GLib from "gi://GLib";
import { usesGoogleLogin } from "../lib/backend-types.js";
import { duplicateEndpoint, removeEndpoint, setDefaultEndpoint, upsertEndpoint, type Endpoint } from "../lib/endpoints.js";
import type { AppContext } from "../launcher/app-context.js";
import { fetchModels, testEndpoint } from "../launcher/endpoint-tools.js";
import { signInWithGoogle } from "../launcher/google-sign-in.js";
import { EndpointDialog, type EndpointDialogActions } from "./endpoint-dialog.js";

enum Column { DEFAULT, NAME, PROVIDER, BACKEND, MODEL }

export class EndpointsWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherEndpointsWindow", Signals: { changed: {} } }, this);
  }

  declare readonly view: Gtk.TreeView;
  declare readonly store: Gtk.ListStore;
  declare readonly buttons: Record<"add" | "edit" | "duplicate" | "delete" | "setDefault" | "close", Gtk.Button>;
  declare readonly statusLabel: Gtk.Label;
  /** The open edit dialog or delete confirmation, if any (tests drive them). */
  dialog: EndpointDialog | null = null;
  confirm: Gtk.MessageDialog | null = null;

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext) {
    super({ title: "Manage Endpoints", default_width: 760, default_height: 420, ...(parent ? { transient_for: parent } : {}) });
    const self = this as unknown as Record<string, unknown>;
    const store = new Gtk.ListStore();
    store.set_column_types([GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING]);
    const view = new Gtk.TreeView({ model: store, vexpand: true });
    for (const [title, column] of [["", Column.DEFAULT], ["Name", Column.NAME], ["Provider", Column.PROVIDER], ["Type", Column.BACKEND], ["Default model", Column.MODEL]] as const) {
      const col = new Gtk.TreeViewColumn({ title, resizable: true });
      const cell = new Gtk.CellRendererText();
      col.pack_start(cell, true);
      col.add_attribute(cell, "text", column);
      view.append_column(col);
    }
    view.connect("row-activated", () => this.editSelected());
    const scroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN });
    scroller.add(view);
    const buttons = {
      add: new Gtk.Button({ label: "Add" }),
      edit: new Gtk.Button({ label: "Edit" }),
      duplicate: new Gtk.Button({ label: "Duplicate" }),
      delete: new Gtk.Button({ label: "Delete" }),
      setDefault: new Gtk.Button({ label: "Set Default" }),
      close: new Gtk.Button({ label: "Close" }),
    };
    buttons.add.connect("clicked", () => this.openDialog());
    buttons.edit.connect("clicked", () => this.editSelected());
    buttons.duplicate.connect("clicked", () => this.#duplicateSelected());
    buttons.delete.connect("clicked", () => this.#askDelete());
    buttons.setDefault.connect("clicked", () => this.#setDefaultSelected());
    buttons.close.connect("clicked", () => this.destroy());
    const bar = new Gtk.Box({ spacing: 6 });
    for (const key of ["add", "edit", "duplicate", "delete", "setDefault"] as const) bar.add(buttons[key]);
    bar.pack_end(buttons.close, false, false, 0);
    const statusLabel = new Gtk.Label({ xalign: 0, wrap: true });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    box.add(scroller);
    box.add(statusLabel);
    box.add(bar);
    this.add(box);
    Object.assign(self, { view, store, buttons, statusLabel });
    view.get_selection().connect("changed", () => this.#updateSensitivity());
    this.refresh();
    this.show_all();
  }

  refresh(): void {
    const { doc, loadError } = this.ctx.endpoints;
    this.store.clear();
    for (const e of doc.endpoints)
      this.store.set(this.store.append(), [Column.DEFAULT, Column.NAME, Column.PROVIDER, Column.BACKEND, Column.MODEL],
        [doc.default === e.name ? "★" : "", e.name, e.provider_preset, e.backend_type, e.default_model]);
    this.statusLabel.set_text(loadError ?? (doc.endpoints.length ? "" : "No endpoints yet. Add one, starting from a provider preset."));
    this.#updateSensitivity();
  }

  selectedName(): string | null {
    const [ok, model, iter] = this.view.get_selection().get_selected();
    return ok && model && iter ? (model.get_value(iter, Column.NAME) as unknown as string) : null;
  }

  select(name: string): void {
    const index = this.ctx.endpoints.doc.endpoints.findIndex((e) => e.name === name);
    if (index >= 0) this.view.get_selection().select_path(Gtk.TreePath.new_from_indices([index]));
  }

  #updateSensitivity(): void {
    const has = this.selectedName() !== null;
    for (const key of ["edit", "duplicate", "delete", "setDefault"] as const) this.buttons[key].sensitive = has;
  }

  #changed(): void {
    this.refresh();
    this.emit("changed");
  }

  #actions(): EndpointDialogActions {
    return {
      fetchModels,
      test: (spec) => testEndpoint(this.ctx.paths, this.ctx.proxyArgv, spec, (l) => this.ctx.log.write(`[test] ${l}`), this.ctx.clientToken),
      save: async (endpoint: Endpoint, apiKey: string, originalName?: string) => {
        try {
          if (originalName && originalName !== endpoint.name) {
            await this.ctx.endpoints.renameKey(originalName, endpoint.name);
            // AI BGP routes through this endpoint follow the new name.
            this.ctx.pools.renameEndpoint(originalName, endpoint.name);
          }
          await this.ctx.endpoints.setKey(endpoint.name, apiKey);
          this.ctx.endpoints.save(upsertEndpoint(this.ctx.endpoints.doc, endpoint, originalName));
          this.ctx.log.write(`endpoint '${endpoint.name}' saved`);
          // A running proxy for this endpoint takes a new Google login at once.
          if (usesGoogleLogin(endpoint.backend_type) && apiKey) await this.ctx.supervisor.replaceLogin(endpoint.name, apiKey);
        } catch (e) {
          return `Could not save: ${(e as Error).message}`;
        }
        this.#changed();
        this.select(endpoint.name);
        return null;
      },
      signInWithGoogle: async (onUrl, cancellable) => {
        const result = await signInWithGoogle({ cancellable, onUrl, openUri: (url) => {
          try {
            this.ctx.openUri(url);
          } catch (e) {
            // No browser set up: the dialog shows the address to open by hand.
            this.ctx.log.write(`could not open a browser for the Google sign-in: ${(e as Error).message}`);
          }
        } });
        this.ctx.log.write(`signed in with Google${result.email ? ` as ${result.email}` : ""}`);
        return { text: result.text, email: result.email };
      },
      hasGeminiCliLogin: () => GLib.file_test(this.ctx.paths.geminiCliCredentials, GLib.FileTest.EXISTS),
    };
  }

  /**
   * "Sign in again" (the E4 alert's button): opens the endpoint's editor and starts the Google sign-in;
   * the new login is stored when it succeeds.
   */
  async signInAgain(name: string): Promise<EndpointDialog | null> {
    this.select(name);
    const dialog = await this.editSelected();
    if (!dialog) {
      this.statusLabel.set_text(`There is no endpoint named '${name}' any more.`);
      return null;
    }
    if (await dialog.signInNow()) await dialog.saveNow();
    return dialog;
  }

  openDialog(existing?: { endpoint: Endpoint; apiKey: string }): EndpointDialog {
    const dialog = new EndpointDialog(this, this.#actions(), this.ctx.endpoints.doc.endpoints, existing);
    this.dialog = dialog;
    dialog.connect("destroy", () => {
      if (this.dialog === dialog) this.dialog = null;
    });
    return dialog;
  }

  async editSelected(): Promise<EndpointDialog | null> {
    const name = this.selectedName();
    const endpoint = this.ctx.endpoints.doc.endpoints.find((e) => e.name === name);
    if (!endpoint) return null;
    return this.openDialog({ endpoint, apiKey: await this.ctx.endpoints.keyFor(endpoint.name) });
  }

  async #duplicateSelected(): Promise<void> {
    const name = this.selectedName();
    if (!name) return;
    const { doc, copy } = duplicateEndpoint(this.ctx.endpoints.doc, name);
    await this.ctx.endpoints.setKey(copy.name, await this.ctx.endpoints.keyFor(name));
    this.ctx.endpoints.save(doc);
    this.ctx.log.write(`endpoint '${name}' duplicated as '${copy.name}'`);
    this.#changed();
    this.select(copy.name);
  }

  #askDelete(): void {
    const name = this.selectedName();
    if (!name) return;
    const confirm = new Gtk.MessageDialog({ transient_for: this, modal: true, message_type: Gtk.MessageType.QUESTION,
      buttons: Gtk.ButtonsType.NONE, text: `Delete the endpoint '${name}'?`,
      secondary_text: "Its settings and its stored API key are removed. This cannot be undone." });
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
    this.ctx.endpoints.save(removeEndpoint(this.ctx.endpoints.doc, name));
    await this.ctx.endpoints.deleteKey(name);
    this.ctx.log.write(`endpoint '${name}' deleted`);
    this.#changed();
  }

  #setDefaultSelected(): void {
    const name = this.selectedName();
    if (!name) return;
    this.ctx.endpoints.save(setDefaultEndpoint(this.ctx.endpoints.doc, name));
    this.ctx.log.write(`default endpoint is now '${name}'`);
    this.#changed();
    this.select(name);
  }
}
