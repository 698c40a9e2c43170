// Add/Edit Endpoint dialog: the original's fields, presets that fill it in one click, model fetching
// and a Test button. It edits a copy; the caller saves.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { validateEndpoint, type Endpoint } from "../lib/endpoints.js";
import { BACKEND_TYPES, isServedBackend, usesGoogleLogin, type BackendType } from "../lib/backend-types.js";
import { accountEmail, GoogleCredentialsError, parseCredentials } from "../lib/google-oauth.js";
import { CUSTOM_PRESET, findPreset, offeredPresets } from "../lib/presets.js";

export interface EndpointDialogActions {
  fetchModels(baseUrl: string, apiKey: string, backend: BackendType): Promise<string[]>;
  test(spec: { backend: BackendType; baseUrl: string; apiKey: string; model: string }): Promise<{ ok: boolean; latencyMs: number; detail: string }>;
  /** Resolves with an error message to show, or null when saved. */
  save(endpoint: Endpoint, apiKey: string, originalName: string | undefined): Promise<string | null>;
  /** The Google sign-in (launcher/google-sign-in.ts); `onUrl` gets the consent address to show. */
  signInWithGoogle(onUrl: (url: string) => void, cancellable: Gio.Cancellable): Promise<{ text: string; email: string | null }>;
  /** True when the Gemini CLI's own login (~/.gemini/oauth_creds.json) is there to fall back on. */
  hasGeminiCliLogin(): boolean;
}

function row(grid: Gtk.Grid, top: number, label: string, widget: Gtk.Widget): Gtk.Label {
  const title = new Gtk.Label({ label, xalign: 1 });
  grid.attach(title, 0, top, 1, 1);
  widget.hexpand = true;
  grid.attach(widget, 1, top, 1, 1);
  return title;
}

/** What the dialog says about a stored Google login. */
function loginSummary(text: string): string | null {
  if (!text.trim()) return null;
  try {
    const email = accountEmail(parseCredentials(text));
    return email ? `Signed in as ${email}.` : "Signed in.";
  } catch (e) {
    if (e instanceof GoogleCredentialsError) return null;
    throw e;
  }
}

export class EndpointDialog extends Gtk.Dialog {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherEndpointDialog" }, this);
  }

  declare readonly nameEntry: Gtk.Entry;
  declare readonly presetCombo: Gtk.ComboBoxText;
  declare readonly backendCombo: Gtk.ComboBoxText;
  declare readonly urlEntry: Gtk.Entry;
  declare readonly keyEntry: Gtk.Entry;
  declare readonly showKey: Gtk.CheckButton;
  declare readonly keyHint: Gtk.Label;
  declare readonly modelEntry: Gtk.Entry;
  declare readonly addModelButton: Gtk.Button;
  declare readonly removeModelButton: Gtk.Button;
  declare readonly modelList: Gtk.ListBox;
  declare readonly fetchButton: Gtk.Button;
  declare readonly fetchSpinner: Gtk.Spinner;
  declare readonly fetchStatus: Gtk.Label;
  declare readonly defaultModelCombo: Gtk.ComboBoxText;
  declare readonly testButton: Gtk.Button;
  declare readonly testSpinner: Gtk.Spinner;
  declare readonly testStatus: Gtk.Label;
  declare readonly errorLabel: Gtk.Label;
  declare readonly saveButton: Gtk.Widget;
  declare readonly keyLabel: Gtk.Label;
  declare readonly keyBox: Gtk.Box;
  declare readonly loginLabel: Gtk.Label;
  declare readonly loginBox: Gtk.Box;
  declare readonly signInButton: Gtk.Button;
  declare readonly loginStatus: Gtk.Label;
  /** The Google login kept with this endpoint (credentials JSON), for the Google backends. */
  #googleLogin = "";
  #signIn: Gio.Cancellable | null = null;
  #models: string[] = [];
  #base: Endpoint;
  #originalName: string | undefined;
  #fillingPreset = false;

  constructor(parent: Gtk.Window | null, private readonly actions: EndpointDialogActions, private readonly others: readonly Endpoint[],
    existing?: { endpoint: Endpoint; apiKey: string }) {
    super({ title: existing ? `Edit Endpoint — ${existing.endpoint.name}` : "Add Endpoint", ...(parent ? { transient_for: parent } : {}), modal: true,
      // Closing Manage Endpoints closes its editor: a modal dialog left behind would block every other window.
      destroy_with_parent: true,
      default_width: 620, use_header_bar: 0 });
    this.#originalName = existing?.endpoint.name;
    this.#base = existing?.endpoint ?? { name: "", backend_type: "openai-compat", base_url: "", api_key: "", default_model: "", models: [], provider_preset: CUSTOM_PRESET };
    this.add_button("Cancel", Gtk.ResponseType.CANCEL);
    (this as { saveButton: Gtk.Widget }).saveButton = this.add_button("Save", Gtk.ResponseType.OK);
    this.set_default_response(Gtk.ResponseType.OK);
    this.#build();
    this.#load(this.#base, existing?.apiKey ?? "");
    this.connect("response", (_d, response: number) => {
      if (response === Gtk.ResponseType.OK) void this.saveNow();
      else this.destroy();
    });
    this.show_all();
    this.#updateLoginRow();
  }

  #build(): void {
    const self = this as unknown as Record<string, unknown>;
    const grid = new Gtk.Grid({ row_spacing: 8, column_spacing: 12, margin: 16 });
    const nameEntry = new Gtk.Entry({ placeholder_text: "e.g. DeepSeek" });
    const presetCombo = new Gtk.ComboBoxText();
    const offered = offeredPresets();
    for (const p of [offered[0], ...offered.slice(1).sort((a, b) => a.name.localeCompare(b.name))])
      presetCombo.append(p.name, p.name);
    const backendCombo = new Gtk.ComboBoxText();
    for (const b of BACKEND_TYPES) backendCombo.append(b, isServedBackend(b) ? b : `${b} (not translated yet)`);
    const urlEntry = new Gtk.Entry({ placeholder_text: "https://api.example.com/v1" });
    const keyEntry = new Gtk.Entry({ visibility: false, input_purpose: Gtk.InputPurpose.PASSWORD, placeholder_text: "stored in your keyring" });
    const showKey = new Gtk.CheckButton({ label: "Show" });
    showKey.connect("toggled", () => keyEntry.set_visibility(showKey.get_active()));
    const keyBox = new Gtk.Box({ spacing: 6 });
    keyEntry.hexpand = true;
    keyBox.add(keyEntry);
    keyBox.add(showKey);
    const keyHint = new Gtk.Label({ xalign: 0, use_markup: true });
    keyHint.get_style_context().add_class("dim-label");

    row(grid, 0, "Name", nameEntry);
    row(grid, 1, "Provider preset", presetCombo);
    row(grid, 2, "Backend type", backendCombo);
    row(grid, 3, "Base URL", urlEntry);
    const keyLabel = row(grid, 4, "API key", keyBox);
    // The Google backends sign in instead of taking a key: same place, other widgets.
    const signInButton = new Gtk.Button({ label: "Sign in with Google" });
    const loginStatus = new Gtk.Label({ xalign: 0, wrap: true, selectable: true, use_markup: true });
    loginStatus.hexpand = true;
    const loginBox = new Gtk.Box({ spacing: 8 });
    loginBox.add(signInButton);
    loginBox.add(loginStatus);
    const loginLabel = row(grid, 5, "Google login", loginBox);
    grid.attach(keyHint, 1, 6, 1, 1);

    // Models: a list with add/remove, fetched from the provider or typed in.
    const modelEntry = new Gtk.Entry({ placeholder_text: "model id" });
    const addModelButton = new Gtk.Button({ label: "Add" });
    const removeModelButton = new Gtk.Button({ label: "Remove" });
    const fetchButton = new Gtk.Button({ label: "Fetch models" });
    const fetchSpinner = new Gtk.Spinner();
    const fetchStatus = new Gtk.Label({ xalign: 0, wrap: true });
    const modelList = new Gtk.ListBox({ selection_mode: Gtk.SelectionMode.SINGLE });
    const modelScroll = new Gtk.ScrolledWindow({ min_content_height: 120, shadow_type: Gtk.ShadowType.IN });
    modelScroll.add(modelList);
    const modelTools = new Gtk.Box({ spacing: 6 });
    modelEntry.hexpand = true;
    for (const w of [modelEntry, addModelButton, removeModelButton, fetchButton, fetchSpinner]) modelTools.add(w);
    const modelsBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6 });
    modelsBox.add(modelScroll);
    modelsBox.add(modelTools);
    modelsBox.add(fetchStatus);
    row(grid, 7, "Models", modelsBox);
    const defaultModelCombo = new Gtk.ComboBoxText();
    row(grid, 8, "Default model", defaultModelCombo);

    const testButton = new Gtk.Button({ label: "Test" });
    const testSpinner = new Gtk.Spinner();
    const testStatus = new Gtk.Label({ xalign: 0, wrap: true, selectable: true });
    const testBox = new Gtk.Box({ spacing: 6 });
    testBox.add(testButton);
    testBox.add(testSpinner);
    testStatus.hexpand = true;
    testBox.add(testStatus);
    row(grid, 9, "Check", testBox);

    const errorLabel = new Gtk.Label({ xalign: 0, wrap: true, use_markup: true });
    grid.attach(errorLabel, 0, 10, 2, 1);
    this.get_content_area().add(grid);

    Object.assign(self, { nameEntry, presetCombo, backendCombo, urlEntry, keyEntry, showKey, keyHint, modelEntry, addModelButton,
      removeModelButton, modelList, fetchButton, fetchSpinner, fetchStatus, defaultModelCombo, testButton, testSpinner, testStatus, errorLabel,
      keyLabel, keyBox, loginLabel, loginBox, signInButton, loginStatus });

    presetCombo.connect("changed", () => this.#applyPreset(presetCombo.get_active_id()));
    backendCombo.connect("changed", () => {
      this.#updateLoginRow();
      this.#updateKeyHint();
    });
    signInButton.connect("clicked", () => void this.signInNow());
    this.connect("destroy", () => this.#signIn?.cancel());
    addModelButton.connect("clicked", () => this.#addModel());
    modelEntry.connect("activate", () => this.#addModel());
    removeModelButton.connect("clicked", () => {
      const selected = modelList.get_selected_row();
      if (selected) this.#setModels(this.#models.filter((_, i) => i !== selected.get_index()));
    });
    fetchButton.connect("clicked", () => void this.fetchNow());
    testButton.connect("clicked", () => void this.testNow());
  }

  #load(e: Endpoint, apiKey: string): void {
    this.#fillingPreset = true;
    this.nameEntry.set_text(e.name);
    this.presetCombo.set_active_id(offeredPresets().some((p) => p.name === e.provider_preset) ? e.provider_preset : CUSTOM_PRESET);
    this.backendCombo.set_active_id(e.backend_type);
    this.urlEntry.set_text(e.base_url);
    if (usesGoogleLogin(e.backend_type)) this.#googleLogin = apiKey;
    else this.keyEntry.set_text(apiKey);
    this.#setModels(e.models, e.default_model);
    this.#fillingPreset = false;
    this.#updateKeyHint();
    this.#updateLoginRow();
  }

  /** Key entry for key backends; the Google sign-in for the Google ones. */
  #updateLoginRow(): void {
    const google = usesGoogleLogin(this.backendCombo.get_active_id() ?? "");
    for (const w of [this.keyLabel, this.keyBox]) w.visible = !google;
    for (const w of [this.loginLabel, this.loginBox]) w.visible = google;
    if (google && !this.#signIn) this.#showLogin();
  }

  #showLogin(): void {
    const summary = loginSummary(this.#googleLogin);
    const text = summary ? `${summary} The tokens are kept in your keyring (or the private key file).`
      : this.actions.hasGeminiCliLogin() ? "Using the Gemini CLI's login (~/.gemini/oauth_creds.json). Sign in to keep a login of its own here."
      : "Not signed in. Sign in with the Google account that has Gemini Code Assist (the free tier works).";
    this.loginStatus.set_markup(GLib.markup_escape_text(text, -1));
  }

  /** Runs the browser sign-in; on success the login is kept with the endpoint when it is saved. */
  async signInNow(): Promise<boolean> {
    this.#signIn?.cancel();
    const cancellable = new Gio.Cancellable();
    this.#signIn = cancellable;
    this.signInButton.sensitive = false;
    this.loginStatus.set_markup(GLib.markup_escape_text("Waiting for Google in your browser…", -1));
    try {
      const result = await this.actions.signInWithGoogle((url) => {
        if (this.#signIn !== cancellable) return;
        this.loginStatus.set_markup(`${GLib.markup_escape_text("Waiting for Google in your browser… If no browser opened, open this address:", -1)}\n` +
          `<a href="${GLib.markup_escape_text(url, -1)}">${GLib.markup_escape_text(url.slice(0, 80), -1)}…</a>`);
      }, cancellable);
      if (this.#signIn !== cancellable) return false;
      this.#googleLogin = result.text;
      this.#showLogin();
      this.loginStatus.set_markup(`<span foreground="#26a269">${GLib.markup_escape_text(`${loginSummary(result.text)} Save to keep it.`, -1)}</span>`);
      return true;
    } catch (e) {
      if (this.#signIn === cancellable)
        this.loginStatus.set_markup(`<span foreground="#c01c28">${GLib.markup_escape_text(`Sign-in failed: ${(e as Error).message}`, -1)}</span>`);
      return false;
    } finally {
      if (this.#signIn === cancellable) {
        this.#signIn = null;
        this.signInButton.sensitive = true;
      }
    }
  }

  /** What goes to the key store: the key typed in, or the Google login. */
  #secret(backend: BackendType): string {
    return usesGoogleLogin(backend) ? this.#googleLogin : this.keyEntry.get_text().trim();
  }

  /** One click fills backend type, URL and models (and the name when it is still empty). */
  #applyPreset(name: string | null): void {
    if (this.#fillingPreset) return;
    const preset = findPreset(name);
    if (!preset || preset.name === CUSTOM_PRESET) {
      this.#updateKeyHint();
      return;
    }
    this.backendCombo.set_active_id(preset.backendType);
    this.urlEntry.set_text(preset.baseUrl);
    this.#setModels(preset.models);
    if (!this.nameEntry.get_text().trim()) this.nameEntry.set_text(preset.name.replace(/ \(.*\)$/, ""));
    this.#updateKeyHint();
  }

  #updateKeyHint(): void {
    const preset = findPreset(this.presetCombo.get_active_id());
    const backend = this.backendCombo.get_active_id() as BackendType | null;
    const parts: string[] = [];
    if (preset?.keyHint) parts.push(`Get a key at ${GLib.markup_escape_text(preset.keyHint, -1)}.`);
    if (preset?.keyOptional) parts.push("Local servers usually need no key.");
    if (backend && !isServedBackend(backend)) parts.push(`<b>The ${backend} backend is not translated by this version yet.</b>`);
    this.keyHint.set_markup(parts.join(" "));
  }

  #addModel(): void {
    const id = this.modelEntry.get_text().trim();
    if (!id) return;
    if (!this.#models.includes(id)) this.#setModels([...this.#models, id]);
    this.modelEntry.set_text("");
  }

  models(): string[] {
    return [...this.#models];
  }

  #setModels(models: string[], preferredDefault?: string): void {
    const current = preferredDefault ?? this.defaultModelCombo.get_active_id() ?? "";
    this.#models = [...new Set(models)];
    for (const child of this.modelList.get_children()) child.destroy();
    for (const m of this.#models) this.modelList.add(new Gtk.Label({ label: m, xalign: 0, margin_start: 6, margin_end: 6 }));
    this.modelList.show_all();
    this.defaultModelCombo.remove_all();
    for (const m of this.#models) this.defaultModelCombo.append(m, m);
    if (this.#models.length) this.defaultModelCombo.set_active_id(this.#models.includes(current) ? current : this.#models[0]);
  }

  /** The endpoint as the fields describe it now. */
  endpoint(): Endpoint {
    return {
      ...this.#base,
      name: this.nameEntry.get_text().trim(),
      provider_preset: this.presetCombo.get_active_id() ?? CUSTOM_PRESET,
      backend_type: (this.backendCombo.get_active_id() ?? "openai-compat") as BackendType,
      base_url: this.urlEntry.get_text().trim(),
      api_key: "",
      models: this.models(),
      default_model: this.defaultModelCombo.get_active_id() ?? "",
    };
  }

  async fetchNow(): Promise<void> {
    const e = this.endpoint();
    this.fetchButton.sensitive = false;
    this.fetchSpinner.start();
    this.fetchStatus.set_text("Fetching models…");
    try {
      const models = await this.actions.fetchModels(e.base_url, this.#secret(e.backend_type), e.backend_type);
      this.#setModels(models, e.default_model);
      this.fetchStatus.set_text(`${models.length} models from the provider.`);
    } catch (err) {
      this.fetchStatus.set_markup(`<span foreground="#c01c28">Could not fetch models: ${GLib.markup_escape_text((err as Error).message, -1)}</span>`);
    } finally {
      this.fetchSpinner.stop();
      this.fetchButton.sensitive = true;
    }
  }

  async testNow(): Promise<void> {
    const e = this.endpoint();
    const model = e.default_model || e.models[0];
    if (!model) {
      this.testStatus.set_text("Add a model first.");
      return;
    }
    this.testButton.sensitive = false;
    this.testSpinner.start();
    this.testStatus.set_text(`Sending one request to ${model} through a temporary proxy…`);
    const result = await this.actions.test({ backend: e.backend_type, baseUrl: e.base_url, apiKey: this.#secret(e.backend_type), model });
    this.testSpinner.stop();
    this.testButton.sensitive = true;
    const text = GLib.markup_escape_text(result.ok ? `OK in ${result.latencyMs} ms — ${result.detail}` : `Failed after ${result.latencyMs} ms — ${result.detail}`, -1);
    this.testStatus.set_markup(result.ok ? `<span foreground="#26a269">${text}</span>` : `<span foreground="#c01c28">${text}</span>`);
  }

  /** Validates and saves; the dialog closes only when saving worked. */
  async saveNow(): Promise<boolean> {
    const e = this.endpoint();
    const problems = validateEndpoint(e, this.others.filter((o) => o.name !== this.#originalName));
    if (problems.length) {
      this.errorLabel.set_markup(`<span foreground="#c01c28">${GLib.markup_escape_text(problems.join(" "), -1)}</span>`);
      return false;
    }
    const error = await this.actions.save(e, this.#secret(e.backend_type), this.#originalName);
    if (error) {
      this.errorLabel.set_markup(`<span foreground="#c01c28">${GLib.markup_escape_text(error, -1)}</span>`);
      return false;
    }
    this.destroy();
    return true;
  }
}
