// The Doctor service against fake providers on loopback: each check flips for its own fault, a
// healthy provider passes end to end through a real temporary proxy, and a run can be cancelled.
import Gio from "gi://Gio";
import type { AppContext } from "../../src/launcher/app-context.js";
import { runDoctor } from "../../src/launcher/doctor.js";
import type { DoctorRow } from "../../src/launcher/model/doctor.js";
import type { Endpoint } from "../../src/lib/endpoints.js";
import { makeTestContext, makeTestHome, type TestHome } from "../helpers/app-context.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { removeTree } from "../helpers/repo.js";

const KEY = "sk-doctor-key-0123456789";

function endpoint(url: string, model = "fake-a"): Endpoint {
  return { name: "E", backend_type: "openai-compat", base_url: url, api_key: "", default_model: model, models: [model], provider_preset: "Custom" };
}

const marks = (rows: DoctorRow[]) => Object.fromEntries(rows.map((r) => [r.id, r.state]));
const reason = (rows: DoctorRow[], id: string) => rows.find((r) => r.id === id)!.reason;

describe("Doctor (service)", () => {
  let home: TestHome;
  let ctx: AppContext;
  let provider: FakeProvider;

  beforeEach(async () => {
    home = makeTestHome("doctor");
    ctx = await makeTestContext(home);
    provider = new FakeProvider().requireKey(KEY).callsTools(true);
  });

  afterEach(async () => {
    provider.stop();
    await ctx.supervisor.dispose();
    removeTree(home.home);
  });

  const doctor = (e: Endpoint, key = KEY, cancellable = new Gio.Cancellable(), seen: DoctorRow[] = []) =>
    runDoctor({ paths: ctx.paths, proxyArgv: ctx.proxyArgv, clientToken: ctx.clientToken, log: (l) => ctx.log.write(l) }, e, key, e.default_model,
      (row) => seen.push(row), cancellable);

  it("passes a healthy provider end to end, through a temporary proxy that leaves no trace", async () => {
    const seen: DoctorRow[] = [];
    const rows = await doctor(endpoint(provider.url), KEY, new Gio.Cancellable(), seen);
    expect(marks(rows)).toEqual({ dns: "pass", tls: "skip", auth: "pass", model: "pass", sse: "pass", tools: "pass", proxy: "pass" });
    expect(reason(rows, "tools")).toBe("answered with a call of get_current_time");
    expect(reason(rows, "proxy")).toMatch(/^Codex's request came back as \d+ events, first byte after \d+ ms$/);
    // Rows were reported as they were decided, each one running first.
    expect(seen.filter((r) => r.state === "running").map((r) => r.id)).toEqual(["dns", "tls", "auth", "model", "sse", "tools", "proxy"]);
    expect(provider.chatRequests().every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBeTrue();
    expect(ctx.supervisor.running).toBeFalse();
  }, 30000);

  it("flips DNS for a host that does not resolve, and skips what depends on it", async () => {
    const rows = await doctor(endpoint("https://nowhere.invalid/v1"));
    expect(marks(rows)).toEqual({ dns: "fail", tls: "skip", auth: "skip", model: "skip", sse: "skip", tools: "skip", proxy: "skip" });
    expect(reason(rows, "dns")).toBe("nowhere.invalid does not resolve (no such host)");
    expect(reason(rows, "proxy")).toBe("skipped: the host does not resolve");
  });

  it("flips authentication for a refused key (401) with the provider's words", async () => {
    const rows = await doctor(endpoint(provider.url), "sk-wrong");
    expect(marks(rows)).toEqual(jasmine.objectContaining({ auth: "fail", model: "skip", sse: "skip", tools: "skip", proxy: "skip" }));
    expect(reason(rows, "auth")).toBe("the provider refused the key (HTTP 401: Incorrect API key provided)");
  });

  it("flips the model check for a model the provider does not list", async () => {
    const rows = await doctor(endpoint(provider.url, "gone-model"));
    expect(marks(rows)).toEqual(jasmine.objectContaining({ auth: "pass", model: "fail" }));
    expect(reason(rows, "model")).toBe("'gone-model' is not among the 2 models the provider lists (e.g. fake-a, fake-b)");
  }, 30000);

  it("flips SSE for a provider that answers a streamed request with one JSON document", async () => {
    provider.streams(false);
    const rows = await doctor(endpoint(provider.url));
    expect(marks(rows)).toEqual(jasmine.objectContaining({ auth: "pass", model: "pass", sse: "fail" }));
    expect(reason(rows, "sse")).toContain("answered application/json instead of an event stream (SSE)");
  }, 30000);

  it("flips the tool check for a provider that never calls tools", async () => {
    provider.callsTools(false).otherwise({ kind: "text", text: "It is about noon, I think." });
    const rows = await doctor(endpoint(provider.url));
    expect(marks(rows)).toEqual(jasmine.objectContaining({ sse: "pass", tools: "fail", proxy: "pass" }));
    expect(reason(rows, "tools")).toContain("answered with text instead of calling the tool (\"It is about noon, I think.\")");
  }, 30000);

  it("stops when cancelled: what is left is skipped as cancelled", async () => {
    const cancellable = new Gio.Cancellable();
    provider.otherwise({ kind: "text", text: "slow", delayMs: 2000, chunkSize: 1 });
    const seen: DoctorRow[] = [];
    const run = doctor(endpoint(provider.url), KEY, cancellable, seen);
    const started = Date.now();
    while (!seen.some((r) => r.id === "sse" && r.state === "running") && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
    cancellable.cancel();
    const rows = await run;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(rows.find((r) => r.id === "proxy")!.reason).toBe("cancelled");
    expect(ctx.supervisor.running).toBeFalse();
  }, 30000);
});
