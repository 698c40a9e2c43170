import { AnthropicEvents } from "../../src/proxy/translate/anthropic/events.js";
import { responsesToAnthropic } from "../../src/proxy/translate/anthropic/request.js";
import { DEFAULT_CHAT_OPTIONS } from "../../src/proxy/translate/chat/request.js";
import { captureBody, FIRST_TURN, FOLLOWUP_APPLY_PATCH, FOLLOWUP_FUNCTION } from "../helpers/captures.js";

describe("Responses → Anthropic Messages request", () => {
  it("puts the developer messages in a cached system prompt and keeps turns alternating", () => {
    const { body } = responsesToAnthropic(captureBody(FIRST_TURN), DEFAULT_CHAT_OPTIONS);
    expect(body.system![0].type).toBe("text");
    expect((body.system![body.system!.length - 1] as any).cache_control).toEqual({ type: "ephemeral" });
    expect(body.messages.map((m) => m.role)).toEqual(["user"]);
    expect(body.messages[0].content.map((b: any) => b.text)).toEqual([jasmine.stringContaining("<environment_context>"), "run echo"]);
    expect(body.max_tokens).toBe(8192);
    expect(body.tools!.find((t) => t.name === "exec_command")!.input_schema).toEqual(jasmine.objectContaining({ type: "object" }));
    expect(body.tool_choice).toEqual({ type: "auto" });
  });

  it("maps a tool round trip to tool_use and tool_result blocks", () => {
    const request = captureBody(FOLLOWUP_FUNCTION);
    const call = (request.input as any[]).find((i) => i.type === "function_call");
    const { body } = responsesToAnthropic(request, DEFAULT_CHAT_OPTIONS);
    const [assistant, result] = body.messages.slice(-2);
    expect(assistant).toEqual({ role: "assistant", content: [{ type: "tool_use", id: call.call_id, name: "exec_command", input: JSON.parse(call.arguments) }] });
    expect(result.role).toBe("user");
    expect(result.content[0]).toEqual(jasmine.objectContaining({ type: "tool_result", tool_use_id: call.call_id }));
  });

  it("sends apply_patch as a one-string tool and its history as {input}", () => {
    const request = captureBody(FOLLOWUP_APPLY_PATCH);
    const custom = (request.input as any[]).find((i) => i.type === "custom_tool_call");
    const { body } = responsesToAnthropic(request, DEFAULT_CHAT_OPTIONS);
    expect(body.tools!.find((t) => t.name === "apply_patch")!.input_schema).toEqual(jasmine.objectContaining({ required: ["input"] }));
    const use = body.messages.flatMap((m) => m.content).find((b: any) => b.type === "tool_use") as any;
    expect(use.input).toEqual({ input: custom.input });
  });

  it("turns data: URLs into base64 image blocks", () => {
    const { body } = responsesToAnthropic({ model: "m", input: [{ type: "message", role: "user", content: [
      { type: "input_text", text: "see" }, { type: "input_image", image_url: "data:image/png;base64,QUJD" }] }] }, DEFAULT_CHAT_OPTIONS);
    expect(body.messages[0].content[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: "QUJD" } });
  });
});

describe("Anthropic events → chat chunks", () => {
  it("maps text, thinking, tool input, stop reason and usage (cache reads included)", () => {
    const e = new AnthropicEvents();
    expect(e.event({ type: "message_start", message: { model: "claude-x", usage: { input_tokens: 10, cache_read_input_tokens: 5 } } })).toEqual({ model: "claude-x" });
    expect(e.event({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hm" } })!.choices![0].delta!.reasoning_content).toBe("hm");
    expect(e.event({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } })!.choices![0].delta!.content).toBe("Hi");
    expect(e.event({ type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "t1", name: "exec_command", input: {} } })!.choices![0].delta!.tool_calls)
      .toEqual([{ index: 2, id: "t1", type: "function", function: { name: "exec_command", arguments: "" } }]);
    expect(e.event({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "{\"cmd\":" } })!.choices![0].delta!.tool_calls![0].function!.arguments).toBe("{\"cmd\":");
    expect(e.event({ type: "ping" })).toBeNull();
    const end = e.event({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 7 } })!;
    expect(end.choices![0].finish_reason).toBe("tool_calls");
    expect(end.usage).toEqual({ prompt_tokens: 15, completion_tokens: 7, total_tokens: 22, prompt_tokens_details: { cached_tokens: 5 } });
    expect(e.done).toBeFalse();
    e.event({ type: "message_stop" });
    expect(e.done).toBeTrue();
    expect(e.event({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })!.error).toEqual(jasmine.objectContaining({ message: "Overloaded" }));
  });
});
