// Add/Edit Endpoint dialog: the original's fields (name, preset, backend type, base URL, key or Google
// login, reasoning on/off and effort, models and the default model), presets that fill it in one click,
// and the model tools — Add, Bulk Add, Fetch, Sync from Preset, Sort A–Z, Clear All, Remove — plus Test.
// Saving with no models fetches them first. It edits a copy; the caller saves.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Gtk from "gi://Gtk?version=3.0";
import { validateEndpoint, type Endpoint } from "../lib/endpoints.js";
import { BACKEND_TYPES, isServedBackend, usesGoogleLogin, type BackendType } from "../lib/backend-types.js";
import { accountEmail, GoogleCredentialsError, parseCredentials } from "../lib/google-oauth.js";
import { CUSTOM_PRESET, findPreset, offeredPresets } from "../lib/presets.js";
import { effortFromFile, REASONING_EFFORTS, type ReasoningSetting } from "../lib/reasoning.js";
import type { TestSpec } from "../launcher/endpoint-tools.js";
import { mergeModels, parseBulkModels, sortModels, syncFromPreset } from "../launcher/model/model-list.js";
import { formatMs } from "../launcher/model/latency.js";
import { escape } from "./error-bar.js";
import { setStatus } from "./style.js";

export interface EndpointDialogActions {
  fetchModels(baseUrl: string, apiKey: string, backend: BackendType): Promise<string[]>;
  test(spec: TestSpec): Promise<{ ok: boolean; latencyMs: number; detail: string }>;
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

/** The reasoning combo's ids: "" = Codex decides (no field), "off", or an effort. */
const REASONING_CHOICES: [string, string][] = [
  ["", "As Codex asks (default)"],
  ["off", "Off — no reasoning effort sent"],
  ...REASONING_EFFORTS.map((e): [string, string] => [e, `On — effort ${e}`]),
];

export class EndpointDialog extends Gtk.Dialog {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherEndpointDialog" }, this);
  }

  readonly nameEntry = new Gtk.Entry({ placeholder_text: "e.g. DeepSeek" });
  readonly presetCombo = new Gtk.ComboBoxText();
  readonly backendCombo = new Gtk.ComboBoxText();
  readonly urlEntry = new Gtk.Entry({ placeholder_text: "https://api.example.com/v1" });
  readonly keyEntry = new Gtk.Entry({ visibility: false, input_purpose: Gtk.InputPurpose.PASSWORD, placeholder_text: "stored in your keyring", hexpand: true });
  readonly showKey = new Gtk.CheckButton({ label: "Show" });
  readonly keyBox = new Gtk.Box({ spacing: 6 });
  readonly keyHint = new Gtk.Label({ xalign: 0, use_markup: true, wrap: true });
  readonly signInButton = new Gtk.Button({ label: "Sign in with Google" });
  readonly loginStatus = new Gtk.Label({ xalign: 0, wrap: true, selectable: true, use_markup: true, hexpand: true });
  readonly loginBox = new Gtk.Box({ spacing: 8 });
  readonly reasoningCombo = new Gtk.ComboBoxText();
  readonly modelEntry = new Gtk.Entry({ placeholder_text: "model id", hexpand: true });
  readonly addModelButton = new Gtk.Button({ label: "Add" });
  readonly bulkAddButton = new Gtk.Button({ label: "Bulk Add…" });
  readonly removeModelButton = new Gtk.Button({ label: "Remove" });
  readonly fetchButton = new Gtk.Button({ label: "Fetch models" });
  readonly syncButton = new Gtk.Button({ label: "Sync from Preset" });
  readonly sortButton = new Gtk.Button({ label: "Sort A–Z" });
  readonly clearModelsButton = new Gtk.Button({ label: "Clear All" });
  readonly fetchSpinner = new Gtk.Spinner();
  readonly fetchStatus = new Gtk.Label({ xalign: 0, wrap: true });
  readonly modelList = new Gtk.ListBox({ selection_mode: Gtk.SelectionMode.SINGLE });
  readonly defaultModelCombo = new Gtk.ComboBoxText();
  readonly testButton = new Gtk.Button({ label: "Test" });
  readonly testSpinner = new Gtk.Spinner();
  readonly testStatus = new Gtk.Label({ xalign: 0, wrap: true, selectable: true, hexpand: true });
  readonly errorLabel = new Gtk.Label({ xalign: 0, wrap: true });
  readonly saveButton: Gtk.Widget;
  keyLabel!: Gtk.Label;
  loginLabel!: Gtk.Label;
  /** The Bulk Add dialog while it is open (specs fill it). */
  bulkDialog: Gtk.Dialog | null = null;
  /** The Google login kept with this endpoint (credentials JSON), for the Google backends. */
  #googleLogin = "";
  #signIn: Gio.Cancellable | null = null;
  #models: string[] = [];
  #base: Endpoint;
  #originalName: string | undefined;
  #fillingPreset = false;

  constructor(parent: Gtk.Window | null, private readonly actions: EndpointDialogActions, private readonly others: readonly Endpoint[],
    existing?: { endpoint: Endpoint; apiKey: string }, preset?: string) {
    super({ title: existing ? `Edit Endpoint — ${existing.endpoint.name}` : "Add Endpoint", ...(parent ? { transient_for: parent } : {}), modal: true,
      // Closing Manage Endpoints closes its editor: a modal dialog left behind would block every other window.
      destroy_with_parent: true,
      default_width: 720, use_header_bar: 0 });
    this.#originalName = existing?.endpoint.name;
    this.#base = existing?.endpoint ?? { name: "", backend_type: "openai-compat", base_url: "", api_key: "", default_model: "", models: [], provider_preset: CUSTOM_PRESET };
    this.add_button("Cancel", Gtk.ResponseType.CANCEL);
    this.saveButton = this.add_button("Save", Gtk.ResponseType.OK);
    this.set_default_response(Gtk.ResponseType.OK);
    this.#build();
    this.#load(this.#base, existing?.apiKey ?? "");
    this.connect("response", (_d, response: number) => {
      if (response === Gtk.ResponseType.OK) void this.saveNow();
      else this.destroy();
    });
    this.show_all();
    this.#updateLoginRow();
    if (!existing && preset) this.presetCombo.set_active_id(preset);
  }

  #build(): void {
    const grid = new Gtk.Grid({ row_spacing: 8, column_spacing: 12, margin: 16 });
    const offered = offeredPresets();
    for (const p of [offered[0], ...offered.slice(1).sort((a, b) => a.name.localeCompare(b.name))]) this.presetCombo.append(p.name, p.name);
    for (const b of BACKEND_TYPES) this.backendCombo.append(b, isServedBackend(b) ? b : `${b} (not translated yet)`);
    for (const [id, label] of REASONING_CHOICES) this.reasoningCombo.append(id, label);
    this.reasoningCombo.tooltip_text = "What the proxy does with the reasoning effort of each request: Codex's own, none at all, or this effort " +
      "(sent as the provider's reasoning_effort, or Gemini's thinking budget)";
    this.showKey.connect("toggled", () => this.keyEntry.set_visibility(this.showKey.get_active()));
    this.keyBox.add(this.keyEntry);
    this.keyBox.add(this.showKey);
    this.keyHint.get_style_context().add_class("dim-label");

    row(grid, 0, "Name", this.nameEntry);
    row(grid, 1, "Provider preset", this.presetCombo);
    row(grid, 2, "Backend type", this.backendCombo);
    row(grid, 3, "Base URL", this.urlEntry);
    this.keyLabel = row(grid, 4, "API key", this.keyBox);
    // The Google backends sign in instead of taking a key: same place, other widgets.
    this.loginBox.add(this.signInButton);
    this.loginBox.add(this.loginStatus);
    this.loginLabel = row(grid, 5, "Google login", this.loginBox);
    grid.attach(this.keyHint, 1, 6, 1, 1);
    row(grid, 7, "Reasoning", this.reasoningCombo);

    // Models: a list with its tools, fetched from the provider or typed in.
    const modelScroll = new Gtk.ScrolledWindow({ min_content_height: 130, shadow_type: Gtk.ShadowType.IN });
    modelScroll.add(this.modelList);
    const addRow = new Gtk.Box({ spacing: 6 });
    for (const w of [this.modelEntry, this.addModelButton, this.bulkAddButton, this.removeModelButton]) addRow.add(w);
    const toolRow = new Gtk.Box({ spacing: 6 });
    for (const w of [this.fetchButton, this.syncButton, this.sortButton, this.clearModelsButton, this.fetchSpinner]) toolRow.add(w);
    const modelsBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6 });
    for (const w of [modelScroll, addRow, toolRow, this.fetchStatus]) modelsBox.add(w);
    row(grid, 8, "Models", modelsBox);
    row(grid, 9, "Default model", this.defaultModelCombo);

    const testBox = new Gtk.Box({ spacing: 6 });
    for (const w of [this.testButton, this.testSpinner, this.testStatus]) testBox.add(w);
    row(grid, 10, "Check", testBox);
    grid.attach(this.errorLabel, 0, 11, 2, 1);
    this.get_content_area().add(grid);

    this.presetCombo.connect("changed", () => this.#applyPreset(this.presetCombo.get_active_id()));
    this.backendCombo.connect("changed", () => {
      this.#updateLoginRow();
      this.#updateKeyHint();
    });
    this.signInButton.connect("clicked", () => void this.signInNow());
    this.connect("destroy", () => this.#signIn?.cancel());
    this.addModelButton.connect("clicked", () => this.#addModel());
    this.modelEntry.connect("activate", () => this.#addModel());
    this.removeModelButton.connect("clicked", () => {
      const selected = this.modelList.get_selected_row();
      if (selected) this.#setModels(this.#models.filter((_, i) => i !== selected.get_index()));
    });
    this.bulkAddButton.connect("clicked", () => this.openBulkAdd());
    this.syncButton.connect("clicked", () => this.syncFromPreset());
    this.sortButton.connect("clicked", () => this.#setModels(sortModels(this.#models)));
    this.clearModelsButton.connect("clicked", () => {
      this.#setModels([]);
      this.fetchStatus.set_text("Model list cleared.");
    });
    this.fetchButton.connect("clicked", () => void this.fetchNow());
    this.testButton.connect("clicked", () => void this.testNow());
  }

  #load(e: Endpoint, apiKey: string): void {
    this.#fillingPreset = true;
    this.nameEntry.set_text(e.name);
    this.presetCombo.set_active_id(offeredPresets().some((p) => p.name === e.provider_preset) ? e.provider_preset : CUSTOM_PRESET);
    this.backendCombo.set_active_id(e.backend_type);
    this.urlEntry.set_text(e.base_url);
    if (usesGoogleLogin(e.backend_type)) this.#googleLogin = apiKey;
    else this.keyEntry.set_text(apiKey);
    this.reasoningCombo.set_active_id(e.reasoning_enabled === false ? "off" : effortFromFile(e.reasoning_effort) ?? "");
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
    this.loginStatus.set_markup(escape(text));
    setStatus(this.loginStatus, text, null);
  }

  /** Runs the browser sign-in; on success the login is kept with the endpoint when it is saved. */
  async signInNow(): Promise<boolean> {
    this.#signIn?.cancel();
    const cancellable = new Gio.Cancellable();
    this.#signIn = cancellable;
    this.signInButton.sensitive = false;
    setStatus(this.loginStatus, "Waiting for Google in your browser…", null);
    try {
      const result = await this.actions.signInWithGoogle((url) => {
        if (this.#signIn !== cancellable) return;
        this.loginStatus.set_markup(`${escape("Waiting for Google in your browser… If no browser opened, open this address:")}\n` +
          `<a href="${escape(url)}">${escape(url.slice(0, 80))}…</a>`);
      }, cancellable);
      if (this.#signIn !== cancellable) return false;
      this.#googleLogin = result.text;
      setStatus(this.loginStatus, `${loginSummary(result.text)} Save to keep it.`, "ok");
      return true;
    } catch (e) {
      if (this.#signIn === cancellable) setStatus(this.loginStatus, `Sign-in failed: ${(e as Error).message}`, "bad");
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
    if (preset?.keyHint) parts.push(`Get a key at ${escape(preset.keyHint)}.`);
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

  /** Bulk Add: ids separated by commas or new lines, normalised the original's way unless unticked. */
  bulkAdd(text: string, normalise = true): number {
    const { models, added } = mergeModels(this.#models, parseBulkModels(text, normalise));
    this.#setModels(models);
    this.fetchStatus.set_text(`${added} model(s) added.`);
    return added;
  }

  openBulkAdd(): Gtk.Dialog {
    const dialog = new Gtk.Dialog({ title: "Bulk Add Models", transient_for: this as unknown as Gtk.Window, modal: true, default_width: 480, default_height: 320, use_header_bar: 0 });
    dialog.add_button("Cancel", Gtk.ResponseType.CANCEL);
    dialog.add_button("Add", Gtk.ResponseType.OK);
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 8, margin: 12 });
    box.add(new Gtk.Label({ label: "Paste model ids, separated by commas or new lines:", xalign: 0 }));
    const buffer = new Gtk.TextBuffer();
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, shadow_type: Gtk.ShadowType.IN });
    scroller.add(new Gtk.TextView({ buffer, wrap_mode: Gtk.WrapMode.WORD_CHAR, monospace: true }));
    box.add(scroller);
    const normalise = new Gtk.CheckButton({ label: "Normalise the ids as the original app did (lower case, / → -, + → plus)", active: true });
    box.add(normalise);
    dialog.get_content_area().add(box);
    dialog.connect("response", (_d, response: number) => {
      if (response === Gtk.ResponseType.OK) this.bulkAdd(buffer.get_text(buffer.get_start_iter(), buffer.get_end_iter(), false), normalise.get_active());
      dialog.destroy();
      this.bulkDialog = null;
    });
    dialog.show_all();
    this.bulkDialog = dialog;
    return dialog;
  }

  /** Sync from Preset: the chosen preset's models the list lacks are added. */
  syncFromPreset(): void {
    const preset = findPreset(this.presetCombo.get_active_id());
    if (!preset || preset.models.length === 0) {
      this.fetchStatus.set_text(preset && preset.name !== CUSTOM_PRESET ? `The ${preset.name} preset lists no models: use Fetch models.` : "Choose a provider preset first.");
      return;
    }
    const { models, added } = syncFromPreset(this.#models, preset.models);
    this.#setModels(models);
    this.fetchStatus.set_text(added.length ? `Added from the ${preset.name} preset: ${added.join(", ")}.` : `Every model of the ${preset.name} preset is already listed.`);
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

  /** The reasoning setting chosen ("" = Codex decides). */
  reasoning(): ReasoningSetting | null {
    const id = this.reasoningCombo.get_active_id();
    return id ? (id as ReasoningSetting) : null;
  }

  /** The endpoint as the fields describe it now. */
  endpoint(): Endpoint {
    const e: Endpoint = {
      ...this.#base,
      name: this.nameEntry.get_text().trim(),
      provider_preset: this.presetCombo.get_active_id() ?? CUSTOM_PRESET,
      backend_type: (this.backendCombo.get_active_id() ?? "openai-compat") as BackendType,
      base_url: this.urlEntry.get_text().trim(),
      api_key: "",
      models: this.models(),
      default_model: this.defaultModelCombo.get_active_id() ?? "",
    };
    // The original's fields: reasoning_enabled + reasoning_effort; absent when Codex decides.
    const reasoning = this.reasoning();
    delete e.reasoning_enabled;
    delete e.reasoning_effort;
    if (reasoning === "off") e.reasoning_enabled = false;
    else if (reasoning) {
      e.reasoning_enabled = true;
      e.reasoning_effort = reasoning;
    }
    return e;
  }

  async fetchNow(): Promise<boolean> {
    const e = this.endpoint();
    this.fetchButton.sensitive = false;
    this.fetchSpinner.start();
    setStatus(this.fetchStatus, "Fetching models…", null);
    try {
      const models = await this.actions.fetchModels(e.base_url, this.#secret(e.backend_type), e.backend_type);
      this.#setModels(models, e.default_model);
      setStatus(this.fetchStatus, `${models.length} models from the provider.`, null);
      return models.length > 0;
    } catch (err) {
      setStatus(this.fetchStatus, `Could not fetch models: ${(err as Error).message}`, "bad");
      return false;
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
    setStatus(this.testStatus, `Sending one request to ${model} through a temporary proxy…`, null);
    try {
      const result = await this.actions.test({ backend: e.backend_type, baseUrl: e.base_url, apiKey: this.#secret(e.backend_type), model,
        reasoning: this.reasoning(), endpointName: this.#originalName ?? (e.name || undefined) });
      setStatus(this.testStatus, result.ok ? `OK in ${result.latencyMs} ms — ${result.detail}` : `Failed after ${formatMs(result.latencyMs)} — ${result.detail}`,
        result.ok ? "ok" : "bad");
    } catch (err) {
      setStatus(this.testStatus, `The test could not run: ${(err as Error).message}`, "bad");
    } finally {
      this.testSpinner.stop();
      this.testButton.sensitive = true;
    }
  }

  #showProblem(text: string): void {
    setStatus(this.errorLabel, text, "bad");
  }

  /** Validates and saves (fetching the models first when none are listed); closes only when saved. */
  async saveNow(): Promise<boolean> {
    try {
      return await this.#save();
    } catch (e) {
      this.#showProblem(`Could not save: ${(e as Error).message}`);
      return false;
    }
  }

  async #save(): Promise<boolean> {
    if (this.#models.length === 0 && /^https?:\/\//.test(this.urlEntry.get_text().trim()) && isServedBackend(this.backendCombo.get_active_id() ?? "")) {
      setStatus(this.errorLabel, "No models listed: fetching them from the provider before saving…", null);
      if (!(await this.fetchNow())) {
        this.#showProblem(`No models listed, and fetching them failed (${this.fetchStatus.get_text().replace(/^Could not fetch models: /, "")}). Add one by hand.`);
        return false;
      }
    }
    const e = this.endpoint();
    const problems = validateEndpoint(e, this.others.filter((o) => o.name !== this.#originalName));
    if (problems.length) {
      this.#showProblem(problems.join(" "));
      return false;
    }
    const error = await this.actions.save(e, this.#secret(e.backend_type), this.#originalName);
    if (error) {
      this.#showProblem(error);
      return false;
    }
    this.destroy();
    return true;
  }
}
