// A fast fake Chat Completions provider for benchmarks: streams N tokens, one write per token.
// Usage: node fake-chat-provider.mjs TOKENS INTERVAL_MS  → prints "PORT <n>" when listening.
import http from "node:http";

const tokens = Number(process.argv[2] ?? 200);
const intervalMs = Number(process.argv[3] ?? 0);

function frame(delta, finish = null) {
  return `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1, model: "bench",
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.write(frame({ role: "assistant", content: "" }));
    let i = 0;
    const next = () => {
      if (i < tokens) {
        res.write(frame({ content: ` tok${i++}` }));
        if (intervalMs > 0) setTimeout(next, intervalMs);
        else setImmediate(next);
        return;
      }
      res.write(frame({}, "stop"));
      res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 50, completion_tokens: tokens, total_tokens: 50 + tokens } })}\n\n`);
      res.end("data: [DONE]\n\n");
    };
    next();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
