// The AI Monitor window (the original's layout): settings, stats, the incidents as they happen, the log.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import Gtk from "gi://Gtk?version=3.0";
import type { AppContext } from "../launcher/app-context.js";
import { ProviderCapsFile } from "../launcher/provider-caps.js";
import type { CapsProviderSummary } from "../proxy/caps.js";
import type { MonitoringController } from "../watchdog/controller.js";
import { DEFAULT_MONITORING, type MonitoringConfig } from "../watchdog/config.js";
import { AI_MODEL_PRESETS } from "../watchdog/diagnosis.js";
import { IncidentFile } from "../watchdog/incident-file.js";
import { writeIncidentReport } from "../watchdog/incident-report.js";
import { costThisMonth, emptyStore, incidentLines, type IncidentStoreData } from "../watchdog/incidents.js";
import { ErrorBar } from "./error-bar.js";
import type { MonitorEvent } from "../watchdog/watchdog.js";

const TIER_ICON: Record<number, string> = { 0: "·", 1: "⚙", 2: "📚", 3: "🤖" };

/** One provider's lessons as the window shows them: what is left out, per model. */
export function capsLines(summary: CapsProviderSummary): string {
  const models = summary.entries.map((e) => `${e.model || "(any model)"}: without ${e.drop.join(", ")}${e.expired ? " (expired)" : ""}`);
  return `${summary.provider}\n   ${models.join("\n   ")}`;
}

export class MonitorWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherMonitorWindow" }, this);
  }

  readonly errorBar = new ErrorBar();
  readonly enabledSwitch = new Gtk.Switch();
  readonly presetCombo = new Gtk.ComboBoxText();
  readonly urlEntry = new Gtk.Entry({ placeholder_text: "https://api.openai.com/v1/chat/completions", hexpand: true });
  readonly modelEntry = new Gtk.Entry({ placeholder_text: "gpt-4o-mini or Qwen/Qwen3-32B" });
  readonly keyEntry = new Gtk.Entry({ visibility: false, input_purpose: Gtk.InputPurpose.PASSWORD, hexpand: true });
  readonly showKey = new Gtk.CheckButton({ label: "Show" });
  readonly intervalSpin = Gtk.SpinButton.new_with_range(2, 30, 1);
  readonly autoRestart = new Gtk.CheckButton({ label: "Auto-restart proxy on crash" });
  readonly autoSwitch = new Gtk.CheckButton({ label: "Auto-switch provider on repeated failure" });
  readonly saveButton = new Gtk.Button({ label: "Save Configuration" });
  readonly statsLabel = new Gtk.Label({ xalign: 0, selectable: true });
  readonly statusLabel = new Gtk.Label({ xalign: 0, wrap: true });
  readonly incidentsBuffer = new Gtk.TextBuffer();
  readonly viewLogButton = new Gtk.Button({ label: "View Monitoring Log" });
  readonly clearButton = new Gtk.Button({ label: "Clear Incident Store" });
  readonly exportButton = new Gtk.Button({ label: "Export Incident Report" });
  /** Provider quirks learned into provider-caps.json: one row per provider, each with its Clear button. */
  readonly capsList = new Gtk.ListBox({ selection_mode: Gtk.SelectionMode.NONE });
  confirm: Gtk.MessageDialog | null = null;
  #caps: ProviderCapsFile | null = null;
  #unsubscribe: (() => void)[] = [];
  #loading = false;

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext, private readonly monitoring: MonitoringController) {
    super({ title: "AI Monitoring", default_width: 620, default_height: 720, ...(parent ? { transient_for: parent } : {}) });
    this.#caps = new ProviderCapsFile(ctx.paths.providerCaps);
    this.#build();
    this.#load();
    this.refresh();
    const watchdogEvents = () => this.monitoring.watchdog?.onEvent((e) => this.#onEvent(e));
    let unwatch = watchdogEvents();
    this.#unsubscribe.push(this.monitoring.onChange(() => {
      unwatch?.();
      unwatch = watchdogEvents();
      this.#load();
      this.refresh();
    }), () => unwatch?.());
    this.connect("destroy", () => this.#unsubscribe.forEach((u) => u()));
    this.show_all();
  }

  #build(): void {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 10, margin: 14 });
    box.add(this.errorBar);
    const header = new Gtk.Box({ spacing: 8 });
    const title = new Gtk.Label({ label: "AI Monitoring", xalign: 0, hexpand: true });
    title.get_style_context().add_class("section-title");
    header.add(title);
    header.add(new Gtk.Label({ label: "Enabled" }));
    header.add(this.enabledSwitch);
    box.add(header);
    box.add(this.statusLabel);

    const frame = new Gtk.Frame({ label: "Diagnostic Agent" });
    const grid = new Gtk.Grid({ row_spacing: 6, column_spacing: 10, margin: 10 });
    this.presetCombo.append("", "Choose a recommended model…");
    for (const p of AI_MODEL_PRESETS) this.presetCombo.append(p.label, p.label);
    this.showKey.connect("toggled", () => this.keyEntry.set_visibility(this.showKey.get_active()));
    const keyBox = new Gtk.Box({ spacing: 6 });
    keyBox.add(this.keyEntry);
    keyBox.add(this.showKey);
    const rows: [string, Gtk.Widget][] = [["Preset", this.presetCombo], ["Provider URL", this.urlEntry], ["Model", this.modelEntry], ["API Key", keyBox],
      ["Health check (s)", this.intervalSpin]];
    rows.forEach(([label, w], i) => {
      grid.attach(new Gtk.Label({ label, xalign: 1 }), 0, i, 1, 1);
      grid.attach(w, 1, i, 1, 1);
    });
    grid.attach(this.autoRestart, 1, rows.length, 1, 1);
    grid.attach(this.autoSwitch, 1, rows.length + 1, 1, 1);
    this.saveButton.get_style_context().add_class("suggested-action");
    grid.attach(this.saveButton, 1, rows.length + 2, 1, 1);
    frame.add(grid);
    box.add(frame);

    box.add(this.statsLabel);
    const incidents = new Gtk.Frame({ label: "Recent Incidents" });
    const view = new Gtk.TextView({ buffer: this.incidentsBuffer, editable: false, monospace: true, wrap_mode: Gtk.WrapMode.WORD_CHAR });
    const scroller = new Gtk.ScrolledWindow({ vexpand: true, min_content_height: 200 });
    scroller.add(view);
    incidents.add(scroller);
    box.add(incidents);

    // What the proxy learned to leave out for each provider (kept 24 h); Clear forgets one provider's lessons.
    const capsFrame = new Gtk.Frame({ label: "Provider Quirks (provider-caps.json)" });
    const capsScroller = new Gtk.ScrolledWindow({ min_content_height: 100, max_content_height: 160, propagate_natural_height: true });
    capsScroller.add(this.capsList);
    capsFrame.add(capsScroller);
    box.add(capsFrame);

    const buttons = new Gtk.Box({ spacing: 6 });
    const closeButton = new Gtk.Button({ label: "Close" });
    for (const b of [this.viewLogButton, this.clearButton, this.exportButton]) buttons.add(b);
    buttons.pack_end(closeButton, false, false, 0);
    box.add(buttons);
    this.add(box);

    this.presetCombo.connect("changed", () => {
      const preset = AI_MODEL_PRESETS.find((p) => p.label === this.presetCombo.get_active_id());
      if (preset) {
        this.urlEntry.set_text(preset.url);
        this.modelEntry.set_text(preset.model);
      }
    });
    this.enabledSwitch.connect("notify::active", () => {
      if (!this.#loading) void this.save();
    });
    this.saveButton.connect("clicked", () => void this.save());
    this.viewLogButton.connect("clicked", () => this.#openLog());
    this.clearButton.connect("clicked", () => this.#askClear());
    this.exportButton.connect("clicked", () => this.#chooseExport());
    closeButton.connect("clicked", () => this.destroy());
  }

  #load(): void {
    const c = this.monitoring.config ?? DEFAULT_MONITORING;
    this.#loading = true;
    this.enabledSwitch.set_active(c.enabled);
    this.urlEntry.set_text(c.provider_url);
    this.modelEntry.set_text(c.model);
    this.keyEntry.set_text(this.monitoring.apiKey);
    this.intervalSpin.set_value(c.health_check_interval_s);
    this.autoRestart.set_active(c.auto_restart_proxy);
    this.autoSwitch.set_active(c.auto_switch_provider);
    this.#loading = false;
  }

  /** The settings as the widgets show them. */
  settings(): MonitoringConfig {
    return { ...(this.monitoring.config ?? DEFAULT_MONITORING), enabled: this.enabledSwitch.get_active(), provider_url: this.urlEntry.get_text().trim(),
      model: this.modelEntry.get_text().trim(), health_check_interval_s: this.intervalSpin.get_value_as_int(),
      auto_restart_proxy: this.autoRestart.get_active(), auto_switch_provider: this.autoSwitch.get_active() };
  }

  async save(): Promise<void> {
    try {
      await this.monitoring.save(this.settings(), this.keyEntry.get_text().trim());
      this.errorBar.clear();
      this.statusLabel.set_text(`Configuration saved. Watchdog ${this.monitoring.watchdog?.running ? "running" : "off"}.`);
    } catch (e) {
      this.statusLabel.set_text(`Could not save: ${(e as Error).message}`);
      this.errorBar.showError("Could not save the AI Monitoring settings", e);
    }
  }

  #store(): IncidentStoreData {
    return this.monitoring.watchdog?.incidents.data ?? emptyStore();
  }

  refresh(): void {
    const store = this.#store();
    const month = new Date().toISOString().slice(0, 7);
    this.statsLabel.set_text(`AI diagnostic calls: ${store.stats.ai_calls} · Tokens used: ${store.stats.tokens_used} · ` +
      `Cost this month: $${costThisMonth(store, month).toFixed(4)} · Known patterns: ${Object.keys(store.incidents).length}`);
    const live = (this.monitoring.watchdog?.events ?? []).slice(-15).reverse()
      .map((e) => `${TIER_ICON[e.tier] ?? "·"} ${e.at.slice(11, 19)} ${e.faultId} ${e.category} → ${e.outcome}${e.tier ? ` (Tier ${e.tier})` : ""}`);
    const lines = incidentLines(store);
    const text = [
      ...(live.length ? ["Live events:", ...live, ""] : []),
      ...(lines.length ? lines : ["No incidents recorded yet.", "", this.monitoring.config?.enabled ? "The watchdog is running; incidents appear here as they happen." : "Enable AI Monitoring and use Codex to populate the store."]),
    ].join("\n");
    this.incidentsBuffer.set_text(text, -1);
    this.refreshCaps();
  }

  /** Rebuilds the provider quirks list from provider-caps.json. */
  refreshCaps(): void {
    for (const row of this.capsList.get_children()) row.destroy();
    let providers: CapsProviderSummary[];
    try {
      providers = this.#caps?.list() ?? [];
    } catch (e) {
      this.capsList.add(new Gtk.Label({ label: (e as Error).message, xalign: 0, wrap: true, margin: 6 }));
      this.capsList.show_all();
      return;
    }
    if (providers.length === 0) this.capsList.add(new Gtk.Label({ label: "Nothing learned: every request goes to the providers as Codex sent it.", xalign: 0, margin: 6 }));
    for (const summary of providers) {
      const row = new Gtk.Box({ spacing: 8, margin: 4 });
      row.add(new Gtk.Label({ label: capsLines(summary), xalign: 0, hexpand: true, selectable: true, wrap: true }));
      const clear = new Gtk.Button({ label: "Clear", valign: Gtk.Align.CENTER, tooltip_text: `Forget what was learned about ${summary.provider}` });
      clear.connect("clicked", () => this.clearProviderCaps(summary.provider));
      row.add(clear);
      this.capsList.add(row);
    }
    this.capsList.show_all();
  }

  /** The rows' providers and the text each shows (for specs and the accessibility tree alike). */
  capsRows(): { provider: string | null; text: string }[] {
    return this.capsList.get_children().map((row) => {
      const box = (row as Gtk.ListBoxRow).get_child();
      const label = box instanceof Gtk.Box ? box.get_children()[0] as Gtk.Label : box as Gtk.Label;
      const text = label.get_label();
      return { provider: box instanceof Gtk.Box ? text.split("\n")[0] : null, text };
    });
  }

  clearProviderCaps(provider: string): void {
    try {
      const removed = this.#caps?.clear(provider) ?? 0;
      this.statusLabel.set_text(`Forgot ${removed} learned ${removed === 1 ? "entry" : "entries"} for ${provider}; the proxy sends its requests unchanged from now on.`);
    } catch (e) {
      this.statusLabel.set_text(`Could not clear: ${(e as Error).message}`);
    }
    this.refreshCaps();
  }

  incidentsText(): string {
    return this.incidentsBuffer.get_text(this.incidentsBuffer.get_start_iter(), this.incidentsBuffer.get_end_iter(), false);
  }

  #onEvent(_e: MonitorEvent): void {
    this.refresh();
  }

  #openLog(): void {
    const uri = Gio.File.new_for_path(this.ctx.paths.monitoringLog).get_uri();
    try {
      Gio.AppInfo.launch_default_for_uri(uri, null);
    } catch (e) {
      this.errorBar.showError(`Could not open ${this.ctx.paths.monitoringLog}`, e);
    }
  }

  #askClear(): void {
    const confirm = new Gtk.MessageDialog({ transient_for: this, modal: true, message_type: Gtk.MessageType.QUESTION, buttons: Gtk.ButtonsType.NONE,
      text: "Clear the incident store?", secondary_text: "Every learned pattern and its success rate is forgotten. A copy is kept next to the store." });
    confirm.add_button("Cancel", Gtk.ResponseType.CANCEL);
    confirm.add_button("Clear", Gtk.ResponseType.ACCEPT);
    this.confirm = confirm;
    confirm.connect("response", (_d, response: number) => {
      confirm.destroy();
      this.confirm = null;
      if (response === Gtk.ResponseType.ACCEPT) this.clearStore();
    });
    confirm.show_all();
  }

  clearStore(): void {
    try {
      // The running watchdog's store, or the file itself when the watchdog is not running.
      const file = this.monitoring.watchdog?.incidents ?? new IncidentFile(this.ctx.paths.incidentStore, (m) => this.ctx.log.write(m));
      if (!this.monitoring.watchdog) file.load();
      file.clear();
    } catch (e) {
      this.errorBar.showError("Could not clear the incident store", e);
      return;
    }
    this.statusLabel.set_text("Incident store cleared (a copy was kept).");
    this.refresh();
  }

  /** A readable report: settings (no key), stats, incidents and the recent monitoring log. */
  exportReport(path: string): void {
    try {
      writeIncidentReport(this.ctx.paths, path, this.monitoring.config ?? DEFAULT_MONITORING, this.#store());
    } catch (e) {
      this.errorBar.showError(`Could not write the report to ${path}`, e);
      return;
    }
    this.statusLabel.set_text(`Report written to ${path}`);
  }

  #chooseExport(): void {
    const chooser = new Gtk.FileChooserNative({ title: "Export Incident Report", transient_for: this, action: Gtk.FileChooserAction.SAVE, do_overwrite_confirmation: true });
    chooser.set_current_name(`codex-launcher-incidents-${new Date().toISOString().slice(0, 10)}.md`);
    chooser.connect("response", (_c, response: number) => {
      const file = chooser.get_filename();
      if (response === Gtk.ResponseType.ACCEPT && file) this.exportReport(file);
      chooser.destroy();
    });
    chooser.show();
  }
}
