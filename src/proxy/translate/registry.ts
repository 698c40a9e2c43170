// One map: backend type → its definition (auth headers, models path, adapter). Adding a backend is one
// folder under translate/ and one line here; lib/backend-types.ts names it as served.
import type { ServedBackend } from "../../lib/backend-types.js";
import { anthropicBackend } from "./anthropic/adapter.js";
import { commandCodeBackend } from "./command-code/adapter.js";
import type { BackendDefinition } from "./contract.js";
import { antigravityBackend, geminiCliBackend } from "./gemini/code-assist.js";
import { nativeBackend } from "./native/adapter.js";
import { openAiCompatBackend } from "./openai-compat/adapter.js";

export const BACKENDS = {
  "openai-compat": openAiCompatBackend,
  native: nativeBackend,
  anthropic: anthropicBackend,
  "command-code": commandCodeBackend,
  "gemini-oauth-cli": geminiCliBackend,
  "gemini-oauth-antigravity": antigravityBackend,
} as const satisfies Record<ServedBackend, BackendDefinition>;

/** The definition of a served backend, or null for a backend type this version does not serve. */
export function backendDefinition(backend: string): BackendDefinition | null {
  return Object.prototype.hasOwnProperty.call(BACKENDS, backend) ? BACKENDS[backend as ServedBackend] : null;
}
