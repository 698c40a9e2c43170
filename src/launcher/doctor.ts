// The Doctor: checks one endpoint end to end — DNS, TLS, the key (GET /models), the model in that list,
// a streamed answer straight from the provider, a tool call and a round trip through a temporary proxy —
// reporting each row as soon as it is known. Cancellable; never touches the launcher's own proxy. The
// verdicts are model/doctor.ts's (pure); this file only observes.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { usesGoogleLogin } from "../lib/backend-types.js";
import type { Endpoint } from "../lib/endpoints.js";
import { onCancel, requestJson, requestStream } from "../lib/http-client.js";
import type { AppPaths } from "../lib/paths.js";
import { endpointReasoning } from "../lib/reasoning.js";
import { FORGET_NOTHING, joinUrl } from "../proxy/translate/contract.js";
import { backendDefinition } from "../proxy/translate/registry.js";
import { errorText, modelIdsFrom } from "./endpoint-tools.js";
import { blockedReason, DOCTOR_TOOL, doctorTarget, judgeAuth, judgeDns, judgeModel, judgeRoundTrip, judgeStream, judgeTls, judgeToolCall,
  pendingRows, type CheckId, type DoctorRow, type DoctorTarget, type DnsObservation, type ModelsObservation, type RoundTripObservation,
  type StreamObservation, type TlsObservation, type ToolObservation } from "./model/doctor.js";
import { ProxySupervisor } from "./proxy-supervisor.js";

Gio._promisify(Gio.Resolver.prototype, "lookup_by_name_async", "lookup_by_name_finish");
Gio._promisify(Gio.SocketClient.prototype, "connect_to_host_async", "connect_to_host_finish");

export interface DoctorDeps {
  paths: AppPaths;
  proxyArgv?: string[];
  clientToken: string;
  log: (line: string) => void;
}

const TIMEOUT_MS = 30000;

function errorMessage(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

async function resolve(host: string, cancellable: Gio.Cancellable): Promise<DnsObservation> {
  const started = Date.now();
  try {
    const addresses = (await Gio.Resolver.get_default().lookup_by_name_async(host, cancellable)) as unknown as Gio.InetAddress[];
    return { addresses: addresses.map((a) => a.to_string()), ms: Date.now() - started };
  } catch (e) {
    const notFound = e instanceof GLib.Error && e.matches(Gio.ResolverError, Gio.ResolverError.NOT_FOUND);
    return { error: errorMessage(e), notFound, ms: Date.now() - started };
  }
}

const TLS_VERSIONS: Record<number, string> = { 3: "TLS 1.0", 4: "TLS 1.1", 5: "TLS 1.2", 6: "TLS 1.3" };

async function handshake(target: DoctorTarget, cancellable: Gio.Cancellable): Promise<TlsObservation> {
  const started = Date.now();
  const client = new Gio.SocketClient({ tls: true, timeout: 15 });
  try {
    const connection = (await client.connect_to_host_async(`${target.host}:${target.port}`, target.port, cancellable)) as unknown as Gio.TcpWrapperConnection;
    let protocol: string | undefined;
    const base = (connection as unknown as { get_base_io_stream?: () => Gio.IOStream }).get_base_io_stream?.();
    const tls = base instanceof Gio.TlsConnection ? base : connection instanceof Gio.TlsConnection ? connection : null;
    if (tls && "get_protocol_version" in tls) protocol = TLS_VERSIONS[(tls as unknown as { get_protocol_version(): number }).get_protocol_version()];
    connection.close(null);
    return { ok: true, ms: Date.now() - started, protocol };
  } catch (e) {
    return { ok: false, error: errorMessage(e), ms: Date.now() - started };
  }
}

/** The provider's own error text in an error body (OpenAI, Anthropic and Google shapes). */
function providerMessage(text: string): string {
  try {
    return errorText(0, JSON.parse(text), text).replace(/^HTTP 0:? ?/, "");
  } catch {
    return text.trim().slice(0, 200);
  }
}

/** SSE text → the events' types (and a failure's message), for the round-trip verdict. */
export function sseEvents(text: string): { type: string; message?: string }[] {
  const out: { type: string; message?: string }[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (!event && data.length === 0) continue;
    let parsed: { type?: string; response?: { error?: { message?: string } }; message?: string; error?: { message?: string } } | null = null;
    try {
      parsed = data.length ? JSON.parse(data.join("\n")) : null;
    } catch {
      parsed = null;
    }
    const type = parsed?.type ?? event ?? "message";
    const message = parsed?.response?.error?.message ?? parsed?.error?.message ?? parsed?.message;
    out.push({ type, ...(message ? { message } : {}) });
  }
  return out;
}

/**
 * Runs every check of `endpoint` with `model`, calling `onRow` as each row is decided. Resolves with the
 * rows; a cancelled run marks what was left as skipped ("cancelled").
 */
export async function runDoctor(deps: DoctorDeps, endpoint: Endpoint, apiKey: string, model: string, onRow: (row: DoctorRow) => void,
  cancellable: Gio.Cancellable): Promise<DoctorRow[]> {
  const rows = pendingRows();
  const decide = (judged: DoctorRow): DoctorRow => {
    // A check cut short by Cancel failed because of the user, not the provider.
    const row: DoctorRow = judged.state === "fail" && cancellable.is_cancelled() ? { id: judged.id, state: "skip", reason: "cancelled" } : judged;
    rows.splice(rows.findIndex((r) => r.id === row.id), 1, row);
    onRow(row);
    return row;
  };
  const running = (id: CheckId) => decide({ id, state: "running", reason: "" });
  /** Null when the check may run; else it was decided as skipped. */
  const gate = (id: CheckId): boolean => {
    if (cancellable.is_cancelled()) {
      decide({ id, state: "skip", reason: "cancelled" });
      return false;
    }
    const blocked = blockedReason(id, rows);
    if (blocked) {
      decide({ id, state: "skip", reason: blocked });
      return false;
    }
    if (rows.find((r) => r.id === id)?.state !== "running") running(id);
    return true;
  };

  const target = doctorTarget(endpoint.base_url);
  if ("error" in target) {
    decide({ id: "dns", state: "fail", reason: target.error });
    for (const row of rows.filter((r) => r.state === "pending")) decide({ id: row.id, state: "skip", reason: "skipped: the base URL cannot be used" });
    return rows;
  }
  const definition = backendDefinition(endpoint.backend_type);
  if (!definition) {
    for (const row of rows) decide({ id: row.id, state: "fail", reason: `the ${endpoint.backend_type} backend is not served by this version` });
    return rows;
  }

  if (gate("dns")) decide(judgeDns(target, target.ipLiteral ? null : await resolve(target.host, cancellable)));
  if (gate("tls")) decide(judgeTls(target, target.scheme === "https" ? await handshake(target, cancellable) : null));

  // The key and the model list: GET /models, the one call that needs nothing but the key.
  const models: ModelsObservation = { reply: null, models: null };
  const authRunnable = gate("auth");
  if (authRunnable && definition.modelsPath) {
    const started = Date.now();
    try {
      const reply = await requestJson("GET", joinUrl(endpoint.base_url, definition.modelsPath), { headers: definition.headers(apiKey), timeoutMs: TIMEOUT_MS, cancellable });
      models.reply = { status: reply.status, message: reply.status >= 400 ? providerMessage(reply.text) : "", ms: reply.ms };
      if (reply.status >= 200 && reply.status < 300) models.models = modelIdsFrom(reply.body);
    } catch (e) {
      models.reply = { error: errorMessage(e), ms: Date.now() - started };
    }
  }
  if (authRunnable) decide(judgeAuth(definition.modelsPath !== "", apiKey !== "" || usesGoogleLogin(endpoint.backend_type), models));
  if (gate("model")) decide(judgeModel(model, models));

  // A streamed answer straight from the provider: does it stream at all (SSE)?
  if (gate("sse")) {
    if (usesGoogleLogin(endpoint.backend_type)) decide(judgeStream(null, "Google's Code Assist stream needs the login the proxy holds: see the round trip below"));
    else decide(judgeStream(await streamDirect(endpoint, definition, apiKey, model, cancellable)));
  }

  // A tool call and a streamed round trip, through a temporary proxy: the path Codex takes.
  const wantsProxy = (["tools", "proxy"] as const).filter((id) => !blockedReason(id, rows));
  if (wantsProxy.length === 0 || cancellable.is_cancelled()) {
    gate("tools");
    gate("proxy");
    return rows;
  }
  const supervisor = new ProxySupervisor(deps.paths, (l) => deps.log(`[doctor] ${l}`), deps.proxyArgv, { temporary: true, clientToken: deps.clientToken });
  const stopOnCancel = onCancel(cancellable, () => void supervisor.stop(0));
  try {
    running("tools");
    running("proxy");
    try {
      await supervisor.start({ endpointName: `doctor-${endpoint.name}`, backend: endpoint.backend_type, targetUrl: endpoint.base_url, apiKey,
        models: [model], model, reasoning: endpointReasoning(endpoint) });
    } catch (e) {
      const reason = `the proxy did not start: ${errorMessage(e)}`;
      decide({ id: "tools", state: "fail", reason });
      decide({ id: "proxy", state: "fail", reason });
      return rows;
    }
    const headers = { Authorization: `Bearer ${deps.clientToken}` };
    if (gate("tools")) decide(judgeToolCall(await toolCall(supervisor.url, headers, model, cancellable)));
    if (gate("proxy")) decide(judgeRoundTrip(await roundTrip(supervisor.url, headers, model, cancellable)));
  } finally {
    stopOnCancel();
    await supervisor.stop(0);
  }
  return rows;
}

async function streamDirect(endpoint: Endpoint, definition: NonNullable<ReturnType<typeof backendDefinition>>, apiKey: string, model: string,
  cancellable: Gio.Cancellable): Promise<StreamObservation> {
  const started = Date.now();
  try {
    // The adapter builds exactly the request the proxy would send (path, body, headers).
    const adapter = definition.create({ targetUrl: endpoint.base_url, quirks: FORGET_NOTHING });
    const call = await adapter.prepare({ model, input: "Reply with the single word OK.", stream: true, max_output_tokens: 16 },
      [{ type: "message", role: "user", content: "Reply with the single word OK." }], true);
    const url = call.url ?? joinUrl(endpoint.base_url, call.path);
    const reply = await requestStream("POST", url, { body: call.body, headers: { ...definition.headers(apiKey), ...(call.headers ?? {}),
      ...(call.framing === "json-lines" ? {} : { Accept: "text/event-stream" }) }, timeoutMs: TIMEOUT_MS, cancellable, firstChunkOnly: true });
    return { status: reply.status, contentType: reply.contentType, firstBytes: reply.text.slice(0, 4096),
      message: reply.status >= 400 ? providerMessage(reply.text) : "", ttfbMs: reply.ttfbMs ?? reply.ms, framing: call.framing ?? "sse" };
  } catch (e) {
    return { error: errorMessage(e), ms: Date.now() - started };
  }
}

async function toolCall(proxyUrl: string, headers: Record<string, string>, model: string, cancellable: Gio.Cancellable): Promise<ToolObservation> {
  const started = Date.now();
  try {
    const reply = await requestJson("POST", `${proxyUrl}/v1/responses`, { headers, timeoutMs: TIMEOUT_MS * 2, cancellable, body: {
      model, stream: false, store: false,
      input: `What time is it now? Call the ${DOCTOR_TOOL} tool to find out; do not answer from memory.`,
      tools: [{ type: "function", name: DOCTOR_TOOL, description: "Returns the current local time.", parameters: { type: "object", properties: {}, additionalProperties: false } }],
      tool_choice: "auto",
    } });
    return { status: reply.status, body: reply.body, message: reply.status >= 400 ? providerMessage(reply.text) : "", ms: reply.ms };
  } catch (e) {
    return { error: errorMessage(e), ms: Date.now() - started };
  }
}

async function roundTrip(proxyUrl: string, headers: Record<string, string>, model: string, cancellable: Gio.Cancellable): Promise<RoundTripObservation> {
  const started = Date.now();
  try {
    const reply = await requestStream("POST", `${proxyUrl}/v1/responses`, { headers: { ...headers, Accept: "text/event-stream" }, timeoutMs: TIMEOUT_MS * 2, cancellable,
      body: { model, stream: true, store: false, input: "Reply with the single word OK." },
      // The proxy announces the response at once; the provider's first answer is the first content event.
      mark: /"type":"response\.(output_text\.delta|output_item\.added|completed|failed)"/ });
    return { status: reply.status, events: reply.status === 200 ? sseEvents(reply.text) : [], message: reply.status >= 400 ? providerMessage(reply.text) : "",
      ttfbMs: reply.markMs ?? reply.ttfbMs, ms: reply.ms };
  } catch (e) {
    return { error: errorMessage(e), ms: Date.now() - started };
  }
}
