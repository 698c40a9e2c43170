// Benchmark: streaming straight to a fake provider vs through codex-launcher-proxy, in one run on loopback.
// Prints added time to first byte (p50/p99), throughput as a ratio to direct, and proxy RSS growth.
// Usage: node bench/proxy-overhead.mjs [--requests N] [--interval MS] [--rss-requests N]
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 200);
const INTERVAL = arg("interval", 1);
const RSS_REQUESTS = arg("rss-requests", 5000);
const TOKENS = 200;

function startChild(cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
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

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function once(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let ttfb = null;
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" } }, (res) => {
      res.on("data", () => {
        if (ttfb === null) ttfb = Number(process.hrtime.bigint() - started) / 1e6;
      });
      res.on("end", () => (res.statusCode === 200 ? resolve(ttfb) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function phase(port, path, body, concurrency, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const ttfbs = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      ttfbs.push(await once(agent, port, path, body));
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  ttfbs.sort((a, b) => a - b);
  const pct = (p) => ttfbs[Math.max(0, Math.ceil((p / 100) * ttfbs.length) - 1)];
  return { p50: pct(50), p99: pct(99), rps: count / seconds };
}

const chatBody = JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "hi" }] });
const responsesBody = JSON.stringify({ model: "bench", stream: true, store: false,
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });

async function compare(label, interval, concurrency, count) {
  const fake = await startChild("node", [join(root, "bench/fake-chat-provider.mjs"), String(TOKENS), String(interval)], /PORT (\d+)/);
  const logDir = mkdtempSync(join(tmpdir(), "bench-"));
  const proxy = await startChild("gjs", ["-m", join(root, "build/app/proxy.js"), "--port", "0", "--target-url",
    `http://127.0.0.1:${fake.port}/v1`, "--log-dir", logDir], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  try {
    // Warm both paths (JIT, pooled connections) before measuring.
    await phase(fake.port, "/v1/chat/completions", chatBody, concurrency, 20);
    await phase(proxy.port, "/v1/responses", responsesBody, concurrency, 20);
    const direct = await phase(fake.port, "/v1/chat/completions", chatBody, concurrency, count);
    const viaProxy = await phase(proxy.port, "/v1/responses", responsesBody, concurrency, count);
    console.log(`${label}, concurrency ${concurrency}, ${count} requests:`);
    console.log(`  time to first byte  direct p50 ${direct.p50.toFixed(2)} ms p99 ${direct.p99.toFixed(2)} ms | proxy p50 ${viaProxy.p50.toFixed(2)} ms p99 ${viaProxy.p99.toFixed(2)} ms`);
    console.log(`  added by the proxy  p50 ${(viaProxy.p50 - direct.p50).toFixed(2)} ms, p99 ${(viaProxy.p99 - direct.p99).toFixed(2)} ms`);
    console.log(`  throughput          direct ${direct.rps.toFixed(1)} req/s | proxy ${viaProxy.rps.toFixed(1)} req/s | ratio ${(viaProxy.rps / direct.rps).toFixed(2)}`);
    return { fake, proxy, logDir };
  } catch (e) {
    fake.child.kill();
    proxy.child.kill();
    throw e;
  }
}

async function main() {
  console.log(`codex-launcher-proxy overhead: ${TOKENS}-token streams, fake provider on loopback (node), one run`);
  for (const c of [1, 8]) {
    const r = await compare(`provider pace ${INTERVAL} ms/token`, INTERVAL, c, REQUESTS);
    r.fake.child.kill();
    r.proxy.child.kill();
    rmSync(r.logDir, { recursive: true, force: true });
  }
  // Stress: an unpaced provider, so the figure is the proxy's own CPU cost per stream.
  const stress = await compare("unpaced provider (CPU-bound stress)", 0, 8, REQUESTS);
  stress.fake.child.kill();
  stress.proxy.child.kill();
  rmSync(stress.logDir, { recursive: true, force: true });

  const rss = await compare("memory run, unpaced", 0, 8, 200);
  const before = rssMb(rss.proxy.child.pid);
  await phase(rss.proxy.port, "/v1/responses", responsesBody, 8, RSS_REQUESTS);
  const after = rssMb(rss.proxy.child.pid);
  console.log(`proxy RSS: ${before.toFixed(1)} MB after warm-up, ${after.toFixed(1)} MB after ${RSS_REQUESTS} more requests, growth ${(after - before).toFixed(1)} MB`);
  rss.fake.child.kill();
  rss.proxy.child.kill();
  rmSync(rss.logDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
