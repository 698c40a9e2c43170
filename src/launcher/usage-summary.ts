// What the Usage window shows and what budgets alert on, computed from usage-stats.json, the price
// table and the budgets. Pure.
import { costUsd, effectivePrices, priceOf, type ModelPrice, type UsageSettings } from "../lib/prices.js";
import { hourKey, localDate, type TokenCounts, type UsageStats } from "../lib/usage-stats.js";

export type Badge = "ERR" | "WARN" | "OK";

/** The original's pill: ERR above 15 % failures, WARN above 5 %. */
export function badgeFor(failures: number, requests: number): Badge {
  if (requests === 0) return "OK";
  const rate = failures / requests;
  return rate > 0.15 ? "ERR" : rate > 0.05 ? "WARN" : "OK";
}

export interface ModelShare {
  model: string;
  requests: number;
  /** Share of the provider's requests (0..1). */
  share: number;
  tokens: number;
}

export interface RouteLine {
  name: string;
  requests: number;
  successes: number;
  failures: number;
  tokensIn: number;
  tokensOut: number;
  lastError: string | null;
}

export interface ProviderCard {
  key: string;
  /** The launcher's name when known (endpoint; a pool's key is already `bgp:<pool>`). */
  label: string | null;
  requests: number;
  successes: number;
  failures: number;
  failureRate: number;
  badge: Badge;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  estimated: number;
  avgDurationS: number | null;
  lastUsed: string | null;
  lastError: string | null;
  topModels: ModelShare[];
  routes: RouteLine[];
  ttfbP50: number | null;
  ttfbP90: number | null;
  costUsd: number;
}

export interface HourSeries {
  /** Hour number (since the epoch, UTC) of the first bar. */
  firstHour: number;
  tokensIn: number[];
  tokensOut: number[];
  requests: number[];
}

export interface BudgetStatus {
  name: string;
  budget: number;
  spent: number;
  /** spent / budget. */
  share: number;
}

export interface UsageSummary {
  requests: number;
  successes: number;
  failures: number;
  /** null before the first request. */
  successRate: number | null;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  costToday: number;
  costMonth: number;
  /** Models used this month that have no price (their cost counts as 0). */
  unpriced: string[];
  cards: ProviderCard[];
  last24h: HourSeries;
  last7d: HourSeries;
  budgets: BudgetStatus[];
  updated: string | null;
}

/** Nearest-rank percentile; null for no data. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

/** Tokens per hour for the `hours` hours up to now (the current hour last). */
export function hourSeries(stats: UsageStats, nowMs: number, hours: number): HourSeries {
  const last = Number(hourKey(nowMs));
  const firstHour = last - hours + 1;
  const series: HourSeries = { firstHour, tokensIn: [], tokensOut: [], requests: [] };
  for (let h = firstHour; h <= last; h++) {
    let tin = 0;
    let tout = 0;
    let req = 0;
    for (const bucket of Object.values(stats.hourly[String(h)] ?? {})) {
      tin += bucket.tokens_in;
      tout += bucket.tokens_out;
      req += bucket.requests;
    }
    series.tokensIn.push(tin);
    series.tokensOut.push(tout);
    series.requests.push(req);
  }
  return series;
}

/** Cost of day buckets (label → model → tokens), with the models that have no price. */
function costOfDays(days: Record<string, Record<string, TokenCounts>>[], prices: Readonly<Record<string, ModelPrice>>, label: string | null,
  unpriced: Set<string>): number {
  let usd = 0;
  for (const day of days)
    for (const [l, models] of Object.entries(day)) {
      if (label !== null && l !== label) continue;
      for (const [model, tokens] of Object.entries(models)) {
        const price = priceOf(prices, model);
        if (price) usd += costUsd(tokens, price);
        else if (tokens.tokens_in + tokens.tokens_out > 0) unpriced.add(model);
      }
    }
  return usd;
}

/** This month's spending against each budget (endpoint name or `bgp:<pool>`). */
export function budgetStatus(stats: UsageStats, settings: UsageSettings, nowMs: number): BudgetStatus[] {
  const prices = effectivePrices(settings);
  const month = localDate(nowMs).slice(0, 7);
  const days = Object.entries(stats.daily).filter(([d]) => d.startsWith(month)).map(([, v]) => v);
  return Object.entries(settings.budgets).filter(([, usd]) => usd > 0).map(([name, budget]) => {
    const spent = costOfDays(days, prices, name, new Set());
    return { name, budget, spent, share: spent / budget };
  });
}

export function summarize(stats: UsageStats, settings: UsageSettings, nowMs: number): UsageSummary {
  const prices = effectivePrices(settings);
  const today = localDate(nowMs);
  const month = today.slice(0, 7);
  const unpriced = new Set<string>();
  const costMonth = costOfDays(Object.entries(stats.daily).filter(([d]) => d.startsWith(month)).map(([, v]) => v), prices, null, unpriced);
  const costToday = costOfDays(stats.daily[today] ? [stats.daily[today]] : [], prices, null, new Set());
  const cards = Object.entries(stats.providers).map(([key, p]): ProviderCard => {
    const models = Object.entries(p.models);
    const top = models.sort((a, b) => b[1].requests - a[1].requests || (b[1].tokens_in + b[1].tokens_out) - (a[1].tokens_in + a[1].tokens_out)).slice(0, 6)
      .map(([model, m]) => ({ model, requests: m.requests, share: p.total_requests ? m.requests / p.total_requests : 0, tokens: m.tokens_in + m.tokens_out }));
    let cost = 0;
    for (const [model, m] of models) {
      const price = priceOf(prices, model);
      if (price) cost += costUsd(m, price);
    }
    return {
      key, label: p.label ?? null, requests: p.total_requests, successes: p.successes, failures: p.failures,
      failureRate: p.total_requests ? p.failures / p.total_requests : 0, badge: badgeFor(p.failures, p.total_requests),
      tokensIn: p.total_tokens_in, tokensOut: p.total_tokens_out, tokensCached: p.total_tokens_cached, estimated: p.estimated_requests,
      avgDurationS: p.total_requests ? p.total_duration_s / p.total_requests : null, lastUsed: p.last_used, lastError: p.last_error, topModels: top,
      routes: Object.entries(p.routes ?? {}).map(([name, r]) => ({ name, requests: r.requests, successes: r.successes, failures: r.failures,
        tokensIn: r.tokens_in, tokensOut: r.tokens_out, lastError: r.last_error })),
      ttfbP50: percentile(p.ttfb_ms_recent, 50), ttfbP90: percentile(p.ttfb_ms_recent, 90), costUsd: cost,
    };
  }).sort((a, b) => (b.lastUsed ?? "").localeCompare(a.lastUsed ?? "") || a.key.localeCompare(b.key));
  const requests = cards.reduce((n, c) => n + c.requests, 0);
  const successes = cards.reduce((n, c) => n + c.successes, 0);
  return {
    requests, successes, failures: cards.reduce((n, c) => n + c.failures, 0), successRate: requests ? successes / requests : null,
    tokensIn: cards.reduce((n, c) => n + c.tokensIn, 0), tokensOut: cards.reduce((n, c) => n + c.tokensOut, 0),
    tokensCached: cards.reduce((n, c) => n + c.tokensCached, 0), costToday, costMonth, unpriced: [...unpriced].sort(), cards,
    last24h: hourSeries(stats, nowMs, 24), last7d: hourSeries(stats, nowMs, 7 * 24), budgets: budgetStatus(stats, settings, nowMs), updated: stats.updated,
  };
}

/** Which budget alerts were given this month: name → the highest level (80 or 100). */
export interface BudgetAlertState {
  month: string;
  given: Record<string, number>;
}

export interface BudgetAlert {
  name: string;
  level: 80 | 100;
  spent: number;
  budget: number;
}

/** The alerts due now (80 % and 100 % of each budget, once each per month; 100 % alone when both are passed at once). */
export function dueBudgetAlerts(statuses: readonly BudgetStatus[], state: BudgetAlertState, month: string): { alerts: BudgetAlert[]; state: BudgetAlertState } {
  const given = state.month === month ? { ...state.given } : {};
  const alerts: BudgetAlert[] = [];
  for (const s of statuses) {
    const level = s.share >= 1 ? 100 : s.share >= 0.8 ? 80 : 0;
    if (level === 0 || (given[s.name] ?? 0) >= level) continue;
    given[s.name] = level;
    alerts.push({ name: s.name, level, spent: s.spent, budget: s.budget });
  }
  return { alerts, state: { month, given } };
}

/** What a budget alert says. */
export function budgetAlertText(a: BudgetAlert): { title: string; body: string } {
  const who = a.name.startsWith("bgp:") ? `the AI BGP pool '${a.name.slice(4)}'` : `'${a.name}'`;
  return {
    title: a.level === 100 ? `Monthly budget reached for ${who}` : `80 % of the monthly budget used for ${who}`,
    body: `$${a.spent.toFixed(2)} of $${a.budget.toFixed(2)} spent this month (prices from the Usage window's table). Requests are not stopped.`,
  };
}
