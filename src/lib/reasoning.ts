// Reasoning per endpoint (the original's "Reasoning ON" + effort): what the proxy does with the
// reasoning effort of each request. Pure; shared by the launcher (endpoint → flag) and the proxy (flag →
// request).

/** Efforts the providers' APIs accept (`reasoning_effort`, Gemini's thinking budget). */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * The proxy's `--reasoning` value: "off" sends no reasoning effort at all (the provider's default, and no
 * parameter a provider without reasoning could reject); an effort replaces whatever Codex asked for.
 */
export const REASONING_SETTINGS = ["off", ...REASONING_EFFORTS] as const;
export type ReasoningSetting = (typeof REASONING_SETTINGS)[number];

export function isReasoningSetting(value: unknown): value is ReasoningSetting {
  return (REASONING_SETTINGS as readonly unknown[]).includes(value);
}

/** The original's files say "max" for the highest effort. */
export function effortFromFile(value: unknown): ReasoningEffort | null {
  const v = value === "max" ? "xhigh" : value;
  return (REASONING_EFFORTS as readonly unknown[]).includes(v) ? (v as ReasoningEffort) : null;
}

/**
 * An endpoint's setting from its `reasoning_enabled` / `reasoning_effort` fields: off when disabled, the
 * effort when one is set, null (Codex's own effort passes through) when the endpoint says nothing.
 */
export function endpointReasoning(endpoint: object): ReasoningSetting | null {
  const fields = endpoint as { reasoning_enabled?: unknown; reasoning_effort?: unknown };
  if (fields.reasoning_enabled === false) return "off";
  return effortFromFile(fields.reasoning_effort);
}

/** Applies the setting to a Responses request in place (before it is translated for the provider). */
export function applyReasoning(request: { reasoning?: Record<string, unknown> | null }, setting: ReasoningSetting | null | undefined): void {
  if (!setting) return;
  if (setting === "off") {
    if (request.reasoning && typeof request.reasoning === "object") {
      const { effort: _dropped, ...rest } = request.reasoning;
      request.reasoning = Object.keys(rest).length ? rest : undefined;
      if (request.reasoning === undefined) delete request.reasoning;
    }
    return;
  }
  request.reasoning = { ...(request.reasoning && typeof request.reasoning === "object" ? request.reasoning : {}), effort: setting };
}
