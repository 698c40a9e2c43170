// Tier 3: the AI diagnostic agent's prompt, the strict reading of its answer, and what a call costs.
// Pure. The HTTP call itself is in diagnose-agent.ts.
import { redactSecrets } from "../lib/redact.js";
import type { ActionId } from "./rules.js";

/** What the agent may propose (design §5.5). */
export const AI_ALLOWED_ACTIONS = ["restart_proxy", "kill_stale_processes", "clear_schema_cache", "switch_provider", "increase_timeout",
  "regenerate_config", "cleanup_codex_stale", "alert_user", "ignore", "retry_now"] as const satisfies readonly ActionId[];
export type AiAction = (typeof AI_ALLOWED_ACTIONS)[number];

/** Never executed on the AI's word alone: they end the user's Codex session. The user is asked instead. */
export const DESTRUCTIVE_ACTIONS: ReadonlySet<string> = new Set(["cleanup_codex_stale"]);

export const SYSTEM_PROMPT = `You are a diagnostic agent for a translation proxy that sits between
OpenAI Codex CLI/Desktop and AI providers (OpenAI-compatible, Anthropic, Gemini, Command Code, ...).
You analyze error context and suggest ONE corrective action.
Available actions: ${AI_ALLOWED_ACTIONS.join(", ")}
Rules: 401/403 auth errors -> alert_user. Proxy dead -> restart_proxy. The same error 5+ times ->
switch_provider or alert_user. Schema/content_type errors -> clear_schema_cache. "Address already in use"
-> kill_stale_processes. Slow upstream timeouts -> increase_timeout. A single transient 429/502/503 ->
ignore. "stream disconnected" while the proxy is healthy -> ignore.
Respond with ONLY a JSON object, no markdown: {"action": "...", "reason": "...", "confidence": 0.0-1.0}`;

export interface IncidentReport {
  time: string;
  session: string;
  proxy: { alive: boolean; port: number; uptimeS: number | null; memoryMb: number | null };
  upstream: { url: string; model: string; lastHttpCode: number | null; lastError: string | null };
  recentErrors: string[];
  parser: { parsedToolCallsZero: number; stuckRecoveries: number; sanitizerFlags: number };
  provider: { backendType: string; model: string };
  history: string[];
  trigger: string;
}

/** The user message, with every secret redacted (keys, bearer tokens, the configured keys themselves). */
export function incidentReportText(r: IncidentReport, secrets: readonly string[]): string {
  const text = `INCIDENT REPORT:
Time: ${r.time}
Session: ${r.session}
Trigger: ${r.trigger}
Proxy health: ${r.proxy.alive ? "alive" : "dead"}, port ${r.proxy.port}, uptime ${r.proxy.uptimeS ?? "n/a"} s, memory ${r.proxy.memoryMb ?? "n/a"} MB
Upstream: ${r.upstream.url}, model ${r.upstream.model}, last HTTP code ${r.upstream.lastHttpCode ?? "n/a"}, last error ${r.upstream.lastError ?? "none"}
Recent errors (last 60s):
${r.recentErrors.length ? r.recentErrors.map((l) => `  ${l.slice(0, 300)}`).join("\n") : "  (none)"}
Parser state: parsed_tool_calls=0 x${r.parser.parsedToolCallsZero}, stuck recoveries ${r.parser.stuckRecoveries}, sanitizer flags ${r.parser.sanitizerFlags}
Provider: ${r.provider.backendType}, model ${r.provider.model}
History (last incidents of this pattern):
${r.history.length ? r.history.map((h) => `  ${h}`).join("\n") : "  (none)"}
What corrective action should be taken?`;
  return redactSecrets(text, secrets);
}

export interface AiVerdict {
  action: AiAction;
  reason: string;
  confidence: number;
}

export class AiAnswerError extends Error {
  override name = "AiAnswerError";
}

/** Reads the model's reply: exactly one JSON object (code fences tolerated) with an allowed action. */
export function parseAiAnswer(content: string): AiVerdict {
  let text = content.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text);
  if (fenced) text = fenced[1].trim();
  if (!text.startsWith("{") || !text.endsWith("}")) throw new AiAnswerError(`the answer is not one JSON object: ${content.slice(0, 120)}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new AiAnswerError(`the answer is not valid JSON: ${(e as Error).message}`);
  }
  const o = data as Record<string, unknown>;
  if (typeof o.action !== "string") throw new AiAnswerError("the answer has no \"action\"");
  if (!(AI_ALLOWED_ACTIONS as readonly string[]).includes(o.action)) throw new AiAnswerError(`the action '${o.action}' is not on the allow-list`);
  const confidence = typeof o.confidence === "number" ? o.confidence : Number.NaN;
  if (!(confidence >= 0 && confidence <= 1)) throw new AiAnswerError("\"confidence\" must be a number from 0 to 1");
  return { action: o.action as AiAction, reason: typeof o.reason === "string" ? o.reason.slice(0, 500) : "", confidence };
}

/** USD per million tokens (input, output); local models cost nothing. Unknown models use a cautious default. */
export const PRICES: Record<string, [number, number]> = {
  "gpt-4o-mini": [0.15, 0.6],
  "gpt-4.1-mini": [0.4, 1.6],
  "gpt-4.1-nano": [0.1, 0.4],
  "gemini-2.0-flash": [0.1, 0.4],
  "gemini-2.5-flash": [0.3, 2.5],
  "claude-haiku-4-5": [1, 5],
  "deepseek-chat": [0.27, 1.1],
  "deepseek/deepseek-v4-flash": [0.14, 0.28],
  "qwen/qwen3-32b": [0.1, 0.3],
  "qwen3-32b": [0.1, 0.3],
};
const DEFAULT_PRICE: [number, number] = [1, 4];

export function callCostUsd(model: string, providerUrl: string, promptTokens: number, completionTokens: number): number {
  // Ollama (port 11434) and its name:tag models run on the user's own machine.
  if (/^https?:\/\/[^/]+:11434\//.test(providerUrl) || /^[a-z0-9._-]+:[a-z0-9._-]+$/i.test(model)) return 0;
  const key = model.toLowerCase();
  const [inPrice, outPrice] = PRICES[key] ?? PRICES[key.split("/").pop() ?? ""] ?? DEFAULT_PRICE;
  return (promptTokens * inPrice + completionTokens * outPrice) / 1_000_000;
}

/** The design's recommended diagnostic models (§6), offered as presets in the AI Monitor window. */
export const AI_MODEL_PRESETS: readonly { label: string; url: string; model: string }[] = [
  { label: "Qwen3-32B (Groq)", url: "https://api.groq.com/openai/v1/chat/completions", model: "qwen/qwen3-32b" },
  { label: "DeepSeek V4 Flash (Command Code gateway)", url: "https://api.deepseek.com/v1/chat/completions", model: "deepseek-chat" },
  { label: "GPT-4o-mini (OpenAI)", url: "https://api.openai.com/v1/chat/completions", model: "gpt-4o-mini" },
  { label: "Gemini 2.0 Flash (Google)", url: "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions", model: "gemini-2.0-flash" },
  { label: "Claude Haiku 4.5 (OpenAI-compatible gateway)", url: "https://openrouter.ai/api/v1/chat/completions", model: "anthropic/claude-haiku-4-5" },
  { label: "Local Ollama (free)", url: "http://127.0.0.1:11434/v1/chat/completions", model: "qwen3:8b" },
];

/** Accepts a base URL (…/v1) or the full chat completions URL. */
export function chatCompletionsUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, "");
  return /\/chat\/completions$/.test(trimmed) ? trimmed : `${trimmed}/chat/completions`;
}
