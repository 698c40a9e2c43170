// The Doctor window: one section per endpoint (one for Doctor, all of them for Doctor All), a row per
// check with ✓ / ✗ / ○ and the reason, filled in as the checks finish. The checks run in the
// background (launcher/doctor.ts); Cancel stops them; the window stays usable throughout.
import GObject from "gi://GObject";
import Gio from "gi://Gio";
import Gtk from "gi://Gtk?version=3.0";
import type { Endpoint } from "../lib/endpoints.js";
import { preferredModel } from "../lib/endpoints.js";
import type { AppContext } from "../launcher/app-context.js";
import { runDoctor } from "../launcher/doctor.js";
import { DOCTOR_CHECKS, doctorLatency, doctorSummary, MARK_SYMBOL, pendingRows, type CheckId, type DoctorRow, type RowState } from "../launcher/model/doctor.js";
import { formatMs } from "../launcher/model/latency.js";
import { ErrorBar } from "./error-bar.js";
import { setStateClass, setStatus } from "./style.js";

const MARK_CLASSES = ["doctor-pass", "doctor-fail", "doctor-skip", "doctor-pending", "doctor-running"] as const;

/** The widgets of one check row. */
interface RowWidgets {
  mark: Gtk.Label;
  reason: Gtk.Label;
  time: Gtk.Label;
}

/** One endpoint's section. */
class EndpointSection {
  readonly frame: Gtk.Frame;
  readonly summary = new Gtk.Label({ xalign: 0, wrap: true, selectable: true });
  readonly rows = new Map<CheckId, RowWidgets>();
  state: DoctorRow[] = pendingRows();

  constructor(readonly endpoint: Endpoint, readonly model: string) {
    this.frame = new Gtk.Frame({ label: `${endpoint.name} — ${model || "no model"} (${endpoint.backend_type})` });
    const grid = new Gtk.Grid({ row_spacing: 4, column_spacing: 10, margin: 10 });
    DOCTOR_CHECKS.forEach((check, i) => {
      const mark = new Gtk.Label({ xalign: 0.5, label: MARK_SYMBOL.pending });
      mark.get_style_context().add_class("doctor-mark");
      const title = new Gtk.Label({ label: check.title, xalign: 0 });
      const reason = new Gtk.Label({ xalign: 0, wrap: true, selectable: true, hexpand: true, max_width_chars: 70 });
      reason.get_style_context().add_class("dim-label");
      const time = new Gtk.Label({ xalign: 1 });
      time.get_style_context().add_class("dim-label");
      grid.attach(mark, 0, i, 1, 1);
      grid.attach(title, 1, i, 1, 1);
      grid.attach(reason, 2, i, 1, 1);
      grid.attach(time, 3, i, 1, 1);
      this.rows.set(check.id, { mark, reason, time });
      this.#render({ id: check.id, state: "pending", reason: "" });
    });
    grid.attach(this.summary, 0, DOCTOR_CHECKS.length, 4, 1);
    this.frame.add(grid);
  }

  update(row: DoctorRow): void {
    this.state = this.state.map((r) => (r.id === row.id ? row : r));
    this.#render(row);
    const summary = doctorSummary(this.state);
    setStatus(this.summary, summary.text, summary.text === "running…" ? null : summary.ok ? "ok" : "bad");
  }

  reset(): void {
    this.state = pendingRows();
    for (const row of this.state) this.#render(row);
    this.summary.set_text("");
  }

  #render(row: DoctorRow): void {
    const w = this.rows.get(row.id)!;
    w.mark.set_text(MARK_SYMBOL[row.state]);
    setStateClass(w.mark, MARK_CLASSES, `doctor-${row.state}`);
    w.reason.set_text(row.state === "running" ? "checking…" : row.reason);
    w.time.set_text(row.ms !== undefined && (row.state === "pass" || row.state === "fail") ? formatMs(row.ms) : "");
  }
}

export class DoctorWindow extends Gtk.Window {
  static {
    GObject.registerClass({ GTypeName: "CodexLauncherDoctorWindow" }, this);
  }

  readonly errorBar = new ErrorBar();
  readonly statusLabel = new Gtk.Label({ xalign: 0, hexpand: true, wrap: true });
  readonly cancelButton = new Gtk.Button({ label: "Cancel" });
  readonly runButton = new Gtk.Button({ label: "Run Again" });
  readonly closeButton = new Gtk.Button({ label: "Close" });
  readonly spinner = new Gtk.Spinner();
  readonly scroller = new Gtk.ScrolledWindow({ vexpand: true, hscrollbar_policy: Gtk.PolicyType.NEVER });
  readonly sections: EndpointSection[] = [];
  #cancellable: Gio.Cancellable | null = null;
  #running: Promise<void> | null = null;
  #destroyed = false;

  constructor(parent: Gtk.Window | null, private readonly ctx: AppContext, endpoints: readonly Endpoint[], models: Record<string, string> = {}) {
    super({ title: endpoints.length === 1 ? `Doctor — ${endpoints[0].name}` : "Doctor — all endpoints", default_width: 860,
      default_height: Math.min(760, 200 + endpoints.length * 250), ...(parent ? { transient_for: parent } : {}) });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 10, margin: 14 });
    box.add(this.errorBar);
    const list = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12 });
    for (const endpoint of endpoints) {
      const section = new EndpointSection(endpoint, models[endpoint.name] ?? preferredModel(endpoint));
      this.sections.push(section);
      list.add(section.frame);
    }
    if (endpoints.length === 0) list.add(new Gtk.Label({ label: "There are no endpoints to check yet. Add one in Manage Endpoints.", xalign: 0 }));
    this.scroller.add(list);
    box.add(this.scroller);
    const bar = new Gtk.Box({ spacing: 8 });
    bar.add(this.spinner);
    bar.add(this.statusLabel);
    bar.add(this.cancelButton);
    bar.add(this.runButton);
    bar.add(this.closeButton);
    box.add(bar);
    this.add(box);
    this.cancelButton.connect("clicked", () => this.cancel());
    this.runButton.connect("clicked", () => void this.run());
    this.closeButton.connect("clicked", () => this.destroy());
    this.connect("destroy", () => {
      this.#destroyed = true;
      this.#cancellable?.cancel();
    });
    this.show_all();
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Marks and reasons of one endpoint's rows, as shown. */
  rowsOf(name: string): Record<CheckId, { mark: string; state: RowState; reason: string }> {
    const section = this.sections.find((s) => s.endpoint.name === name);
    if (!section) throw new Error(`no section for '${name}'`);
    return Object.fromEntries(section.state.map((r) => [r.id, { mark: section.rows.get(r.id)!.mark.get_text(), state: r.state,
      reason: section.rows.get(r.id)!.reason.get_text() }])) as Record<CheckId, { mark: string; state: RowState; reason: string }>;
  }

  /** Runs every section's checks, one endpoint after the other; resolves when all are done or cancelled. */
  run(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = this.#runAll().finally(() => {
      this.#running = null;
      if (!this.#destroyed) this.#renderIdle();
    });
    return this.#running;
  }

  cancel(): void {
    this.#cancellable?.cancel();
  }

  async #runAll(): Promise<void> {
    const cancellable = new Gio.Cancellable();
    this.#cancellable = cancellable;
    this.errorBar.clear();
    this.spinner.start();
    this.cancelButton.sensitive = true;
    this.runButton.sensitive = false;
    for (const section of this.sections) section.reset();
    let failed = 0;
    for (const [i, section] of this.sections.entries()) {
      if (cancellable.is_cancelled() || this.#destroyed) break;
      this.statusLabel.set_text(`Checking ${section.endpoint.name} (${i + 1} of ${this.sections.length})…`);
      try {
        const key = await this.ctx.endpoints.keyFor(section.endpoint.name);
        const rows = await runDoctor({ paths: this.ctx.paths, proxyArgv: this.ctx.proxyArgv, clientToken: this.ctx.clientToken, log: (l) => this.ctx.log.write(l) },
          section.endpoint, key, section.model, (row) => {
            if (!this.#destroyed) section.update(row);
          }, cancellable);
        const latency = doctorLatency(rows);
        if (latency !== null) this.ctx.latency.record(section.endpoint.name, { ms: latency, source: "doctor", at: Date.now() });
        if (!doctorSummary(rows).ok) failed++;
        this.ctx.log.write(`Doctor ${section.endpoint.name}: ${doctorSummary(rows).text}`);
      } catch (e) {
        failed++;
        if (!this.#destroyed) this.errorBar.showError(`The Doctor could not check ${section.endpoint.name}`, e);
      }
    }
    if (this.#destroyed) return;
    const cancelled = cancellable.is_cancelled();
    setStatus(this.statusLabel, cancelled ? "Cancelled." : failed ? `${failed} of ${this.sections.length} endpoint(s) have problems.`
      : `All ${this.sections.length} endpoint(s) passed.`, cancelled ? "warn" : failed ? "bad" : "ok");
  }

  #renderIdle(): void {
    this.spinner.stop();
    this.cancelButton.sensitive = false;
    this.runButton.sensitive = true;
  }
}
