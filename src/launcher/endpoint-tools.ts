// What the edit dialog does against a provider: list its models, and send one small request through a
// temporary proxy to prove the whole path works.
import type { BackendType } from "../lib/backend-types.js";
import type { ReasoningSetting } from "../lib/reasoning.js";
import { joinUrl } from "../proxy/translate/contract.js";
import { backendDefinition } from "../proxy/translate/registry.js";
import type { AppPaths } from "../lib/paths.js";
import { requestJson } from "../lib/http-client.js";
import { ProxySupervisor, type ProxySpec } from "./proxy-supervisor.js";


export function errorText(status: number, body: unknown, text: string): string {
  const err = (body as { error?: { message?: string } | string })?.error;
  const message = typeof err === "string" ? err : err?.message ?? text.slice(0, 200);
  return `HTTP ${status}${message ? `: ${message}` : ""}`;
}

/** The provider's model ids from GET {base}/models. */
export async function fetchModels(baseUrl: string, apiKey: string, backend: BackendType): Promise<string[]> {
  if (!/^https?:\/\//.test(baseUrl)) throw new Error("enter the base URL first");
  const definition = backendDefinition(backend);
  if (!definition) throw new Error(`the ${backend} backend is not served by this version`);
  if (!definition.modelsPath) throw new Error("this provider has no model list; the preset's models are used (add others by hand)");
  const reply = await requestJson("GET", joinUrl(baseUrl, definition.modelsPath), { headers: definition.headers(apiKey), timeoutMs: 15000 });
  if (reply.status !== 200) throw new Error(errorText(reply.status, reply.body, reply.text));
  const ids = modelIdsFrom(reply.body);
  if (!ids) throw new Error("the provider's /models answer has no model list");
  return ids;
}

/** The model ids of a /models answer (OpenAI's `data`, Gemini's `models`), or null when it has none. */
export function modelIdsFrom(body: unknown): string[] | null {
  type ModelEntry = { id?: string; name?: string } | string;
  const data = body as { data?: ModelEntry[]; models?: ModelEntry[] } | null;
  const list = data?.data ?? data?.models;
  if (!Array.isArray(list)) return null;
  const ids = list.map((m) => (typeof m === "string" ? m : m.id ?? m.name ?? "")).map((id) => id.replace(/^models\//, ""));
  return [...new Set(ids.filter(Boolean))].sort();
}

export interface TestResult {
  ok: boolean;
  latencyMs: number;
  detail: string;
}

/** One short request through a proxy, as Codex would send it; `route`: which pool route answered. */
async function sendTestRequest(proxyUrl: string, clientToken: string, model: string): Promise<TestResult & { route: string | null }> {
  const t0 = Date.now();
  const reply = await requestJson("POST", `${proxyUrl}/v1/responses`, {
    body: { model, input: "Reply with the single word OK.", stream: false, store: false, max_output_tokens: 16 },
    headers: { Authorization: `Bearer ${clientToken}` },
    timeoutMs: 60000,
  });
  const latencyMs = Date.now() - t0;
  const routeHeader = reply.headers?.["x-codex-launcher-route"];
  const route = routeHeader ? decodeURIComponent(routeHeader) : null;
  if (reply.status !== 200) return { ok: false, latencyMs, detail: errorText(reply.status, reply.body, reply.text), route };
  const output = (reply.body as { output?: { type: string; content?: { text?: string }[] }[] })?.output ?? [];
  const text = output.filter((o) => o.type === "message").flatMap((o) => o.content ?? []).map((c) => c.text ?? "").join("").trim();
  return { ok: true, latencyMs, detail: text ? `answered "${text.slice(0, 60)}"` : "answered", route };
}

/** One short request through a temporary proxy: the same path Codex will take. */
export interface TestSpec {
  backend: BackendType;
  baseUrl: string;
  apiKey: string;
  model: string;
  /** The endpoint's reasoning setting, sent as the real proxy would. */
  reasoning?: ReasoningSetting | null;
  /** The endpoint being edited (its latency badge takes the result). */
  endpointName?: string;
}

export async function testEndpoint(paths: AppPaths, proxyArgv: string[] | undefined, spec: TestSpec, log: (line: string) => void,
  clientToken: string): Promise<TestResult> {
  // Guarded like the real one: it holds the key too, for as long as the test runs.
  const supervisor = new ProxySupervisor(paths, log, proxyArgv, { temporary: true, clientToken });
  const started = Date.now();
  try {
    await supervisor.start({ endpointName: "test", backend: spec.backend, targetUrl: spec.baseUrl, apiKey: spec.apiKey, models: [spec.model], model: spec.model,
      reasoning: spec.reasoning ?? null });
    const { route: _route, ...result } = await sendTestRequest(supervisor.url, clientToken, spec.model);
    return result;
  } catch (e) {
    return { ok: false, latencyMs: Date.now() - started, detail: (e as Error).message };
  } finally {
    await supervisor.stop();
  }
}

/**
 * One request through an AI BGP pool: through the running proxy when it serves this very pool (its
 * routes' state then moves as it would for Codex), else through a temporary proxy for the pool.
 */
export async function testPool(paths: AppPaths, proxyArgv: string[] | undefined, running: ProxySupervisor, spec: ProxySpec, log: (line: string) => void,
  clientToken: string): Promise<TestResult & { route: string | null; through: "running" | "temporary" }> {
  const same = running.running && running.state === "running" && running.spec?.pool !== undefined && JSON.stringify(running.spec.pool) === JSON.stringify(spec.pool);
  const started = Date.now();
  if (same) {
    try {
      return { ...(await sendTestRequest(running.url, clientToken, spec.model)), through: "running" };
    } catch (e) {
      return { ok: false, latencyMs: Date.now() - started, detail: (e as Error).message, route: null, through: "running" };
    }
  }
  const supervisor = new ProxySupervisor(paths, log, proxyArgv, { temporary: true, clientToken });
  try {
    await supervisor.start(spec);
    return { ...(await sendTestRequest(supervisor.url, clientToken, spec.model)), through: "temporary" };
  } catch (e) {
    return { ok: false, latencyMs: Date.now() - started, detail: (e as Error).message, route: null, through: "temporary" };
  } finally {
    await supervisor.stop();
  }
}
