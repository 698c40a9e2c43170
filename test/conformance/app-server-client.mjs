// A minimal client of `codex app-server` (JSON-RPC over stdio, the protocol of Codex's IDE extension and
// of Codex Desktop), for the conformance rows Codex's exec mode cannot reach, such as /compact.
// Usage: CODEX=<codex binary> WORK=<cwd> node app-server-client.mjs '[{"turn":"say hi"},{"compact":true}]'
// Prints one JSON line per step ({"step":…,"items":[item types],"error":…}) and exits 0, or 1 on failure.
import { spawn } from "node:child_process";

const steps = JSON.parse(process.argv[2] ?? "[]");
const server = spawn(process.env.CODEX, ["app-server"], { env: process.env, stdio: ["pipe", "pipe", "inherit"] });
let nextId = 0;
const pending = new Map();
const notifications = [];
/** Items completed during the current step, by type (contextCompaction, agentMessage, ...). */
let stepItems = [];
let buffer = "";
server.stdout.on("data", (data) => {
  buffer += data;
  for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
    const line = buffer.slice(0, at).trim();
    buffer = buffer.slice(at + 1);
    if (!line) continue;
    const message = JSON.parse(line);
    if (message.id !== undefined && pending.has(message.id) && !message.method) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    } else if (message.method) {
      notifications.push(message);
      if (message.method === "item/completed") stepItems.push(message.params.item.type);
      // Server requests (approvals) are declined: the rows never need them.
      if (message.id !== undefined) server.stdin.write(`${JSON.stringify({ id: message.id, result: { decision: "decline" } })}\n`);
    }
  }
});

const call = (method, params) => new Promise((resolve) => {
  const id = ++nextId;
  pending.set(id, resolve);
  server.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
});

const waitFor = (predicate, timeoutMs = 60000) => new Promise((resolve, reject) => {
  const started = Date.now();
  const check = () => {
    const found = notifications.findIndex(predicate);
    if (found >= 0) return resolve(notifications.splice(0, found + 1).at(-1));
    if (Date.now() - started > timeoutMs) return reject(new Error("timed out waiting for the app server"));
    setTimeout(check, 20);
  };
  check();
});

try {
  const init = await call("initialize", { clientInfo: { name: "codex-launcher-conformance", version: "1" } });
  if (init.error) throw new Error(`initialize: ${init.error.message}`);
  server.stdin.write(`${JSON.stringify({ method: "initialized" })}\n`);
  const thread = await call("thread/start", { cwd: process.env.WORK, ephemeral: true });
  if (thread.error) throw new Error(`thread/start: ${thread.error.message}`);
  const threadId = thread.result.thread.id;
  for (const step of steps) {
    stepItems = [];
    const answer = step.compact
      ? await call("thread/compact/start", { threadId })
      : await call("turn/start", { threadId, input: [{ type: "text", text: step.turn }] });
    if (answer.error) throw new Error(`${step.compact ? "thread/compact/start" : "turn/start"}: ${answer.error.message}`);
    const done = await waitFor((n) => n.method === "turn/completed");
    const turn = done.params.turn;
    console.log(JSON.stringify({ step, status: turn.status, error: turn.error?.message ?? null, items: stepItems }));
  }
  server.kill();
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
  server.kill();
  process.exit(1);
}
