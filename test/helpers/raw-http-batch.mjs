// Generates the fuzz corpus (test/helpers/fuzz-corpus.ts, bundled for node by esbuild.config.mjs) and
// sends every case as a raw HTTP request to 127.0.0.1:PORT, one after another, reading each answer until
// the server closes. Prints one JSON line per case: its name, the status (0 for a reset), the start of
// the answer's body and the proxy's RSS afterwards. Runs in node so that hundreds of requests cost
// seconds, and the corpus's 100+ MB never sit in the gjs test process.
// Usage: node raw-http-batch.mjs PORT PROXY_PID [HEADER_LINE...]
import net from "node:net";
import { readFileSync } from "node:fs";
import { fuzzCorpus } from "../../build/test/helpers/fuzz-corpus.mjs";

const [port, pid, ...headerLines] = process.argv.slice(2);
const capture = new URL("../fixtures/codex-captures/codex-request-1-fake-model-first-turn.json", import.meta.url);
const cases = fuzzCorpus(JSON.parse(readFileSync(capture, "utf8")).body);

function send(bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    const chunks = [];
    socket.setTimeout(15000, () => socket.destroy());
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => {}); // a reset ends the answer; what arrived before it counts
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

for (const c of cases) {
  const head = [`POST /v1/responses HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${c.body.length}`, ...headerLines,
    "Content-Type: application/json", ...(c.headers ?? []), "Connection: close", "", ""].join("\r\n");
  const answer = await send(Buffer.concat([Buffer.from(head, "latin1"), c.body]));
  const status = answer.startsWith("HTTP/") ? Number(answer.split(" ")[1]) : 0;
  const body = answer.slice(answer.indexOf("\r\n\r\n") + 4, answer.indexOf("\r\n\r\n") + 204);
  process.stdout.write(`${JSON.stringify({ name: c.name, status, rss: rssMb(), body })}\n`);
}
