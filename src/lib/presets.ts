// Provider presets: one click fills the backend type, base URL and model list. Pure data.
import { isServedBackend, type BackendType } from "./backend-types.js";

export interface ProviderPreset {
  name: string;
  backendType: BackendType;
  baseUrl: string;
  /** Empty: fetch them from the provider's /models. */
  models: string[];
  /** Where to get a key, shown in the edit dialog. */
  keyHint?: string;
  /** Local servers usually need no key. */
  keyOptional?: boolean;
}

export const CUSTOM_PRESET = "Custom";

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  { name: CUSTOM_PRESET, backendType: "openai-compat", baseUrl: "", models: [] },
  { name: "OpenAI", backendType: "native", baseUrl: "https://api.openai.com/v1", models: ["gpt-4o", "gpt-4o-mini"], keyHint: "platform.openai.com/api-keys" },
  { name: "Anthropic", backendType: "anthropic", baseUrl: "https://api.anthropic.com/v1", models: ["claude-sonnet-4-5", "claude-3-5-haiku-latest"], keyHint: "console.anthropic.com" },
  { name: "DeepSeek", backendType: "openai-compat", baseUrl: "https://api.deepseek.com/v1", models: ["deepseek-chat", "deepseek-reasoner"], keyHint: "platform.deepseek.com" },
  { name: "OpenCode Zen (OpenAI-compatible)", backendType: "openai-compat", baseUrl: "https://opencode.ai/zen/v1", models: ["glm-5.1", "glm-5", "kimi-k2.5", "kimi-k2.6"] },
  { name: "OpenCode Zen (Anthropic)", backendType: "anthropic", baseUrl: "https://opencode.ai/zen/v1", models: ["claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5", "claude-opus-4-1"] },
  { name: "OpenCode Go (OpenAI-compatible)", backendType: "openai-compat", baseUrl: "https://opencode.ai/zen/go/v1", models: ["glm-5.1", "glm-5", "kimi-k2.5", "kimi-k2.6"] },
  { name: "OpenCode Go (Anthropic)", backendType: "anthropic", baseUrl: "https://opencode.ai/zen/go/v1", models: ["minimax-m2.7", "minimax-m2.5"] },
  { name: "Crof.ai", backendType: "openai-compat", baseUrl: "https://crof.ai/v1", models: [] },
  { name: "Ocenza", backendType: "openai-compat", baseUrl: "https://global.ocenza.com/v1", models: ["gpt-oss-120b", "mimo-v2-pro", "mimo-v2.5", "mimo-v2.5-pro"] },
  { name: "MiMo (Xiaomi)", backendType: "openai-compat", baseUrl: "https://token-plan-sgp.xiaomimimo.com/v1", models: ["mimo-v2-omni", "mimo-v2-pro", "mimo-v2.5", "mimo-v2.5-pro"] },
  { name: "NVIDIA NIM", backendType: "openai-compat", baseUrl: "https://integrate.api.nvidia.com/v1", models: [] },
  { name: "Kilo.ai Gateway", backendType: "openai-compat", baseUrl: "https://api.kilo.ai/api/gateway", models: [] },
  { name: "Command Code", backendType: "command-code", baseUrl: "https://api.commandcode.ai", models: ["deepseek/deepseek-v4-flash", "deepseek/deepseek-v4-pro", "anthropic:claude-sonnet-4-6", "anthropic:claude-haiku-4-5-20251001"] },
  { name: "OpenRouter", backendType: "openai-compat", baseUrl: "https://openrouter.ai/api/v1", models: [], keyHint: "openrouter.ai/keys" },
  { name: "Nous Research", backendType: "openai-compat", baseUrl: "https://inference-api.nousresearch.com/v1", models: ["stepfun/step-3.7-flash:free"] },
  { name: "Perplexity", backendType: "openai-compat", baseUrl: "https://api.perplexity.ai", models: ["sonar", "sonar-pro", "sonar-reasoning-pro", "sonar-deep-research"] },
  { name: "Cohere", backendType: "openai-compat", baseUrl: "https://api.cohere.ai/compatibility/v1", models: [] },
  { name: "Hugging Face", backendType: "openai-compat", baseUrl: "https://router.huggingface.co/v1", models: [] },
  { name: "Together AI", backendType: "openai-compat", baseUrl: "https://api.together.xyz/v1", models: [] },
  { name: "Groq", backendType: "openai-compat", baseUrl: "https://api.groq.com/openai/v1", models: [] },
  { name: "Fireworks AI", backendType: "openai-compat", baseUrl: "https://api.fireworks.ai/inference/v1", models: [] },
  { name: "Google Gemini (API Key)", backendType: "openai-compat", baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai", models: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite"], keyHint: "aistudio.google.com/apikey" },
  { name: "Google Gemini (OAuth)", backendType: "gemini-oauth-cli", baseUrl: "https://cloudcode-pa.googleapis.com", models: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview"] },
  { name: "Google Antigravity (OAuth)", backendType: "gemini-oauth-antigravity", baseUrl: "https://cloudcode-pa.googleapis.com", models: ["antigravity-gemini-3-flash", "antigravity-gemini-3-pro", "antigravity-gemini-3.1-pro", "antigravity-claude-sonnet-4-6"] },
  { name: "OpenAdapter", backendType: "openai-compat", baseUrl: "https://api.openadapter.in/v1", models: ["0G-DeepSeek-V3", "0G-DeepSeek-v4-Pro", "0G-GLM-5", "0G-GLM-5.1"] },
  { name: "Z.ai Coding", backendType: "openai-compat", baseUrl: "https://api.z.ai/api/coding/paas/v4", models: ["glm-5.1", "glm-5", "glm-5v-turbo", "glm-4.7"] },
  { name: "Ollama (local)", backendType: "openai-compat", baseUrl: "http://localhost:11434/v1", models: [], keyOptional: true },
  { name: "LM Studio (local)", backendType: "openai-compat", baseUrl: "http://127.0.0.1:1234/v1", models: [], keyOptional: true },
  { name: "vLLM / OpenAI-Compatible (self-hosted)", backendType: "openai-compat", baseUrl: "http://localhost:8000/v1", models: [], keyOptional: true },
];

/**
 * The presets the edit dialog offers: only those whose backend this version translates, so none of
 * them answers 501. (Kiro and Freebuff are not presets at all: the original's documents do not
 * describe their APIs. Their backend types stay valid in endpoints.json.)
 */
export function offeredPresets(): ProviderPreset[] {
  return PROVIDER_PRESETS.filter((p) => isServedBackend(p.backendType));
}

export function findPreset(name: string | undefined | null): ProviderPreset | undefined {
  return PROVIDER_PRESETS.find((p) => p.name === name);
}
