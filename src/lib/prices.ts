// What tokens cost, and the monthly budgets: ~/.codex/codex-launcher-usage.json
// (`{"prices": {model: {input, output, cached}}, "budgets": {name: usd}}`, USD per million tokens). The
// defaults are public list prices of the presets' models whose price is published; every other model
// costs nothing until the user gives it a price (the Usage window says which ones have none). Pure.

export interface ModelPrice {
  /** USD per million input tokens (cached ones excluded when `cached` is given). */
  input: number;
  output: number;
  /** USD per million cached input tokens (cache reads); absent: billed as input. */
  cached?: number;
}

/**
 * List prices (USD per million tokens) of the presets' models, as published by OpenAI, Anthropic,
 * Google and DeepSeek for their standard tiers. Edit them in the Usage window (Prices & budgets).
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-4o": { input: 2.5, output: 10, cached: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cached: 0.075 },
  "claude-sonnet-4-5": { input: 3, output: 15, cached: 0.3 },
  "claude-sonnet-4-6": { input: 3, output: 15, cached: 0.3 },
  "claude-3-5-haiku-latest": { input: 0.8, output: 4, cached: 0.08 },
  "claude-haiku-4-5-20251001": { input: 1, output: 5, cached: 0.1 },
  "claude-opus-4-1": { input: 15, output: 75, cached: 1.5 },
  "claude-opus-4-5": { input: 5, output: 25, cached: 0.5 },
  "gemini-2.5-pro": { input: 1.25, output: 10, cached: 0.31 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5, cached: 0.075 },
  "gemini-2.0-flash": { input: 0.1, output: 0.4, cached: 0.025 },
  "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 },
  "deepseek-chat": { input: 0.28, output: 0.42, cached: 0.028 },
  "deepseek-reasoner": { input: 0.28, output: 0.42, cached: 0.028 },
  "stepfun/step-3.7-flash:free": { input: 0, output: 0 },
};

export interface UsageSettings {
  /** The user's prices; they win over the defaults, model by model. */
  prices: Record<string, ModelPrice>;
  /** Monthly budget in USD per endpoint name or `bgp:<pool>`. */
  budgets: Record<string, number>;
}

export const EMPTY_USAGE_SETTINGS: UsageSettings = { prices: {}, budgets: {} };

export class UsageSettingsFormatError extends Error {
  override name = "UsageSettingsFormatError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

export function parseUsageSettings(text: string): UsageSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageSettingsFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new UsageSettingsFormatError("the top level must be a JSON object");
  const prices: Record<string, ModelPrice> = {};
  if (raw.prices !== undefined && !isObject(raw.prices)) throw new UsageSettingsFormatError("\"prices\" must be an object of model → {input, output, cached}");
  for (const [model, p] of Object.entries(raw.prices ?? {})) {
    if (!isObject(p) || !isAmount(p.input) || !isAmount(p.output) || (p.cached !== undefined && !isAmount(p.cached)))
      throw new UsageSettingsFormatError(`the price of '${model}' needs "input" and "output" (USD per million tokens, 0 or more)`);
    prices[model] = { input: p.input, output: p.output, ...(p.cached !== undefined ? { cached: p.cached as number } : {}) };
  }
  const budgets: Record<string, number> = {};
  if (raw.budgets !== undefined && !isObject(raw.budgets)) throw new UsageSettingsFormatError("\"budgets\" must be an object of name → USD");
  for (const [name, usd] of Object.entries(raw.budgets ?? {})) {
    if (!isAmount(usd)) throw new UsageSettingsFormatError(`the budget of '${name}' must be a number of USD, 0 or more`);
    if (usd > 0) budgets[name] = usd;
  }
  return { ...raw, prices, budgets };
}

export function serializeUsageSettings(settings: UsageSettings): string {
  return `${JSON.stringify(settings, null, 2)}\n`;
}

/** Defaults overlaid with the user's prices. */
export function effectivePrices(settings: UsageSettings): Record<string, ModelPrice> {
  return { ...DEFAULT_PRICES, ...settings.prices };
}

/**
 * The price of a model, also under the names providers give it with a vendor prefix
 * (`anthropic:claude-sonnet-4-6`, `openai/gpt-4o`, `antigravity-…`); null when it has none.
 */
export function priceOf(prices: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | null {
  if (Object.prototype.hasOwnProperty.call(prices, model)) return prices[model];
  const bare = model.replace(/^antigravity-/, "").replace(/^[A-Za-z0-9_.-]+[:/]/, "");
  return bare !== model && Object.prototype.hasOwnProperty.call(prices, bare) ? prices[bare] : null;
}

/** USD for token counts at a price (`tokensIn` includes the cached ones, as providers report it). */
export function costUsd(tokens: { tokens_in: number; tokens_out: number; tokens_cached: number }, price: ModelPrice): number {
  const cached = Math.min(tokens.tokens_cached, tokens.tokens_in);
  const fresh = tokens.tokens_in - cached;
  return (fresh * price.input + cached * (price.cached ?? price.input) + tokens.tokens_out * price.output) / 1e6;
}

/** One number per route for the router's score: the mean of input and output price (USD per million). */
export function blendedPrice(price: ModelPrice | null): number {
  return price ? (price.input + price.output) / 2 : 0;
}
