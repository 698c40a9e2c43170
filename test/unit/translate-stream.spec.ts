import { chatCompletionToResponse, ChatToResponsesStream, type ChatChunk } from "../../src/proxy/translate/chat/stream.js";
import type { ResponsesEvent } from "../../src/proxy/translate/contract.js";
import { ThinkSplitter } from "../../src/proxy/translate/chat/think-splitter.js";
import { toChatTools } from "../../src/proxy/translate/tools.js";

const origins = toChatTools([
  { type: "function", name: "exec_command", parameters: {} },
  { type: "custom", name: "apply_patch", format: { type: "grammar", definition: "start: x" } },
  { type: "namespace", name: "multi_agent_v1", tools: [{ type: "function", name: "spawn_agent" }] },
], { strict: false }).origins;

function run(chunks: ChatChunk[]): { events: ResponsesEvent[]; stream: ChatToResponsesStream } {
  const stream = new ChatToResponsesStream({ model: "m", origins, parallelToolCalls: true, toolChoice: "auto" });
  const events = [...stream.start()];
  for (const c of chunks) events.push(...stream.chunk(c));
  events.push(...stream.finish());
  return { events, stream };
}

const text = (content: string): ChatChunk => ({ choices: [{ index: 0, delta: { content } }] });

describe("Chat stream → Responses events", () => {
  it("emits the full event sequence for a text answer, with the text in output_item.done", () => {
    const { events } = run([{ choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }, text("Hi"), text(" there"),
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, prompt_tokens_details: { cached_tokens: 4 } } }]);
    expect(events.map((e) => e.type)).toEqual([
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
      "response.output_item.done", "response.completed"]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const done = events.find((e) => e.type === "response.output_item.done") as any;
    expect(done.item.content[0].text).toBe("Hi there");
    const completed = events[events.length - 1] as any;
    expect(completed.response.status).toBe("completed");
    expect(completed.response.output[0].content[0].text).toBe("Hi there");
    expect(completed.response.usage).toEqual({ input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 });
  });

  it("streams a tool call as a function_call item with argument deltas", () => {
    const { events } = run([
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "exec_command", arguments: "" } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{\"cmd\":" } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "\"ls\"}" } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }]);
    expect(events.map((e) => e.type).slice(2)).toEqual(["response.output_item.added", "response.function_call_arguments.delta",
      "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"]);
    const done = events.find((e) => e.type === "response.output_item.done") as any;
    expect(done.item).toEqual(jasmine.objectContaining({ type: "function_call", call_id: "call_1", name: "exec_command", arguments: "{\"cmd\":\"ls\"}", status: "completed" }));
  });

  it("keeps parallel tool calls apart by index, in order", () => {
    const { stream } = run([
      { choices: [{ index: 0, delta: { tool_calls: [
        { index: 0, id: "a", function: { name: "exec_command", arguments: "{\"cmd\":\"ls\"}" } },
        { index: 1, id: "b", function: { name: "exec_command", arguments: "{\"cmd\":" } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: "\"pwd\"}" } }] } }] }]);
    const calls = stream.response.output as any[];
    expect(calls.map((c) => [c.call_id, c.arguments])).toEqual([["a", "{\"cmd\":\"ls\"}"], ["b", "{\"cmd\":\"pwd\"}"]]);
  });

  it("turns an apply_patch call into a custom_tool_call with the raw patch as input", () => {
    const patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n";
    const { events } = run([{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "apply_patch", arguments: JSON.stringify({ input: patch }) } }] } }] }]);
    const done = events.find((e) => e.type === "response.output_item.done") as any;
    expect(done.item).toEqual(jasmine.objectContaining({ type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: patch }));
    expect(events.some((e) => e.type === "response.function_call_arguments.delta")).toBeFalse();
  });

  it("maps a flattened namespace tool back to its name and namespace", () => {
    const { stream } = run([{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "n1", function: { name: "multi_agent_v1__spawn_agent", arguments: "{}" } }] } }] }]);
    expect(stream.response.output[0]).toEqual(jasmine.objectContaining({ name: "spawn_agent", namespace: "multi_agent_v1" }));
  });

  it("turns reasoning_content (and `reasoning`) into a reasoning item before the message", () => {
    const { stream, events } = run([
      { choices: [{ index: 0, delta: { reasoning_content: "Think" } }] },
      { choices: [{ index: 0, delta: { reasoning: "ing." } }] },
      text("Answer")]);
    expect(stream.response.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    expect((stream.response.output[0] as any).summary[0].text).toBe("Thinking.");
    expect(events.some((e) => e.type === "response.reasoning_summary_text.delta")).toBeTrue();
  });

  it("splits a leading <think> block out of the content, across chunk boundaries", () => {
    const { stream } = run([text("<thi"), text("nk>plan</th"), text("ink>\n\nDone.")]);
    expect((stream.response.output[0] as any).summary[0].text).toBe("plan");
    expect((stream.response.output[1] as any).content[0].text).toBe("Done.");
  });

  it("ends with response.incomplete when the provider stopped at the length limit", () => {
    const { events } = run([text("cut"), { choices: [{ index: 0, delta: {}, finish_reason: "length" }] }]);
    const last = events[events.length - 1] as any;
    expect(last.type).toBe("response.incomplete");
    expect(last.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });

  it("fails the response on an in-stream error object", () => {
    const { events } = run([text("par"), { error: { message: "overloaded", code: "overloaded_error" } }]);
    const failed = events.filter((e) => e.type === "response.failed") as any[];
    expect(failed.length).toBe(1);
    expect(failed[0].response.error).toEqual({ code: "overloaded_error", message: "overloaded" });
    expect(events[events.length - 1].type).toBe("response.failed");
  });

  it("accepts arguments sent as a JSON object instead of a string", () => {
    const { stream } = run([{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "o", function: { name: "exec_command", arguments: { cmd: "ls" } as any } }] } }] }]);
    expect((stream.response.output[0] as any).arguments).toBe("{\"cmd\":\"ls\"}");
  });

  it("accepts tool calls without an index (one call per entry)", () => {
    const { stream } = run([{ choices: [{ index: 0, delta: { tool_calls: [
      { id: "x", function: { name: "exec_command", arguments: "{\"cmd\":\"a\"}" } },
      { id: "y", function: { name: "exec_command", arguments: "{\"cmd\":\"b\"}" } }] } }] }]);
    expect(stream.response.output.map((o: any) => o.call_id)).toEqual(["x", "y"]);
  });
});

describe("chatCompletionToResponse", () => {
  it("maps a non-streamed completion with text, a tool call and usage", () => {
    const response = chatCompletionToResponse({ model: "m2", choices: [{ message: { content: "Let me look.",
      tool_calls: [{ id: "t", function: { name: "exec_command", arguments: "{}" } }] }, finish_reason: "tool_calls" }],
      usage: { prompt_tokens: 5, completion_tokens: 3 } }, { model: "m", origins, parallelToolCalls: true, toolChoice: "auto" });
    expect(response.status).toBe("completed");
    expect(response.model).toBe("m2");
    expect(response.output.map((o) => o.type)).toEqual(["message", "function_call"]);
    expect(response.usage!.total_tokens).toBe(8);
  });
});

describe("ThinkSplitter", () => {
  it("passes content without a leading <think> through untouched, even if it mentions the tag later", () => {
    const s = new ThinkSplitter();
    expect(s.push("Use <think> tags")).toEqual({ reasoning: "", text: "Use <think> tags" });
  });

  it("holds back a possible opening tag until it is decided", () => {
    const s = new ThinkSplitter();
    expect(s.push("<th")).toEqual({ reasoning: "", text: "" });
    expect(s.push("eory>")).toEqual({ reasoning: "", text: "<theory>" });
  });
});
