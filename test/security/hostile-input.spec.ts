// Hostile input survived (issue 10): a generated corpus of 500+ malformed requests, a 1 GB chunked
// upload and an 8 MB nested body against the real proxy. Figures are printed; the assertions are that
// every answer is the client's error (4xx, never 5xx), the proxy keeps serving, and memory comes back.
import Soup from "gi://Soup?version=3.0";
import GLib from "gi://GLib";
import Gio from "gi://Gio";
import { PROXY_MALLOC_ENV } from "../../src/lib/malloc-env.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { run } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { rawPost, rawRequest } from "../helpers/raw-http.js";
import { makeTempDir, removeTree, REPO_ROOT } from "../helpers/repo.js";

Gio._promisify(Soup.Session.prototype, "send_and_read_async", "send_and_read_finish");

const TOKEN = "f".repeat(32) + "0123456789abcdef0123456789abcdef";

function rssMb(pid: number): number {
  const status = new TextDecoder().decode(GLib.file_get_contents(`/proc/${pid}/status`)[1]);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/**
 * Polls /health every 20 ms until stopped; the slowest answer is the longest the event loop stalled.
 * The proxy's RSS is sampled along the way (its peak).
 */
function pollHealth(port: number, pid: number): { stop: () => Promise<{ max: number; count: number; failures: number; peakRss: number }> } {
  const session = new Soup.Session({ timeout: 10 });
  let running = true;
  let max = 0;
  let peakRss = 0;
  let count = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const msg = Soup.Message.new("GET", `http://127.0.0.1:${port}/health`)!;
      const started = Date.now();
      try {
        await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
        if (msg.status_code !== 200) failures++;
      } catch {
        failures++;
      }
      max = Math.max(max, Date.now() - started);
      peakRss = Math.max(peakRss, rssMb(pid));
      count++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { max, count, failures, peakRss };
    },
  };
}

describe("security: hostile input", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let dir: string;
  const auth = `Authorization: Bearer ${TOKEN}`;
  /** The proxy collects garbage between requests: a few ordinary ones, and a moment. */
  /** Some ordinary requests, then quiet: gjs runs a shrinking collection of its own after about 10 s
   * idle (measured: the JS heap's spare chunks, about 13 MB after multi-megabyte parses, go back then). */
  const QUIET_MS = 12000;
  const settleMemory = async (quietMs = 2000) => {
    for (let i = 0; i < 20; i++) await rawPost(proxy.port, "/v1/responses", JSON.stringify({ model: "m", input: "settle" }), [auth]);
    await new Promise((r) => setTimeout(r, quietMs));
    for (let i = 0; i < 5; i++) await rawPost(proxy.port, "/v1/responses", JSON.stringify({ model: "m", input: "settle" }), [auth]);
    if (quietMs > 2000) await new Promise((r) => setTimeout(r, 500));
  };
  const healthy = async () => (await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}`)).status === 200;

  beforeAll(async () => {
    provider = new FakeProvider();
    provider.otherwise({ kind: "text", text: "a valid case" });
    dir = makeTempDir("security-hostile");
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir], { env: { CODEX_PROXY_API_KEY: "sk-k", CODEX_LAUNCHER_CLIENT_TOKEN: TOKEN, ...PROXY_MALLOC_ENV } });
  });

  afterAll(async () => {
    await proxy.child.stop();
    provider.stop();
    removeTree(dir);
  });

  it("answers every case of a 500+ malformed-request corpus with the client's error, keeps serving, and gives the memory back", async () => {
    // "Where it started": a proxy that has served ordinary traffic, long contexts (5 MB requests) included,
    // so what is measured is what the hostile cases leave behind, not the heap a big request needs.
    const warm = JSON.stringify({ model: "m", input: "warm up", stream: true });
    const longContext = JSON.stringify({ model: "m", input: "\u0000".repeat(1024 * 1024), stream: true });
    for (let i = 0; i < 3; i++) await rawPost(proxy.port, "/v1/responses", longContext, [auth]);
    for (let i = 0; i < 30; i++) await rawPost(proxy.port, "/v1/responses", warm, [auth]);
    await settleMemory(QUIET_MS);
    const before = rssMb(proxy.child.pid);
    const replay = async () => {
      // The corpus is generated and sent by one node process (raw-http-batch.mjs).
      const out = await run(["node", `${REPO_ROOT}/test/helpers/raw-http-batch.mjs`, String(proxy.port), String(proxy.child.pid), auth],
        { timeoutMs: 150000 });
      const results = out.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { name: string; status: number; rss: number; body: string });
      expect(out.exitCode).withContext(out.stderr).toBe(0);
      return results;
    };
    // Twice: the first pass shows what the hostile cases cost, the second that nothing piles up.
    const first = await replay();
    const count = first.length;
    expect(count).toBeGreaterThanOrEqual(500);
    await settleMemory(QUIET_MS);
    const between = rssMb(proxy.child.pid);
    const second = await replay();
    expect(second.length).toBe(count);
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    for (const r of [...first, ...second]) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // 0 = the connection was reset: libsoup's answer to a header block over 64 KB, and only that.
      if (r.status >= 500 || (r.status === 0 && r.name !== "100 KB header")) serverErrors.push(`${r.name}: ${r.status} ${r.body.slice(0, 160)}`);
    }
    const growth: string[] = [];
    let last = before;
    for (const r of first) {
      if (r.rss - last > 2) growth.push(`${r.name}: +${(r.rss - last).toFixed(1)} MB`);
      last = r.rss;
    }
    if (growth.length) print(`        (first pass, RSS grew at: ${growth.join("; ")})`);
    await settleMemory(QUIET_MS);
    const after = rssMb(proxy.child.pid);
    print(`        (2 × ${count} requests; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(", ")}; ` +
      `RSS ${before.toFixed(1)} MB before, ${between.toFixed(1)} MB after the first pass, ${after.toFixed(1)} MB after the second)`);
    expect(serverErrors).toEqual([]);
    expect(await healthy()).toBeTrue();
    // Within 10 MB of where it started (measured +5 MB), and nothing piles up: a second pass leaves the
    // memory about where the first left it (what grows is the bounded response store and metrics). The
    // proxy's fixed 4 KB mmap threshold (malloc-env.ts) is what lets multi-megabyte bodies go back.
    expect(between - before).toBeLessThan(10);
    expect(after - between).toBeLessThan(10);
    const internal = new TextDecoder().decode(GLib.file_get_contents(`${dir}/proxy.log`)[1]).split("\n").filter((l) => l.includes("internal_error"));
    expect(internal.map((l) => l.slice(0, 400))).toEqual([]);
  }, 240000);

  it("keeps answering /health while four 1 GB chunked uploads and an 8 MB nested body are refused, and keeps its memory bounded", async () => {
    const rss = [rssMb(proxy.child.pid)];
    const poller = pollHealth(proxy.port, proxy.child.pid);
    // curl -T - streams stdin as a chunked body (--data-binary @- would read the whole gigabyte first).
    const upload = () => run(["sh", "-c", `head -c 1073741824 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X POST -T - -H 'Expect:' ` +
      `-H 'Content-Type: application/json' -H '${auth}' http://127.0.0.1:${proxy.port}/v1/responses`], { timeoutMs: 120000 });
    const uploads = [];
    for (let i = 0; i < 4; i++) {
      uploads.push(await upload());
      await settleMemory();
      rss.push(rssMb(proxy.child.pid));
    }
    const nested = await rawPost(proxy.port, "/v1/responses", new Uint8Array(8 * 1024 * 1024).fill(0x5b), [auth]);
    const figures = await poller.stop();
    for (let i = 0; i < 20; i++) await rawPost(proxy.port, "/v1/responses", JSON.stringify({ model: "m", input: "after" }), [auth]);
    rss.push(rssMb(proxy.child.pid));
    print(`        (/health: ${figures.count} probes, slowest ${figures.max} ms, ${figures.failures} failed; uploads ended with ` +
      `${uploads.map((u) => `'${u.stdout}'`).join(", ")}; RSS ${rss.map((r) => r.toFixed(1)).join(" → ")} MB, peak ${figures.peakRss.toFixed(1)} MB)`);
    for (const u of uploads) {
      expect(u.timedOut).toBeFalse();
      // Cut off at the 32 MB limit and answered: the rest of the gigabyte is never read.
      expect(u.stdout).toBe("413");
    }
    expect(nested.status).toBe(400);
    expect(JSON.parse(nested.body).error.message).toContain("nests deeper than 128 levels");
    expect(figures.failures).toBe(0);
    // The event loop never stalled for long: the body is read a megabyte at a time, and the nesting is
    // scanned before any parse (JSON.parse of this body alone used to take 38 s). The figure is printed;
    // the bound here is loose because this machine is shared.
    expect(figures.max).toBeLessThan(1000);
    // Memory follows the 32 MB body limit, never the gigabyte (4.0.0 peaked at 3.7 GB and kept it): at
    // most about one limit's worth while a body is read. No upload keeps its 32 MB, and the allocator
    // reuses what the first ones raised (measured over 8 in a row: one step of about +11 MB within the
    // first three, then +0.3 MB each), so three more uploads add less than half of one limit together.
    const limitMb = 32;
    expect(figures.peakRss - rss[0]).toBeLessThan(2 * limitMb);
    expect(rss[uploads.length] - rss[1]).toBeLessThan(limitMb / 2);
    expect(rss[rss.length - 1] - rss[0]).toBeLessThan(2 * limitMb);
    expect(await healthy()).toBeTrue();
    expect(new TextDecoder().decode(GLib.file_get_contents(`${dir}/proxy.log`)[1]))
      .toContain("refused method=POST path=/v1/responses status=413 code=request_too_large message=\"chunked request body passed");
  }, 180000);
});
