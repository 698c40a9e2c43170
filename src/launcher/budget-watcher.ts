// Monthly budgets: each time the proxy's usage-stats.json changes (or a budget or price is edited), this
// month's spending per endpoint or pool is checked against its budget; 80 % and 100 % are each told once
// a month (remembered in budget-alerts.json, so a restart does not repeat them).
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import { localDate } from "../lib/usage-stats.js";
import type { UsageFeed } from "./usage-feed.js";
import type { UsageSettingsStore } from "./usage-settings-store.js";
import { budgetAlertText, budgetStatus, dueBudgetAlerts, type BudgetAlert, type BudgetAlertState } from "./usage-summary.js";

export class BudgetWatcher {
  #unsubscribe: (() => void)[] = [];

  constructor(private readonly paths: AppPaths, private readonly feed: UsageFeed, private readonly settings: UsageSettingsStore,
    private readonly alert: (title: string, body: string) => void, private readonly now: () => number = Date.now) {}

  start(): void {
    if (this.#unsubscribe.length) return;
    this.#unsubscribe.push(this.feed.subscribe(() => this.check()), this.settings.onChange(() => this.check()));
  }

  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** Tells what is due now; returns the alerts given. */
  check(): BudgetAlert[] {
    const now = this.now();
    if (Object.keys(this.settings.settings.budgets).length === 0) return [];
    const month = localDate(now).slice(0, 7);
    const { alerts, state } = dueBudgetAlerts(budgetStatus(this.feed.usage, this.settings.settings, now), this.#state(), month);
    if (alerts.length === 0) return [];
    writeFileAtomic(this.paths.budgetAlerts, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    for (const a of alerts) {
      const { title, body } = budgetAlertText(a);
      this.alert(title, body);
    }
    return alerts;
  }

  #state(): BudgetAlertState {
    try {
      const doc = JSON.parse(readTextFile(this.paths.budgetAlerts) ?? "{}") as Partial<BudgetAlertState>;
      return { month: typeof doc.month === "string" ? doc.month : "", given: typeof doc.given === "object" && doc.given ? doc.given : {} };
    } catch {
      // A broken memory of alerts only means an alert may be repeated once.
      return { month: "", given: {} };
    }
  }
}
