// How long a provider may stay silent: before the first byte of its answer, and between two pieces of
// it. Per model (a reasoning model thinks before it says anything), with a defaults table and per-endpoint
// overrides (endpoints.json → the launcher → the proxy's flags). Pure.
//
// Why these numbers: Codex tries a failed stream stream_max_retries + 1 times (3 with the launcher's
// profile, src/lib/codex-config.ts), so a provider that never answers costs three bounds before Codex gives
// up. With 30 s for ordinary models Codex shows "provider sent nothing for 30 s" after 30 s and gives up
// after about 91 s, inside the two minutes a person waits; Codex's own stream_idle_timeout_ms (330 s in the
// profile) stays above every bound here, so the proxy's clear message always comes first.

export interface SilenceBounds {
  /** From sending the request to the first byte of the answer (response headers included). */
  firstByteS: number;
  /** Between two pieces of an answer that has started. */
  idleS: number;
}

export interface SilenceClass extends SilenceBounds {
  name: string;
  /** Which models (matched against the model name sent to the provider, case-insensitive). */
  pattern: RegExp | null;
  examples: string;
}

/**
 * First match wins; the last row is the default. Reasoning models get longer: some think for a minute
 * or more before their first token (o3, Gemini 2.5 Pro, DeepSeek R1 behind a queue).
 */
export const SILENCE_DEFAULTS: readonly SilenceClass[] = [
  {
    name: "reasoning",
    pattern: /(^|[^a-z0-9])(o1|o3|o4)([^a-z0-9]|$)|reason|think|(^|[^a-z0-9])r1([^a-z0-9]|$)|qwq|gpt-5|gemini-(2\.5|3)|deep-?research|magistral|opus/i,
    examples: "o1/o3/o4*, gpt-5*, *reasoner*, *thinking*, *r1*, qwq, gemini-2.5/3*, *opus*, magistral, deep research",
    firstByteS: 90,
    idleS: 90,
  },
  { name: "standard", pattern: null, examples: "every other model", firstByteS: 30, idleS: 30 },
];

/** Bounds the user or the watchdog set (seconds); unset fields come from the defaults table. */
export interface SilenceOverrides {
  firstByteS?: number;
  idleS?: number;
}

/** The largest bound accepted anywhere (flags, endpoints.json, the watchdog's increase_timeout). */
export const MAX_SILENCE_S = 3600;

export function silenceClass(model: string): SilenceClass {
  return SILENCE_DEFAULTS.find((c) => c.pattern === null || c.pattern.test(model)) ?? SILENCE_DEFAULTS[SILENCE_DEFAULTS.length - 1];
}

export function silenceBounds(model: string, overrides: SilenceOverrides = {}): SilenceBounds & { className: string } {
  const c = silenceClass(model);
  return { className: c.name, firstByteS: overrides.firstByteS ?? c.firstByteS, idleS: overrides.idleS ?? c.idleS };
}

/** A bound from a file or a flag: a whole number of seconds in 1..MAX_SILENCE_S, else undefined. */
export function validBound(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_SILENCE_S ? value : undefined;
}
