// The gemini-oauth-cli and gemini-oauth-antigravity backends: Gemini through Google's Code Assist API
// (cloudcode-pa.googleapis.com/v1internal), authenticated with a Google login instead of a key, as the
// Gemini CLI and Antigravity do. Requests are the Gemini ones of request.ts in Code Assist's envelope
// {model, project, user_prompt_id, request}; the project comes from loadCodeAssist (onboardUser for a
// new account) and is cached per account.
import { randomId } from "../../../lib/ids.js";
import { TOKEN_URL_ENV } from "../../../lib/google-oauth.js";
import { APP_VERSION } from "../../../lib/version.js";
import type { InputItem, Json, ResponsesRequest } from "../../responses/types.js";
import { AdapterError, joinUrl, type AdapterContext, type BackendAdapter, type BackendDefinition, type UpstreamCall } from "../contract.js";
import { GoogleLogin } from "./google-login.js";
import { GeminiReplyTranslator } from "./reply.js";
import { responsesToGemini, type GeminiRequest, type GeminiTranslation } from "./request.js";

export type CodeAssistFlavour = "gemini-cli" | "antigravity";

export const CODE_ASSIST_URL = "https://cloudcode-pa.googleapis.com";
/** Antigravity falls back to the daily endpoint when production is overloaded or lacks the model. */
export const ANTIGRAVITY_FALLBACK_URL = "https://daily-cloudcode-pa.googleapis.com";
const API = "v1internal";
const CONTINUE_PROMPT = "Your previous answer was cut off by the output limit. Continue exactly where it stopped, without repeating anything.";

interface FlavourSpec {
  backend: "gemini-oauth-cli" | "gemini-oauth-antigravity";
  ideType: string;
  headers: Record<string, string>;
  /** The model id Code Assist knows (presets name Antigravity's models "antigravity-…"). */
  upstreamModel(model: string): string;
  envelope(base: Record<string, unknown>, request: GeminiRequest & { session_id?: string }, sessionId: string | undefined): Record<string, unknown>;
}

const FLAVOURS: Record<CodeAssistFlavour, FlavourSpec> = {
  "gemini-cli": {
    backend: "gemini-oauth-cli",
    ideType: "IDE_UNSPECIFIED",
    headers: { "User-Agent": `GeminiCLI/${APP_VERSION} (linux; x64) codex-launcher` },
    upstreamModel: (m) => m,
    envelope: (base, request, sessionId) => ({ ...base, user_prompt_id: randomId("prompt"), request: { ...request, ...(sessionId ? { session_id: sessionId } : {}) } }),
  },
  antigravity: {
    backend: "gemini-oauth-antigravity",
    ideType: "ANTIGRAVITY",
    headers: {
      "User-Agent": "antigravity/1.11.5 linux/amd64",
      "X-Goog-Api-Client": "google-cloud-sdk vscode_cloudshelleditor/0.1",
      "Client-Metadata": JSON.stringify({ ideType: "ANTIGRAVITY", platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI" }),
    },
    upstreamModel: (m) => m.replace(/^antigravity-/, ""),
    envelope: (base, request, sessionId) => ({ ...base, userAgent: "antigravity", requestType: "agent", requestId: randomId("agent"),
      request: { ...request, ...(sessionId ? { sessionId } : {}) } }),
  },
};

interface LoadCodeAssistReply {
  currentTier?: { id?: string } | null;
  cloudaicompanionProject?: string | { id?: string } | null;
  allowedTiers?: { id?: string; isDefault?: boolean; userDefinedCloudaicompanionProject?: boolean }[];
}

interface Operation {
  name?: string;
  done?: boolean;
  response?: { cloudaicompanionProject?: { id?: string } | string };
  error?: { message?: string };
}

function projectId(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { id?: unknown }).id === "string") return (value as { id: string }).id;
  return "";
}

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string };
    return (typeof body.error === "string" ? body.error : body.error?.message) ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

export interface CodeAssistOptions {
  /** Pause between onboarding polls (Google's long-running operation). */
  pollMs?: number;
  maxPolls?: number;
}

export class CodeAssistAdapter implements BackendAdapter {
  readonly name: string;
  readonly #spec: FlavourSpec;
  readonly #login: GoogleLogin;
  readonly #projects = new Map<string, Promise<string>>();
  readonly #now: () => number;

  constructor(flavour: CodeAssistFlavour, private readonly ctx: AdapterContext, private readonly options: CodeAssistOptions = {}) {
    this.#spec = FLAVOURS[flavour];
    this.name = this.#spec.backend;
    this.#now = ctx.now ?? Date.now;
    this.#login = new GoogleLogin({ file: ctx.login, http: ctx.http, tokenUrl: ctx.env?.(TOKEN_URL_ENV), env: ctx.env, now: this.#now,
      log: (line) => ctx.log?.(line), secret: (value) => ctx.secret?.(value) });
  }

  async prepare(request: ResponsesRequest, input: InputItem[], stream: boolean): Promise<UpstreamCall> {
    const model = this.#spec.upstreamModel(typeof request.model === "string" ? request.model : "");
    // Mapping first: a request Gemini cannot take is the client's error, whatever the login's state.
    const translation = responsesToGemini({ ...request, input, stream }, model);
    const project = await this.#project(await this.#login.accessToken());
    // Asked again: the project lookup may have renewed a token Code Assist refused.
    const token = await this.#login.accessToken();
    const sessionId = typeof request.prompt_cache_key === "string" ? request.prompt_cache_key : undefined;
    const body = this.#spec.envelope({ model, project }, translation.request, sessionId);
    return this.#call(body, token, stream, translation, request, false);
  }

  /** One Code Assist call with its reply translator; `renewed` after the one refresh a 401 allows. */
  #call(body: Record<string, unknown>, token: string, stream: boolean, translation: GeminiTranslation, request: ResponsesRequest,
    renewed: boolean, url?: string): UpstreamCall {
    const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
    const path = `${API}:${method}`;
    const call: UpstreamCall = {
      path,
      ...(url ? { url: `${url}/${path}` } : {}),
      body,
      headers: { ...this.#spec.headers, Authorization: `Bearer ${token}` },
      notes: translation.notes,
      translator: () => new GeminiReplyTranslator({
        context: { model: typeof request.model === "string" ? request.model : translation.model, origins: translation.origins,
          parallelToolCalls: request.parallel_tool_calls ?? true, toolChoice: (request.tool_choice ?? "auto") as Json },
        continueWith: (textSoFar) => this.#call(this.#continued(body, textSoFar), this.#login.current || token, stream, translation, request, false, url),
      }),
      retryAfterError: async (status) => {
        if (status === 401 && !renewed) {
          const fresh = await this.#login.renewAfterRejection(token);
          return { call: this.#call(body, fresh, stream, translation, request, true, url), dropped: [], reason: "access token refreshed" };
        }
        // Antigravity: production overloaded or without the model → the daily endpoint, once.
        if (this.#spec.backend === "gemini-oauth-antigravity" && !url && [404, 429, 500, 502, 503, 504].includes(status) &&
          this.ctx.targetUrl.replace(/\/+$/, "") === CODE_ASSIST_URL)
          return { call: this.#call(body, token, stream, translation, request, renewed, ANTIGRAVITY_FALLBACK_URL), dropped: [], reason: `falling back to ${ANTIGRAVITY_FALLBACK_URL}` };
        return null;
      },
    };
    return call;
  }

  /** The same request with the answer so far as a model turn and a request to go on. */
  #continued(body: Record<string, unknown>, textSoFar: string): Record<string, unknown> {
    const inner = body.request as GeminiRequest;
    const contents = [...inner.contents, { role: "model" as const, parts: [{ text: textSoFar }] }, { role: "user" as const, parts: [{ text: CONTINUE_PROMPT }] }];
    const next: Record<string, unknown> = { ...body, request: { ...inner, contents } };
    if ("user_prompt_id" in body) next.user_prompt_id = randomId("prompt");
    if ("requestId" in body) next.requestId = randomId("agent");
    return next;
  }

  /** The Code Assist project of this account: loadCodeAssist, onboarding a new account; cached per account. */
  #project(token: string): Promise<string> {
    const configured = this.ctx.env?.("GOOGLE_CLOUD_PROJECT") || this.ctx.env?.("GOOGLE_CLOUD_PROJECT_ID") || "";
    const key = `${this.#login.account}|${configured}`;
    let found = this.#projects.get(key);
    if (!found) {
      found = this.#discover(token, configured);
      this.#projects.set(key, found);
      // A failed lookup is not cached: the next request asks again.
      found.catch(() => this.#projects.delete(key));
    }
    return found;
  }

  async #discover(token: string, configured: string): Promise<string> {
    const metadata = { ideType: this.#spec.ideType, platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI", ...(configured ? { duetProject: configured } : {}) };
    const loaded = await this.#post("loadCodeAssist", { ...(configured ? { cloudaicompanionProject: configured } : {}), metadata }, token) as LoadCodeAssistReply;
    if (loaded.currentTier) {
      const project = projectId(loaded.cloudaicompanionProject) || configured;
      if (!project) throw new AdapterError(403, "project_required", "This Google account has no Code Assist project; set GOOGLE_CLOUD_PROJECT for the proxy (see the Gemini CLI's auth docs).");
      this.ctx.log?.(`code assist: using project ${project}`);
      return project;
    }
    // A new account: onboard it to the default tier (the free tier needs no project of its own).
    const tier = loaded.allowedTiers?.find((t) => t.isDefault) ?? { id: "legacy-tier", userDefinedCloudaicompanionProject: true };
    const free = tier.id === "free-tier";
    let op = await this.#post("onboardUser", { tierId: tier.id, ...(free || !configured ? {} : { cloudaicompanionProject: configured }), metadata }, token) as Operation;
    for (let polls = 0; !op.done && op.name && polls < (this.options.maxPolls ?? 15); polls++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 2000));
      op = await this.#request("GET", `${API}/${op.name}`, undefined, token) as Operation;
    }
    if (op.error) throw new AdapterError(502, "onboarding_failed", `Code Assist onboarding failed: ${op.error.message ?? "unknown error"}`);
    const project = projectId(op.response?.cloudaicompanionProject) || configured;
    if (!project) throw new AdapterError(502, "onboarding_failed", op.done ? "Code Assist onboarding finished without a project; set GOOGLE_CLOUD_PROJECT" : "Code Assist onboarding did not finish; try again");
    this.ctx.log?.(`code assist: onboarded to ${tier.id}, project ${project}`);
    return project;
  }

  #post(method: string, body: unknown, token: string): Promise<unknown> {
    return this.#request("POST", `${API}:${method}`, body, token);
  }

  async #request(verb: "GET" | "POST", path: string, body: unknown, token: string, renewed = false): Promise<unknown> {
    const { http } = this.ctx;
    if (!http) throw new AdapterError(503, "no_http", "this proxy cannot reach Code Assist");
    let reply: { status: number; text: string };
    try {
      reply = await http({ method: verb, url: joinUrl(this.ctx.targetUrl, path), headers: { ...this.#spec.headers, Authorization: `Bearer ${token}` },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}), timeoutMs: 30000 });
    } catch (e) {
      throw new AdapterError(502, "project_lookup_failed", `Code Assist could not be reached (${(e as Error).message})`);
    }
    if (reply.status === 401 && !renewed) return this.#request(verb, path, body, await this.#login.renewAfterRejection(token), true);
    if (reply.status >= 400)
      throw new AdapterError(reply.status === 429 || reply.status >= 500 ? 503 : 502, "project_lookup_failed",
        `Code Assist ${path.replace(`${API}:`, "")} failed: HTTP ${reply.status}: ${errorMessage(reply.text)}`);
    try {
      return JSON.parse(reply.text || "{}");
    } catch {
      throw new AdapterError(502, "project_lookup_failed", `Code Assist ${path} answered something that is not JSON`);
    }
  }
}

function definition(flavour: CodeAssistFlavour): BackendDefinition {
  return {
    // The login, not a key, authenticates: each call carries its own Bearer access token.
    headers: () => ({}),
    // Code Assist has no model list; the preset's models are used.
    modelsPath: "",
    create: (ctx) => new CodeAssistAdapter(flavour, ctx),
  };
}

export const geminiCliBackend = definition("gemini-cli");
export const antigravityBackend = definition("antigravity");
