// Manage Endpoints: list, add, edit, duplicate, delete (asks first), set default, Doctor and Doctor All.
// Every change is one EndpointsStore call; failures show in the window's error bar.
import GObject from "gi://GObject";
import Gtk from "gi://Gtk?version=3.0";
import { usesGoogleLogin } from "../lib/backend-types.js";
import type { Endpoint } from "../lib/endpoints.js";
import type { AppContext } from "../launcher/app-context.js";
import { fetchModels, testEndpoint } from "../launcher/endpoint-tools.js";
import { hasGeminiCliLogin, signInWithGoogle } from "../launcher/google-sign-in.js";
import { DoctorWindow } from "./doctor-window.js";
import { EndpointDialog, type EndpointDialogActions } from "./endpoint-dialog.js";
import { ErrorBar } from "./error-bar.js";

enum Column { DEFAULT, NAME, PROVIDER, BACKEND, MODEL }

export type EndpointButton = "add" | "edit" | "duplicate" | "delete" | "setDefault" | "doctor" | "doctorAll" | "close";

export class EndpointsWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherEndpointsWindow", Signals: { changed: {} } }, this);
  }

  readonly store = Gtk.ListStore.new([GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING, GObject.TYPE_STRING]);
  readonly view = new Gtk.TreeView({ model: this.store, vexpand: true });
  readonly errorBar = new ErrorBar();
  readonly statusLabel = new Gtk.Label({ xalign: 0, wrap: true });
  readonly buttons: Record<EndpointButton, Gtk.Button> = {
    add: new Gtk.Button({ label: "Add" }),
    edit: new Gtk.Button({ label: "Edit" }),
    duplicate: new Gtk.Button({ label: "Duplicate" }),
    delete: new Gtk.Button({ label: "Delete" }),
    setDefault: new Gtk.Button({ label: "Set Default" }),
    doctor: new Gtk.Button({ label: "Doctor", tooltip_text: "Check the selected endpoint end to end" }),
    doctorAll: new Gtk.Button({ label: "Doctor All", tooltip_text: "Check every endpoint end to end" }),
    close: new Gtk.Button({ label: "Close" }),
  };
  /** The open edit dialog or delete confirmation, if any (tests drive them). */
  dialog: EndpointDialog | null = null;
  confirm: Gtk.MessageDialog | null = null;
  /** The last Doctor opened from here. */
  doctor: DoctorWindow | null = null;
  /** Store calls may finish after the window is gone. */
  #destroyed = false;

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext) {
    super({ title: "Manage Endpoints", default_width: 820, default_height: 440, ...(parent ? { transient_for: parent } : {}) });
    for (const [title, column] of [["", Column.DEFAULT], ["Name", Column.NAME], ["Provider", Column.PROVIDER], ["Type", Column.BACKEND], ["Default model", Column.MODEL]] as const) {
      const col = new Gtk.TreeViewColumn({ title, resizable: true });
      const cell = new Gtk.CellRendererText();
      col.pack_start(cell, true);
      col.add_attribute(cell, "text", column);
      this.view.append_column(col);
    }
    this.view.connect("row-activated", () => void this.editSelected());
    const scroller = new Gtk.ScrolledWindow({ shadow_type: Gtk.ShadowType.IN });
    scroller.add(this.view);
    const b = this.buttons;
    b.add.connect("clicked", () => this.openDialog());
    b.edit.connect("clicked", () => void this.editSelected());
    b.duplicate.connect("clicked", () => void this.#duplicateSelected());
    b.delete.connect("clicked", () => this.#askDelete());
    b.setDefault.connect("clicked", () => this.#setDefaultSelected());
    b.doctor.connect("clicked", () => this.openDoctor(false));
    b.doctorAll.connect("clicked", () => this.openDoctor(true));
    b.close.connect("clicked", () => this.destroy());
    const bar = new Gtk.Box({ spacing: 6 });
    for (const key of ["add", "edit", "duplicate", "delete", "setDefault", "doctor", "doctorAll"] as const) bar.add(b[key]);
    bar.pack_end(b.close, false, false, 0);
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    box.add(this.errorBar);
    box.add(scroller);
    box.add(this.statusLabel);
    box.add(bar);
    this.add(box);
    this.view.get_selection().connect("changed", () => this.#updateSensitivity());
    const onDestroy = this.connect("destroy", () => {
      this.#destroyed = true;
      this.disconnect(onDestroy);
    });
    this.refresh();
    this.show_all();
  }

  refresh(): void {
    if (this.#destroyed) return;
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
    for (const key of ["edit", "duplicate", "delete", "setDefault", "doctor"] as const) this.buttons[key].sensitive = has;
    this.buttons.doctorAll.sensitive = this.ctx.endpoints.doc.endpoints.length > 0;
  }

  #changed(): void {
    if (this.#destroyed) return;
    this.refresh();
    this.emit("changed");
  }

  #actions(): EndpointDialogActions {
    return {
      fetchModels,
      test: async (spec) => {
        const result = await testEndpoint(this.ctx.paths, this.ctx.proxyArgv, spec, (l) => this.ctx.log.write(`[test] ${l}`), this.ctx.clientToken);
        if (result.ok && spec.endpointName) this.ctx.latency.record(spec.endpointName, { ms: result.latencyMs, source: "test", at: Date.now() });
        return result;
      },
      save: async (endpoint: Endpoint, apiKey: string, originalName?: string) => {
        try {
          await this.ctx.endpoints.saveEndpoint(endpoint, apiKey, originalName);
          // AI BGP routes through this endpoint follow a new name.
          if (originalName && originalName !== endpoint.name) this.ctx.pools.renameEndpoint(originalName, endpoint.name);
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
      hasGeminiCliLogin: () => hasGeminiCliLogin(this.ctx.paths.geminiCliCredentials),
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

  /** The Add dialog (on `preset` when given), or the editor of `existing`. */
  openDialog(existing?: { endpoint: Endpoint; apiKey: string }, preset?: string): EndpointDialog {
    const dialog = new EndpointDialog(this, this.#actions(), this.ctx.endpoints.doc.endpoints, existing, preset);
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
    const apiKey = await this.errorBar.guard(`Could not read the key of '${endpoint.name}'`, () => this.ctx.endpoints.keyFor(endpoint.name));
    if (apiKey === null) return null;
    return this.openDialog({ endpoint, apiKey });
  }

  /** The Doctor for the selected endpoint, or for all of them; it starts at once. */
  openDoctor(all: boolean): DoctorWindow | null {
    const name = this.selectedName();
    const endpoints = all ? this.ctx.endpoints.doc.endpoints : this.ctx.endpoints.doc.endpoints.filter((e) => e.name === name);
    if (endpoints.length === 0) return null;
    const doctor = new DoctorWindow(this, this.ctx, endpoints);
    this.doctor = doctor;
    doctor.connect("destroy", () => {
      if (this.doctor === doctor) this.doctor = null;
    });
    void doctor.run();
    return doctor;
  }

  async #duplicateSelected(): Promise<void> {
    const name = this.selectedName();
    if (!name) return;
    const copy = await this.errorBar.guard(`Could not duplicate '${name}'`, () => this.ctx.endpoints.duplicate(name));
    if (!copy) return;
    this.ctx.log.write(`endpoint '${name}' duplicated as '${copy.name}'`);
    this.#changed();
    if (!this.#destroyed) this.select(copy.name);
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
    if ((await this.errorBar.guard(`Could not delete '${name}'`, async () => (await this.ctx.endpoints.remove(name), true))) === null) return;
    this.ctx.log.write(`endpoint '${name}' deleted`);
    this.#changed();
  }

  #setDefaultSelected(): void {
    const name = this.selectedName();
    if (!name) return;
    try {
      this.ctx.endpoints.setDefault(name);
    } catch (e) {
      this.errorBar.showError(`Could not make '${name}' the default`, e);
      return;
    }
    this.ctx.log.write(`default endpoint is now '${name}'`);
    this.#changed();
    this.select(name);
  }
}
