// Drives the proxy with the official `openai` npm SDK and prints what it saw as one JSON line.
// Usage: node openai-sdk-client.mjs BASE_URL
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.argv[2], apiKey: "sk-sdk-client", maxRetries: 0 });
const out = {};

const stream = await client.responses.create({ model: "fake-model", input: "stream please", stream: true });
const types = [];
let text = "";
for await (const event of stream) {
  types.push(event.type);
  if (event.type === "response.output_text.delta") text += event.delta;
}
out.raw = { types, text };

const helper = client.responses.stream({ model: "fake-model", input: [{ role: "user", content: "again" }] });
const final = await helper.finalResponse();
out.helper = { status: final.status, outputText: final.output_text, usage: final.usage };

const whole = await client.responses.create({ model: "fake-model", input: "no stream" });
out.nonStream = { status: whole.status, outputText: whole.output_text };

try {
  await client.responses.create({ model: "fake-model", input: "fail", stream: true });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, message: e.message };
}
console.log(JSON.stringify(out));
