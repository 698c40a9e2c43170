import { responsesToChat, type ChatMessage } from "../../src/proxy/translate/chat/request.js";
import { TranslationError } from "../../src/proxy/translate/contract.js";
import { captureBody, FIRST_TURN, FOLLOWUP_APPLY_PATCH, FOLLOWUP_FUNCTION, GPT55, RESPONSES_LITE } from "../helpers/captures.js";

describe("Responses → Chat Completions request (Codex captures)", () => {
  it("turns Codex's first turn into one system message and two user messages", () => {
    const { body, notes } = responsesToChat(captureBody(FIRST_TURN));
    expect(body.model).toBe("fake-model");
    expect(body.stream).toBeTrue();
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user", "user"]);
    expect(body.messages[0].content as string).toContain("You are a coding agent running in the Codex CLI");
    expect(body.messages[0].content as string).toContain("<skills_instructions>");
    expect(body.messages[2].content).toBe("run echo");
    expect(notes).toContain("tool dropped: web_search (hosted tool; this provider cannot run it)");
  });

  it("keeps function tools without `strict`, flattens the multi_agent namespace and drops hosted tools", () => {
    const { body, origins } = responsesToChat(captureBody(FIRST_TURN));
    const names = body.tools!.map((t) => t.function.name);
    expect(names).toContain("exec_command");
    expect(names).toContain("multi_agent_v1__spawn_agent");
    expect(names).not.toContain("web_search");
    expect(body.tools!.every((t) => !("strict" in t.function))).toBeTrue();
    expect(origins.get("multi_agent_v1__spawn_agent")).toEqual({ kind: "function", name: "spawn_agent", namespace: "multi_agent_v1" });
    expect(body.tool_choice as unknown).toBe("auto");
    expect(body.parallel_tool_calls).toBeTrue();
    const exec = body.tools!.find((t) => t.function.name === "exec_command")!;
    expect((exec.function.parameters as any).properties.cmd.type).toBe("string");
  });

  it("sends `strict` only when the provider accepts it", () => {
    const { body } = responsesToChat(captureBody(FIRST_TURN), { strictTools: true, includeUsage: true, echoReasoning: true });
    expect(body.tools!.find((t) => t.function.name === "exec_command")!.function.strict).toBeFalse();
  });

  it("pairs function_call + function_call_output into an assistant tool_calls message and a tool message", () => {
    const request = captureBody(FOLLOWUP_FUNCTION);
    const call = (request.input as any[]).find((i) => i.type === "function_call");
    const { body } = responsesToChat(request);
    const assistant = body.messages[body.messages.length - 2];
    const tool = body.messages[body.messages.length - 1];
    expect(assistant).toEqual(jasmine.objectContaining({ role: "assistant", content: null }));
    expect(assistant.tool_calls).toEqual([{ id: call.call_id, type: "function", function: { name: "exec_command", arguments: call.arguments } }]);
    expect(tool.role).toBe("tool");
    expect(tool.tool_call_id).toBe(call.call_id);
    expect(tool.content as string).toContain("Process exited with code 0");
  });

  it("maps the freeform apply_patch tool to a one-string-argument function and its history back", () => {
    const request = captureBody(FOLLOWUP_APPLY_PATCH);
    const { body, origins, notes } = responsesToChat(request);
    const applyPatch = body.tools!.find((t) => t.function.name === "apply_patch")!;
    expect(applyPatch.function.parameters as unknown).toEqual(jasmine.objectContaining({ required: ["input"] }));
    expect(applyPatch.function.description).toContain("*** Begin Patch");
    expect(origins.get("apply_patch")!.kind).toBe("custom");
    const custom = (request.input as any[]).find((i) => i.type === "custom_tool_call");
    const assistant = body.messages.find((m) => m.tool_calls)!;
    expect(JSON.parse(assistant.tool_calls![0].function.arguments)).toEqual({ input: custom.input });
    expect(body.messages[body.messages.length - 1].content as string).toContain("Success. Updated the following files");
    expect(notes).toContain("tool dropped: tool_search (hosted tool; this provider cannot run it)");
  });

  it("carries reasoning effort and text format of a gpt-5.5 request", () => {
    const request = captureBody(GPT55);
    request.text = { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } };
    const { body } = responsesToChat(request);
    expect(body.reasoning_effort).toBe("medium");
    expect(body.response_format as unknown).toEqual({ type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } });
  });
});

describe("Responses lite (gpt-6.1-sol capture)", () => {
  it("takes the tools from the additional_tools input item, including a freeform tool inside a namespace", () => {
    const { body, origins } = responsesToChat(captureBody(RESPONSES_LITE));
    const names = body.tools!.map((t) => t.function.name);
    expect(names).toContain("functions__exec");
    expect(names).toContain("clock__sleep");
    expect(names).toContain("collaboration__spawn_agent");
    expect(origins.get("functions__exec")).toEqual({ kind: "custom", name: "exec", namespace: "functions" });
    expect(body.messages.every((m) => m.role !== "tool")).toBeTrue();
    expect(body.messages[0].role).toBe("system");
  });
});

describe("Responses → Chat Completions request (edge cases)", () => {
  const base = { model: "m", stream: true };

  it("puts `instructions` first and accepts a plain string input", () => {
    const { body } = responsesToChat({ ...base, instructions: "Be brief.", input: "hello" });
    expect(body.messages).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "hello" }]);
  });

  it("sends images as image_url parts and text-only content as a string", () => {
    const { body } = responsesToChat({ ...base, input: [{ type: "message", role: "user", content: [
      { type: "input_text", text: "what is this?" }, { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "low" }] }] });
    expect(body.messages[0].content).toEqual([{ type: "text", text: "what is this?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } }]);
  });

  it("maps max_output_tokens, temperature, top_p and a named tool_choice", () => {
    const { body } = responsesToChat({ ...base, input: "x", max_output_tokens: 77, temperature: 0.2, top_p: 0.9,
      tools: [{ type: "function", name: "f", parameters: { type: "object" } }], tool_choice: { type: "function", name: "f" } });
    expect(body.max_tokens).toBe(77);
    expect(body.temperature).toBe(0.2);
    expect(body.top_p).toBe(0.9);
    expect(body.tool_choice as unknown).toEqual({ type: "function", function: { name: "f" } });
  });

  it("drops tools with empty or \"null\" names and omits tool_choice when no tool is left", () => {
    const { body, notes } = responsesToChat({ ...base, input: "x", tool_choice: "auto", parallel_tool_calls: true,
      tools: [{ type: "function", name: "null" }, { type: "function", name: "  " }, { type: "web_search" }] });
    expect(body.tools).toBeUndefined();
    expect(body.tool_choice).toBeUndefined();
    expect(body.parallel_tool_calls).toBeUndefined();
    expect(notes.length).toBe(3);
  });

  it("merges parallel calls into one assistant message, after the text of the same turn", () => {
    const { body } = responsesToChat({ ...base, input: [
      { type: "message", role: "user", content: "go" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Running both." }] },
      { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
      { type: "function_call", call_id: "b", name: "g", arguments: "{\"x\":1}" },
      { type: "function_call_output", call_id: "b", output: "B" },
      { type: "function_call_output", call_id: "a", output: "A" },
    ] });
    const roles = body.messages.map((m) => m.role);
    expect(roles).toEqual(["user", "assistant", "tool", "tool"]);
    expect(body.messages[1].content).toBe("Running both.");
    expect(body.messages[1].tool_calls!.map((c) => c.id)).toEqual(["a", "b"]);
    expect(body.messages.slice(2).map((m: ChatMessage) => m.tool_call_id)).toEqual(["a", "b"]);
  });

  it("answers an interrupted call with a placeholder and turns an orphan output into user text", () => {
    const { body, notes } = responsesToChat({ ...base, input: [
      { type: "function_call", call_id: "lost", name: "f", arguments: "{}" },
      { type: "message", role: "user", content: "never mind" },
      { type: "function_call_output", call_id: "ghost", output: "?" },
    ] });
    expect(body.messages.map((m) => m.role)).toEqual(["assistant", "tool", "user", "user"]);
    expect(body.messages[1].tool_call_id).toBe("lost");
    expect(body.messages[3].content as string).toContain("ghost");
    expect(notes.length).toBe(2);
  });

  it("echoes the previous reasoning on the assistant tool-call message", () => {
    const { body } = responsesToChat({ ...base, input: [
      { type: "message", role: "user", content: "go" },
      { type: "reasoning", summary: [{ type: "summary_text", text: "I should list files." }] },
      { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "a", output: "ok" },
    ] });
    expect(body.messages[1].reasoning_content).toBe("I should list files.");
  });

  it("rejects requests it cannot translate with a TranslationError", () => {
    expect(() => responsesToChat({ input: "x" })).toThrowError(TranslationError, /'model' is required/);
    expect(() => responsesToChat({ model: "m", input: [{ type: "message", role: "robot", content: "x" }] })).toThrowError(TranslationError, /unknown role/);
    expect(() => responsesToChat({ model: "m", input: [{ type: "function_call_output", output: "x" }] })).toThrowError(TranslationError, /call_id/);
    expect(() => responsesToChat({ model: "m", input: 42 as any })).toThrowError(TranslationError, /'input' must be/);
  });
});
