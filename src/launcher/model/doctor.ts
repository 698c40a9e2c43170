// The Doctor's verdicts: what each end-to-end check of an endpoint observed, turned into a row with
// ✓ (pass), ✗ (fail) or ○ (skipped) and a reason a person can act on. Pure: the probes themselves
// (launcher/doctor.ts) hand over plain observations, so every verdict rule is unit-tested.

export type CheckId = "dns" | "tls" | "auth" | "model" | "sse" | "tools" | "proxy";
export type Mark = "pass" | "fail" | "skip";
/** "pending": not run yet; "running": under way. */
export type RowState = Mark | "pending" | "running";

export interface DoctorRow {
  id: CheckId;
  state: RowState;
  reason: string;
  /** How long the check took, when it measured something worth showing. */
  ms?: number;
}

/** The checks, in the order they run, each with the checks whose failure makes it pointless. */
export const DOCTOR_CHECKS: readonly { id: CheckId; title: string; needs: readonly CheckId[] }[] = [
  { id: "dns", title: "DNS", needs: [] },
  { id: "tls", title: "TLS", needs: ["dns"] },
  { id: "auth", title: "Authentication", needs: ["dns", "tls"] },
  { id: "model", title: "Model listed by /models", needs: ["dns", "tls", "auth"] },
  { id: "sse", title: "Streamed answer (SSE)", needs: ["dns", "tls", "auth"] },
  { id: "tools", title: "Tool call answered with a tool call", needs: ["dns", "tls", "auth"] },
  { id: "proxy", title: "Round trip through the proxy", needs: ["dns", "tls", "auth"] },
];

export const MARK_SYMBOL: Record<RowState, string> = { pass: "✓", fail: "✗", skip: "○", pending: "·", running: "…" };

export function checkTitle(id: CheckId): string {
  return DOCTOR_CHECKS.find((c) => c.id === id)!.title;
}

export function pendingRows(): DoctorRow[] {
  return DOCTOR_CHECKS.map((c) => ({ id: c.id, state: "pending", reason: "" }));
}

const pass = (id: CheckId, reason: string, ms?: number): DoctorRow => ({ id, state: "pass", reason, ...(ms !== undefined ? { ms } : {}) });
const fail = (id: CheckId, reason: string, ms?: number): DoctorRow => ({ id, state: "fail", reason, ...(ms !== undefined ? { ms } : {}) });
const skip = (id: CheckId, reason: string): DoctorRow => ({ id, state: "skip", reason });

/** What the Doctor aims at, read from the endpoint's base URL. */
export interface DoctorTarget {
  scheme: "http" | "https";
  host: string;
  port: number;
  /** An IP literal needs no DNS. */
  ipLiteral: boolean;
}

/** The target, or a reason the base URL cannot be checked at all. */
export function doctorTarget(baseUrl: string): DoctorTarget | { error: string } {
  const m = /^(https?):\/\/(?:[^@/?#]*@)?(\[[0-9a-fA-F:.]+\]|[^:/?#]+)(?::(\d+))?(?:[/?#]|$)/i.exec(baseUrl.trim());
  if (!m) return { error: `the base URL '${baseUrl}' is not an http:// or https:// address` };
  const scheme = m[1].toLowerCase() as "http" | "https";
  const host = m[2].replace(/^\[|\]$/g, "");
  const port = m[3] ? Number(m[3]) : scheme === "https" ? 443 : 80;
  const ipLiteral = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
  return { scheme, host, port, ipLiteral };
}

/** The first failed prerequisite of `id`, as the reason it is skipped; null when it may run. */
export function blockedReason(id: CheckId, rows: readonly DoctorRow[]): string | null {
  const needs = DOCTOR_CHECKS.find((c) => c.id === id)!.needs;
  for (const need of needs) {
    const row = rows.find((r) => r.id === need);
    if (row?.state !== "fail") continue;
    switch (need) {
      case "dns":
        return "skipped: the host does not resolve";
      case "tls":
        return "skipped: no secure connection could be made";
      case "auth":
        return "skipped: the provider refused the key";
      default:
        return `skipped: ${checkTitle(need)} failed`;
    }
  }
  return null;
}

export type DnsObservation = { addresses: string[]; ms: number } | { error: string; notFound: boolean; ms: number };

export function judgeDns(target: DoctorTarget, seen: DnsObservation | null): DoctorRow {
  if (target.ipLiteral) return pass("dns", `${target.host} is an IP address: nothing to resolve`);
  if (!seen) return skip("dns", "not checked");
  if ("error" in seen)
    return fail("dns", seen.notFound ? `${target.host} does not resolve (no such host)` : `looking up ${target.host} failed: ${seen.error}`, seen.ms);
  const shown = seen.addresses.slice(0, 3).join(", ");
  return pass("dns", `${target.host} → ${shown}${seen.addresses.length > 3 ? ", …" : ""}`, seen.ms);
}

export type TlsObservation = { ok: true; ms: number; protocol?: string } | { ok: false; error: string; ms: number };

export function judgeTls(target: DoctorTarget, seen: TlsObservation | null): DoctorRow {
  if (target.scheme === "http")
    return skip("tls", isLocalHost(target.host) ? "plain http to a local server: no TLS needed" : "plain http: the connection is not encrypted");
  if (!seen) return skip("tls", "not checked");
  if (!seen.ok) return fail("tls", `no secure connection to ${target.host}:${target.port}: ${seen.error}`, seen.ms);
  return pass("tls", `secure connection to ${target.host}:${target.port}${seen.protocol ? ` (${seen.protocol})` : ""}, certificate accepted`, seen.ms);
}

function isLocalHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host) || host.endsWith(".localhost");
}

/** An HTTP answer as the probes saw it (message: the provider's own error text, when any). */
export type HttpObservation = { status: number; message: string; ms: number } | { error: string; ms: number };

/** The models the provider listed (null when it has no list or the call failed). */
export interface ModelsObservation {
  reply: HttpObservation | null;
  models: string[] | null;
}

/**
 * Authentication, judged from GET /models: the one request that needs the key and nothing else. A
 * provider without a model list is judged by the answers below instead.
 */
export function judgeAuth(hasModelsPath: boolean, keySet: boolean, seen: ModelsObservation): DoctorRow {
  if (!hasModelsPath) return skip("auth", "this provider has no model list; the key is checked by the answers below");
  const reply = seen.reply;
  if (!reply) return skip("auth", "not checked");
  if ("error" in reply) return fail("auth", `could not reach the provider: ${reply.error}`, reply.ms);
  if (reply.status === 401 || reply.status === 403)
    return fail("auth", `${keySet ? "the provider refused the key" : "no API key is set and the provider wants one"} (HTTP ${reply.status}${reply.message ? `: ${reply.message}` : ""})`, reply.ms);
  if (reply.status >= 200 && reply.status < 300) return pass("auth", keySet ? "the key was accepted (GET /models)" : "no key needed (GET /models answered without one)", reply.ms);
  return skip("auth", `GET /models answered HTTP ${reply.status}${reply.message ? ` (${reply.message})` : ""}; the key is checked by the answers below`);
}

export function judgeModel(model: string, seen: ModelsObservation): DoctorRow {
  if (!model) return fail("model", "the endpoint has no model to check (add one in its editor)");
  if (!seen.models) return skip("model", "the provider did not list its models");
  if (seen.models.includes(model)) return pass("model", `'${model}' is among the ${seen.models.length} models the provider lists`);
  const near = seen.models.find((m) => m.toLowerCase() === model.toLowerCase() || m.endsWith(`/${model}`));
  const examples = seen.models.slice(0, 4).join(", ");
  return fail("model", `'${model}' is not among the ${seen.models.length} models the provider lists` +
    (near ? `; did you mean '${near}'?` : examples ? ` (e.g. ${examples}${seen.models.length > 4 ? ", …" : ""})` : ""));
}

/** A streamed request sent straight to the provider: what came back first. */
export type StreamObservation =
  | { status: number; contentType: string; firstBytes: string; message: string; ttfbMs: number; framing: "sse" | "json-lines" }
  | { error: string; ms: number };

export function judgeStream(seen: StreamObservation | null, why?: string): DoctorRow {
  if (!seen) return skip("sse", why ?? "not checked");
  if ("error" in seen) return fail("sse", `no answer: ${seen.error}`, seen.ms);
  if (seen.status === 401 || seen.status === 403) return fail("sse", `the provider refused the key (HTTP ${seen.status}${seen.message ? `: ${seen.message}` : ""})`, seen.ttfbMs);
  if (seen.status < 200 || seen.status >= 300) return fail("sse", `HTTP ${seen.status}${seen.message ? `: ${seen.message}` : ""}`, seen.ttfbMs);
  const type = seen.contentType.split(";")[0].trim().toLowerCase() || "no content type";
  if (seen.framing === "json-lines") {
    return seen.firstBytes.trim() ? pass("sse", `streamed JSON lines, first bytes after ${seen.ttfbMs} ms`, seen.ttfbMs)
      : fail("sse", "the stream was empty", seen.ttfbMs);
  }
  if (type !== "text/event-stream")
    return fail("sse", `asked to stream, the provider answered ${type} instead of an event stream (SSE): Codex then sees each answer only ` +
      "once it is complete, and a long one can run into the idle timeout", seen.ttfbMs);
  if (!/^(data|event|id|retry):/m.test(seen.firstBytes) && !/^:/m.test(seen.firstBytes))
    return fail("sse", "the event stream carried no events", seen.ttfbMs);
  return pass("sse", `events streamed, first after ${seen.ttfbMs} ms`, seen.ttfbMs);
}

/** The proxy's answer (a Responses object) to a request that offers one tool and asks for it. */
export type ToolObservation = { status: number; body: unknown; message: string; ms: number } | { error: string; ms: number };

export const DOCTOR_TOOL = "get_current_time";

export function judgeToolCall(seen: ToolObservation | null, why?: string): DoctorRow {
  if (!seen) return skip("tools", why ?? "not checked");
  if ("error" in seen) return fail("tools", `no answer: ${seen.error}`, seen.ms);
  if (seen.status !== 200) return fail("tools", `HTTP ${seen.status}${seen.message ? `: ${seen.message}` : ""}`, seen.ms);
  const output = ((seen.body as { output?: unknown[] } | null)?.output ?? []) as { type?: string; name?: string; content?: { text?: string }[] }[];
  const call = output.find((o) => o.type === "function_call" || o.type === "custom_tool_call");
  if (call) return pass("tools", `answered with a call of ${call.name ?? "a tool"}`, seen.ms);
  const text = output.filter((o) => o.type === "message").flatMap((o) => o.content ?? []).map((c) => c.text ?? "").join("").trim();
  return fail("tools", `answered with text instead of calling the tool${text ? ` ("${text.slice(0, 60)}${text.length > 60 ? "…" : ""}")` : ""}: ` +
    "Codex cannot run commands or edit files with this model", seen.ms);
}

/** A streamed Responses request through a temporary proxy, as Codex sends it. */
export type RoundTripObservation =
  | { status: number; events: { type: string; message?: string }[]; message: string; ttfbMs: number | null; ms: number }
  | { error: string; ms: number };

export function judgeRoundTrip(seen: RoundTripObservation | null, why?: string): DoctorRow {
  if (!seen) return skip("proxy", why ?? "not checked");
  if ("error" in seen) return fail("proxy", `the proxy gave no answer: ${seen.error}`, seen.ms);
  if (seen.status !== 200) return fail("proxy", `the proxy answered HTTP ${seen.status}${seen.message ? `: ${seen.message}` : ""}`, seen.ms);
  const failed = seen.events.find((e) => e.type === "response.failed" || e.type === "error");
  if (failed) return fail("proxy", `the stream failed: ${failed.message ?? "no reason given"}`, seen.ms);
  if (!seen.events.some((e) => e.type === "response.completed"))
    return fail("proxy", `the stream ended without response.completed (${seen.events.length} events)`, seen.ms);
  return pass("proxy", `Codex's request came back as ${seen.events.length} events, first byte after ${seen.ttfbMs ?? seen.ms} ms`, seen.ttfbMs ?? seen.ms);
}

/** One line for the whole run: how many checks failed, and the first failure's reason. */
export function doctorSummary(rows: readonly DoctorRow[]): { ok: boolean; text: string } {
  const failed = rows.filter((r) => r.state === "fail");
  const passed = rows.filter((r) => r.state === "pass").length;
  const skipped = rows.filter((r) => r.state === "skip").length;
  if (rows.some((r) => r.state === "pending" || r.state === "running")) return { ok: false, text: "running…" };
  if (failed.length === 0) return { ok: true, text: `${passed} passed${skipped ? `, ${skipped} not applicable` : ""}` };
  return { ok: false, text: `${failed.length} failed: ${checkTitle(failed[0].id)} — ${failed[0].reason}` };
}

/** The latency the Doctor measured for the badge: the proxy round trip's first byte, else the stream's. */
export function doctorLatency(rows: readonly DoctorRow[]): number | null {
  for (const id of ["proxy", "sse"] as const) {
    const row = rows.find((r) => r.id === id);
    if (row?.state === "pass" && row.ms !== undefined) return row.ms;
  }
  return null;
}
