// Real requests Codex 0.169.0 sent, kept as test vectors (authorization redacted).
import type { ResponsesRequest } from "../../src/proxy/responses/types.js";
import { readRepoFile } from "./repo.js";

export function captureBody(name: string): ResponsesRequest {
  return JSON.parse(readRepoFile(`test/fixtures/codex-captures/${name}`)).body as ResponsesRequest;
}

export const FIRST_TURN = "codex-request-1-fake-model-first-turn.json";
export const FOLLOWUP_FUNCTION = "codex-request-2-followup-function_call_output.json";
export const FOLLOWUP_APPLY_PATCH = "codex-request-followup-custom_tool_call_output-apply_patch.json";
export const GPT55 = "codex-request-gpt-5.5.json";
export const RESPONSES_LITE = "codex-request-responses-lite-gpt-6.1-sol.json";
