// The command-code backend: Command Code's `POST {base}/alpha/generate` (B.7). Requests carry the
// client version header Command Code insists on (without it: 403 upgrade_required); replies are read
// line by line and their text-encoded tool calls recovered by the parser chain.
import type { InputItem, Json, ResponsesRequest, ToolSpec } from "../../responses/types.js";
import { capsKey } from "../../caps.js";
import { bearerHeaders, FORGET_NOTHING, type AdapterContext, type BackendAdapter, type BackendDefinition, type UpstreamCall } from "../contract.js";
import { adaptiveCall } from "../quirk-learning.js";
import { lessonsFrom, NO_TEMPERATURE, withLessons } from "./quirks.js";
import { CommandCodeReply } from "./reply.js";
import { responsesToCommandCode } from "./request.js";
import { SessionMemory, sessionIdOf, userUrlsOf } from "./session.js";
import { ToolIndex } from "./tool-fit.js";

/** The Command Code client version this proxy presents (x-command-code-version). */
export const COMMAND_CODE_VERSION = "0.10.7";
/** Some Command Code gateways sit behind Cloudflare, which turns away non-browser agents (B10). */
export const BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

/** A v4-shaped UUID; derived from the session id when there is one, so one Codex session is one thread. */
export function threadIdFor(session: string, random: () => number = Math.random): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(session)) return session.toLowerCase();
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The message Codex shows for a 403 upgrade_required (and the B4 line in proxy.log). */
export function explainCommandCodeError(status: number, message: string, code: string | null, version = COMMAND_CODE_VERSION): string | null {
  if (status === 403 && (code === "upgrade_required" || /upgrade[_ ]required/i.test(message)))
    return `upgrade_required: Command Code refused client version ${version} (sent as x-command-code-version); ` +
      `this proxy needs an update for the current Command Code API. Provider said: ${message}`;
  return null;
}

export function commandCodeAdapter(context: Partial<AdapterContext>, now: () => Date = () => new Date()): BackendAdapter {
  const sessions = new SessionMemory();
  const debug = context.debugLog ?? (() => {});
  const memory = context.quirks ?? FORGET_NOTHING;
  return {
    name: "command-code",
    prepare(request: ResponsesRequest, input: InputItem[]) {
      const sessionId = sessionIdOf(request);
      const session = sessions.touch(sessionId, userUrlsOf(input));
      const { body, notes } = responsesToCommandCode(request, input, {
        threadId: threadIdFor(sessionId),
        date: now().toISOString().slice(0, 10),
      });
      const inputTools = input.filter((i) => i?.type === "additional_tools").flatMap((i) => (Array.isArray(i.tools) ? (i.tools as ToolSpec[]) : []));
      const tools = new ToolIndex([...(request.tools ?? []), ...inputTools]);
      const key = capsKey(context.targetUrl ?? "", body.params.model);
      const translator = () => new CommandCodeReply({
        model: request.model ?? body.params.model, tools, parallelToolCalls: request.parallel_tool_calls ?? true,
        toolChoice: (request.tool_choice ?? "auto") as Json, session, debug,
      });
      return adaptiveCall({
        memory,
        key,
        build: (lessons): UpstreamCall => ({
          path: "alpha/generate",
          framing: "json-lines",
          body: withLessons(body, lessons),
          headers: { "x-command-code-version": COMMAND_CODE_VERSION, Accept: "text/event-stream, application/json", "User-Agent": BROWSER_USER_AGENT },
          notes,
          explainError: (status, message, code) => explainCommandCodeError(status, message, code),
          translator,
        }),
        // A 400/422 that names a parameter (the original's ErrorAnalyzer): adjust and send again; kept
        // for the model once the adjusted request was answered.
        lessons: (_status, message, lessons) => lessonsFrom(message, withLessons(body, lessons)),
        describe: (learned) => {
          const lowered = learned.filter((l) => l !== NO_TEMPERATURE).map((l) => l.replace(":", " lowered to "));
          return { dropped: learned.filter((l) => l === NO_TEMPERATURE), reason: lowered.length ? `${lowered.join(", ")} (remembered for this model once answered)` : undefined };
        },
      });
    },
  };
}

export const commandCodeBackend: BackendDefinition = {
  headers: bearerHeaders,
  modelsPath: "models",
  create: (context) => commandCodeAdapter(context),
};
