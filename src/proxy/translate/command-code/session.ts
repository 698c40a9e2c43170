// What the Command Code adapter remembers per Codex session: the URLs the user gave (Layer 3
// explores the newest), and how many Layer 3 recoveries were spent (at most 3; after that the turn
// is surfaced to the user instead of guessing again). Pure; bounded.
import type { InputItem, ResponsesRequest } from "../../responses/types.js";
import { findUrls } from "./parser/urls.js";

export const MAX_STUCK_RECOVERIES = 3;
const MAX_URLS = 20;
const MAX_SESSIONS = 256;

export interface SessionState {
  /** Safe to print in a log line (letters, digits, dashes). */
  readonly id: string;
  /** Oldest first. */
  urls: string[];
  stuckRecoveries: number;
}

/** The Codex session a request belongs to: prompt_cache_key, client_metadata.session_id, or none. */
export function sessionIdOf(request: ResponsesRequest): string {
  const meta = request.client_metadata as Record<string, unknown> | undefined;
  const raw = [request.prompt_cache_key, meta?.session_id, meta?.thread_id].find((v) => typeof v === "string" && v.trim() !== "") as string | undefined;
  if (!raw) return "none";
  // Client-supplied: only a tame form reaches the logs.
  if (/^[A-Za-z0-9-]{1,64}$/.test(raw)) return raw;
  let hash = 0;
  for (const ch of raw) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `h${hash.toString(36)}`;
}

/** URLs from the user's own messages (not Codex's environment context), oldest first. */
export function userUrlsOf(input: readonly InputItem[]): string[] {
  const urls: string[] = [];
  for (const item of input) {
    if ((item.type ?? "message") !== "message" || item.role !== "user") continue;
    const text = typeof item.content === "string" ? item.content : (item.content ?? []).map((p) => p.text ?? "").join("\n");
    if (text.includes("<environment_context>")) continue;
    urls.push(...findUrls(text));
  }
  return urls;
}

export class SessionMemory {
  readonly #sessions = new Map<string, SessionState>();

  /** The session's state, refreshed with the URLs of this request (most recent use kept last). */
  touch(id: string, userUrls: readonly string[]): SessionState {
    let state = this.#sessions.get(id);
    if (state) this.#sessions.delete(id);
    else state = { id, urls: [], stuckRecoveries: 0 };
    this.#sessions.set(id, state);
    for (const url of userUrls) {
      const at = state.urls.indexOf(url);
      if (at >= 0) state.urls.splice(at, 1);
      state.urls.push(url);
    }
    if (state.urls.length > MAX_URLS) state.urls.splice(0, state.urls.length - MAX_URLS);
    while (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    return state;
  }

  get size(): number {
    return this.#sessions.size;
  }
}
