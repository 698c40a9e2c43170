// Benchmark: streaming straight from a fake provider vs through codex-launcher-proxy, in one run on loopback,
// with a paced provider (1 ms/token) and an unpaced one (as fast as node can write). Every figure is a
// ratio to direct or a difference from direct measured in the same run; nothing here is a timed test.
//
// Usage: node bench/proxy-overhead.mjs [--repeat N] [--requests N] [--rss-requests N] [--proxy build/app/proxy.js] [--json FILE]
//   --repeat N   runs everything N times and prints the median of each figure with its spread
//   --proxy P    measures another build of the proxy (e.g. a copy of main's build/app/proxy.js for "before")
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`Usage: node bench/proxy-overhead.mjs [--repeat N] [--requests N] [--rss-requests N] [--proxy FILE] [--json FILE]
  --repeat N        run everything N times; the targets show the median and [min – max] (default 1)
  --requests N      unpaced streams at concurrency 8 for streams/s and CPU per token (default 400)
  --rss-requests N  streams for the memory growth figure (default 5000)
  --proxy FILE      the proxy build to measure (default build/app/proxy.js; e.g. an older build for "before")
  --json FILE       also write every figure of every run to FILE
  --plain-malloc    start the proxy with glibc's allocator defaults, not the launcher's (src/lib/malloc-env.ts)`);
  process.exit(0);
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const REPEAT = Number(arg("repeat", 1));
const REQUESTS = Number(arg("requests", 400));
const RSS_REQUESTS = Number(arg("rss-requests", 5000));
const PROXY_JS = resolve(arg("proxy", join(root, "build/app/proxy.js")));
const JSON_OUT = arg("json", null);
const TOKENS = 200;
const PACE_MS = 1;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/**
 * The allocator environment the launcher gives its proxy (src/lib/malloc-env.ts, read from there so the
 * two cannot drift); --plain-malloc measures glibc's defaults instead.
 */
const PROXY_ENV = process.argv.includes("--plain-malloc") ? {} : Object.fromEntries(
  [...readFileSync(join(root, "src/lib/malloc-env.ts"), "utf8").matchAll(/(MALLOC_[A-Z_]+): "([^"]*)"/g)].map((m) => [m[1], m[2]]));

function startChild(cmd, args, pattern, env = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.on("data", () => {});
    child.on("exit", (code) => reject(new Error(`${cmd} exited with ${code}: ${out}`)));
  });
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** One streamed request: time to first byte and to the end, in ms. */
function once(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let ttfb = null;
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" } }, (res) => {
      res.on("data", () => {
        if (ttfb === null) ttfb = Number(process.hrtime.bigint() - started) / 1e6;
      });
      res.on("end", () => (res.statusCode === 200 ? resolve({ ttfb, total: Number(process.hrtime.bigint() - started) / 1e6 })
        : reject(new Error(`status ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const pct = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

/** `count` requests, `concurrency` at a time; errors are counted, not thrown. */
async function phase(port, path, body, concurrency, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const ttfbs = [];
  /** TTFB of the requests after the opening burst (the first `concurrency` start at the same instant). */
  const ttfbsAfterBurst = [];
  const totals = [];
  let errors = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      try {
        const r = await once(agent, port, path, body);
        ttfbs.push(r.ttfb);
        if (index >= concurrency) ttfbsAfterBurst.push(r.ttfb);
        totals.push(r.total);
      } catch {
        errors++;
      }
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  ttfbs.sort((a, b) => a - b);
  ttfbsAfterBurst.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  return { ttfbP50: pct(ttfbs, 50), ttfbP99: pct(ttfbs, 99), ttfbP99AfterBurst: pct(ttfbsAfterBurst, 99), totalP50: pct(totals, 50),
    rps: (count - errors) / seconds, errors };
}

const chatBody = JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "hi" }] });
const responsesBody = JSON.stringify({ model: "bench", stream: true, store: false,
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });
// A real first turn as Codex sent it (system prompt, tools): what every conversation starts with.
const CAPTURE = "codex-request-1-fake-model-first-turn.json";
const captureRequest = JSON.parse(readFileSync(join(root, "test/fixtures/codex-captures", CAPTURE), "utf8")).body;
const captureBody = JSON.stringify({ ...captureRequest, model: "bench", stream: true, store: false });

async function startPair(pace) {
  const fake = await startChild("node", [join(root, "bench/fake-chat-provider.mjs"), String(TOKENS), String(pace)], /PORT (\d+)/);
  const logDir = mkdtempSync(join(tmpdir(), "bench-"));
  let proxy;
  try {
    proxy = await startChild("gjs", ["-m", PROXY_JS, "--port", "0", "--target-url", `http://127.0.0.1:${fake.port}/v1`, "--log-dir", logDir],
      /listening on http:\/\/127\.0\.0\.1:(\d+)/, PROXY_ENV);
  } catch (e) {
    fake.child.kill();
    throw e;
  }
  const stop = () => {
    fake.child.kill();
    proxy.child.kill();
    rmSync(logDir, { recursive: true, force: true });
  };
  return { fake, proxy, stop };
}

/** The same phase straight to the provider and through the proxy. */
async function both(pair, concurrency, count, body = { direct: chatBody, proxy: responsesBody }) {
  const direct = await phase(pair.fake.port, "/v1/chat/completions", body.direct, concurrency, count);
  const cpu0 = cpuSeconds(pair.proxy.child.pid);
  const viaProxy = await phase(pair.proxy.port, "/v1/responses", body.proxy, concurrency, count);
  const proxyCpu = cpuSeconds(pair.proxy.child.pid) - cpu0;
  return { direct, proxy: viaProxy, proxyCpu };
}

function line(label, r) {
  const d = r.direct;
  const p = r.proxy;
  console.log(`${label}:`);
  console.log(`  time to first byte  direct p50 ${d.ttfbP50.toFixed(2)} ms p99 ${d.ttfbP99.toFixed(2)} ms | proxy p50 ${p.ttfbP50.toFixed(2)} ms p99 ${p.ttfbP99.toFixed(2)} ms` +
    ` | added p50 ${(p.ttfbP50 - d.ttfbP50).toFixed(2)} ms`);
  console.log(`  whole stream        direct p50 ${d.totalP50.toFixed(2)} ms | proxy p50 ${p.totalP50.toFixed(2)} ms | ratio ${(p.totalP50 / d.totalP50).toFixed(2)}`);
  console.log(`  throughput          direct ${d.rps.toFixed(1)} streams/s | proxy ${p.rps.toFixed(1)} streams/s | ratio ${(p.rps / d.rps).toFixed(2)}` +
    `${d.errors + p.errors ? ` | ERRORS direct ${d.errors} proxy ${p.errors}` : ""}`);
}

const settle = (ms = 2000) => new Promise((r) => setTimeout(r, ms));
/** gjs itself runs a shrinking collection about 10 s after activity when RSS grew (its "RSS trigger"). */
const QUIET_MS = 15000;

async function runOnce() {
  const fig = {};
  // Paced provider: what a fast hosted model looks like (1,000 tokens/s). The proxy must keep up and add
  // little to the first byte; these are the latency figures.
  const paced = await startPair(PACE_MS);
  try {
    await both(paced, 8, 40); // warm-up: JIT, pooled connections on both sides
    const c1 = await both(paced, 1, Math.min(REQUESTS, 50));
    line(`paced provider (${PACE_MS} ms/token), concurrency 1, small request`, c1);
    const big = await both(paced, 1, Math.min(REQUESTS, 50), { direct: captureBody, proxy: captureBody });
    line(`paced provider, concurrency 1, ${(captureBody.length / 1024).toFixed(1)} KB Codex first turn (${CAPTURE})`, big);
    const c8 = await both(paced, 8, Math.min(REQUESTS, 200));
    line(`paced provider, concurrency 8`, c8);
    const c64 = await both(paced, 64, 640);
    line(`paced provider, concurrency 64`, c64);
    console.log(`  p99 TTFB after the opening burst of 64  direct ${c64.direct.ttfbP99AfterBurst.toFixed(2)} ms | proxy ${c64.proxy.ttfbP99AfterBurst.toFixed(2)} ms` +
      ` (8 streams: direct ${c8.direct.ttfbP99.toFixed(2)} ms | proxy ${c8.proxy.ttfbP99.toFixed(2)} ms)`);
    fig.addedTtfbSmall = c1.proxy.ttfbP50 - c1.direct.ttfbP50;
    fig.addedTtfbCapture = big.proxy.ttfbP50 - big.direct.ttfbP50;
    fig.pacedRatioC1 = c1.proxy.rps / c1.direct.rps;
    fig.pacedRatioC8 = c8.proxy.rps / c8.direct.rps;
    fig.errors64 = c64.proxy.errors;
    fig.p99Ratio64 = c64.proxy.ttfbP99 / c8.proxy.ttfbP99;
    fig.p99Ratio64Direct = c64.direct.ttfbP99 / c8.direct.ttfbP99;
    fig.p99Ratio64AfterBurst = c64.proxy.ttfbP99AfterBurst / c8.proxy.ttfbP99;
    await settle();
    fig.rssPacedSoon = rssMb(paced.proxy.child.pid);
    await settle(QUIET_MS - 2000);
    fig.rssPaced = rssMb(paced.proxy.child.pid);
  } finally {
    paced.stop();
  }

  // Unpaced provider: the proxy's own cost per token, as with a very fast provider or many agents at once.
  const fast = await startPair(0);
  try {
    const pid = fast.proxy.child.pid;
    await both(fast, 8, 100);
    const c8 = await both(fast, 8, REQUESTS);
    line(`unpaced provider, concurrency 8, ${REQUESTS} streams`, c8);
    console.log(`  proxy CPU           ${(c8.proxyCpu * 1e6 / (REQUESTS * TOKENS)).toFixed(1)} µs per streamed token (${c8.proxyCpu.toFixed(2)} s for ${REQUESTS * TOKENS} tokens)`);
    const c1 = await both(fast, 1, Math.min(REQUESTS, 200));
    line(`unpaced provider, concurrency 1`, c1);
    const big = await both(fast, 1, Math.min(REQUESTS, 200), { direct: captureBody, proxy: captureBody });
    line(`unpaced provider, concurrency 1, Codex first turn`, big);
    fig.streamsRatioC8 = c8.proxy.rps / c8.direct.rps;
    fig.cpuPerToken = (c8.proxyCpu * 1e6) / (REQUESTS * TOKENS);
    fig.wholeStreamRatioC1 = c1.proxy.totalP50 / c1.direct.totalP50;
    fig.unpacedAddedTtfb = c1.proxy.ttfbP50 - c1.direct.ttfbP50;
    // Memory once the proxy is quiet (its idle collection has run), before and after 5,000 more streams.
    await settle();
    const before = rssMb(pid);
    const more = await phase(fast.proxy.port, "/v1/responses", responsesBody, 8, RSS_REQUESTS);
    const busy = rssMb(pid);
    await settle();
    const after = rssMb(pid);
    await settle(QUIET_MS - 2000);
    const quiet = rssMb(pid);
    console.log(`proxy RSS: ${before.toFixed(1)} MB 2 s after the measured phases, ${after.toFixed(1)} MB 2 s after ${RSS_REQUESTS} more streams` +
      ` (growth ${(after - before).toFixed(1)} MB; ${busy.toFixed(1)} MB right at the end${more.errors ? `; ${more.errors} ERRORS` : ""}), ` +
      `${quiet.toFixed(1)} MB after ${QUIET_MS / 1000} s quiet; paced proxy (64 streams) ${fig.rssPacedSoon.toFixed(1)} MB after 2 s, ` +
      `${fig.rssPaced.toFixed(1)} MB after ${QUIET_MS / 1000} s`);
    fig.rssSoon = Math.max(after, fig.rssPacedSoon);
    fig.rssAfter = Math.max(quiet, fig.rssPaced);
    fig.rssGrowth = after - before;
    fig.errors5000 = more.errors;
  } finally {
    fast.stop();
  }
  return fig;
}

const TARGETS = [
  ["streams/s at concurrency 8, unpaced, ratio to direct", "streamsRatioC8", (v) => v >= 0.35, "≥ 0.35", 2],
  ["proxy CPU per streamed token (µs)", "cpuPerToken", (v) => v <= 30, "≤ 30", 1],
  ["whole 200-token stream, concurrency 1, unpaced, ratio to direct", "wholeStreamRatioC1", (v) => v <= 3, "≤ 3", 2],
  ["added TTFB p50, concurrency 1, small request, paced (ms)", "addedTtfbSmall", (v) => v <= 1.5, "≤ 1.5", 2],
  ["added TTFB p50, concurrency 1, Codex first turn, paced (ms)", "addedTtfbCapture", (v) => v <= 2, "≤ 2", 2],
  ["proxy RSS after the run, quiet 15 s (MB)", "rssAfter", (v) => v <= 45, "≤ 45", 1],
  ["(info) proxy RSS 2 s after the run (MB)", "rssSoon", () => true, "—", 1],
  [`RSS growth over ${RSS_REQUESTS} requests (MB)`, "rssGrowth", (v) => v < 5, "< 5", 1],
  ["errors among the 5,000 streams", "errors5000", (v) => v === 0, "0", 0],
  ["errors among 64 concurrent streams", "errors64", (v) => v === 0, "0", 0],
  ["p99 TTFB at 64 streams ÷ p99 at 8 (paced)", "p99Ratio64", (v) => v <= 2, "≤ 2", 2],
  ["(info) the same for direct (the provider and client alone)", "p99Ratio64Direct", () => true, "—", 2],
  ["(info) the same after the opening burst of 64 (proxy)", "p99Ratio64AfterBurst", () => true, "—", 2],
  ["paced throughput ratio, concurrency 1", "pacedRatioC1", (v) => v >= 0.9, "≥ 0.9", 2],
  ["paced throughput ratio, concurrency 8", "pacedRatioC8", (v) => v >= 0.9, "≥ 0.9", 2],
  ["(info) added TTFB p50, concurrency 1, unpaced (ms)", "unpacedAddedTtfb", () => true, "—", 2],
];

async function main() {
  console.log(`codex-launcher-proxy overhead: ${TOKENS}-token streams, fake provider on loopback (node, one write per token)`);
  console.log(`proxy: ${PROXY_JS}${REPEAT > 1 ? `; ${REPEAT} runs` : ""}; allocator: ${Object.entries(PROXY_ENV).map(([k, v]) => `${k}=${v}`).join(" ") || "glibc defaults"}`);
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    if (REPEAT > 1) console.log(`\n— run ${i + 1} of ${REPEAT} —`);
    runs.push(await runOnce());
  }
  console.log(`\ntargets${REPEAT > 1 ? ` (median of ${REPEAT} runs, [min – max])` : ""}:`);
  for (const [label, key, ok, target, digits] of TARGETS) {
    const values = runs.map((r) => r[key]).sort((a, b) => a - b);
    const median = values.length % 2 ? values[(values.length - 1) / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
    const spread = values.length > 1 ? ` [${values[0].toFixed(digits)} – ${values[values.length - 1].toFixed(digits)}]` : "";
    console.log(`  ${target === "—" ? "       " : ok(median) ? "met    " : "MISSED "} ${label.padEnd(64)} ${median.toFixed(digits).padStart(8)}${spread}  (target ${target})`);
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ proxy: PROXY_JS, runs }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
