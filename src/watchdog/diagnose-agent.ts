// Tier 3 call: one chat completion on the configured OpenAI-compatible endpoint.
import { requestJson } from "../lib/http-client.js";
import { callCostUsd, chatCompletionsUrl, incidentReportText, parseAiAnswer, SYSTEM_PROMPT, type AiVerdict, type IncidentReport } from "./diagnosis.js";

export interface AiCallResult {
  verdict: AiVerdict | null;
  /** Why the answer was not usable (transport, HTTP status or a rejected answer). */
  error: string | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  raw: string;
}

export async function askDiagnosticAgent(providerUrl: string, model: string, apiKey: string, report: IncidentReport,
  secrets: readonly string[], timeoutMs = 15000): Promise<AiCallResult> {
  const result: AiCallResult = { verdict: null, error: null, promptTokens: 0, completionTokens: 0, costUsd: 0, raw: "" };
  let reply;
  try {
    reply = await requestJson("POST", chatCompletionsUrl(providerUrl), {
      headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
      body: { model, max_tokens: 200, temperature: 0.1, messages: [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: incidentReportText(report, [apiKey, ...secrets].filter(Boolean)) },
      ] },
      timeoutMs,
    });
  } catch (e) {
    result.error = `AI call failed: ${(e as Error).message}`;
    return result;
  }
  const body = reply.body as { choices?: { message?: { content?: string } }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } } | null;
  result.promptTokens = body?.usage?.prompt_tokens ?? 0;
  result.completionTokens = body?.usage?.completion_tokens ?? 0;
  result.costUsd = callCostUsd(model, providerUrl, result.promptTokens, result.completionTokens);
  if (reply.status !== 200) {
    result.error = `AI call failed: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`;
    return result;
  }
  result.raw = body?.choices?.[0]?.message?.content ?? "";
  try {
    result.verdict = parseAiAnswer(result.raw);
  } catch (e) {
    result.error = `AI answer rejected: ${(e as Error).message}`;
  }
  return result;
}
