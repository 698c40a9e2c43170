// A scriptable fake Command Code server on 127.0.0.1 (a real libsoup server in the test process):
// `POST /alpha/generate` answers with the model text as a stream of JSON lines (raw, or as SSE `data:`
// lines), ending with finish-step usage. Like the real service it refuses a request without
// `x-command-code-version` (or with a version below `minVersion`) with 403 upgrade_required.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { statusPhrase } from "../../src/proxy/errors.js";

export type CcReply =
  | { kind: "text"; text: string; format?: "json-lines" | "sse"; chunkSize?: number; usage?: { input: number; output: number }; delayMs?: number }
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Lines written exactly as given (each followed by a newline). */
  | { kind: "lines"; lines: string[]; contentType?: string };

export interface CcRecorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
}

const encoder = new TextEncoder();

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split(".").map(Number);
  const b = want.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** The stream lines of one answer: text deltas, then finish-step with usage and finish. */
export function commandCodeLines(text: string, chunkSize = 7, usage = { input: 120, output: 30 }): string[] {
  const lines: string[] = [JSON.stringify({ type: "start" })];
  for (let i = 0; i < text.length; i += chunkSize) lines.push(JSON.stringify({ type: "text-delta", text: text.slice(i, i + chunkSize) }));
  lines.push(JSON.stringify({ type: "finish-step", finishReason: "stop", usage: { inputTokens: usage.input, outputTokens: usage.output } }));
  lines.push(JSON.stringify({ type: "finish", finishReason: "stop" }));
  return lines;
}

export class FakeCommandCode {
  readonly requests: CcRecorded[] = [];
  readonly script: CcReply[] = [];
  readonly #server = new Soup.Server({});
  #fallback: CcReply = { kind: "text", text: "ok" };
  /** Plain GET pages (e.g. a Gitea API on loopback for the explore command). */
  readonly pages = new Map<string, string>();
  /** Like a model with a smaller output limit: a larger params.max_tokens gets a 400 naming the limit. */
  maxTokensLimit: number | null = null;
  /** The lowest x-command-code-version accepted. */
  minVersion = "0.0.1";
  port = 0;

  constructor() {
    this.#server.add_handler(null, (_s, msg, path) => this.#handle(msg, path));
    this.#server.listen(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), 0 as Soup.ServerListenOptions);
    this.port = this.#server.get_uris()[0].get_port();
  }

  /** The base URL, as in the Command Code preset (no /v1). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  then(...replies: CcReply[]): this {
    this.script.push(...replies);
    return this;
  }

  otherwise(reply: CcReply): this {
    this.#fallback = reply;
    return this;
  }

  generateRequests(): CcRecorded[] {
    return this.requests.filter((r) => r.path === "/alpha/generate");
  }

  stop(): void {
    this.#server.disconnect();
  }

  #handle(msg: Soup.ServerMessage, path: string): void {
    const headers: Record<string, string> = {};
    msg.get_request_headers().foreach((n, v) => (headers[n.toLowerCase()] = v));
    const raw = new TextDecoder().decode(msg.get_request_body().flatten().toArray());
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      // recorded as text
    }
    this.requests.push({ method: msg.get_method(), path, headers, body });
    const page = msg.get_method() === "GET" ? this.pages.get(path) : undefined;
    if (page !== undefined) {
      msg.set_status(200, null);
      msg.set_response("text/plain", Soup.MemoryUse.COPY, encoder.encode(page));
      return;
    }
    if (path !== "/alpha/generate" || msg.get_method() !== "POST") {
      this.#json(msg, 404, { error: { message: `no route ${msg.get_method()} ${path}` } });
      return;
    }
    const version = headers["x-command-code-version"];
    if (!version || !versionAtLeast(version, this.minVersion)) {
      this.#json(msg, 403, { error: { code: "upgrade_required", message: `Please upgrade Command Code to ${this.minVersion} or newer.` } });
      return;
    }
    const asked = (body as { params?: { max_tokens?: number } } | null)?.params?.max_tokens ?? 0;
    if (this.maxTokensLimit !== null && asked > this.maxTokensLimit) {
      this.#json(msg, 400, { error: { code: "invalid_request", message: `max_tokens: ${asked} exceeds this model's limit of ${this.maxTokensLimit}` } });
      return;
    }
    void this.#reply(msg, this.script.shift() ?? this.#fallback);
  }

  #json(msg: Soup.ServerMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
    msg.set_status(status, statusPhrase(status));
    for (const [k, v] of Object.entries(headers)) msg.get_response_headers().replace(k, v);
    msg.set_response("application/json", Soup.MemoryUse.COPY, encoder.encode(JSON.stringify(body)));
  }

  async #reply(msg: Soup.ServerMessage, reply: CcReply): Promise<void> {
    if (reply.kind === "status") {
      this.#json(msg, reply.status, reply.body ?? { error: { message: `fake ${reply.status}` } }, reply.headers);
      return;
    }
    let frames: string[];
    let contentType: string;
    if (reply.kind === "lines") {
      frames = reply.lines.map((l) => `${l}\n`);
      contentType = reply.contentType ?? "application/x-ndjson";
    } else {
      const lines = commandCodeLines(reply.text, reply.chunkSize, reply.usage);
      const sse = reply.format === "sse";
      frames = lines.map((l) => (sse ? `data: ${l}\n\n` : `${l}\n`));
      contentType = sse ? "text/event-stream" : "application/x-ndjson";
    }
    msg.set_status(200, null);
    const h = msg.get_response_headers();
    h.set_encoding(Soup.Encoding.CHUNKED);
    h.set_content_type(contentType, null);
    msg.get_response_body().set_accumulate(false);
    msg.pause();
    const delay = reply.kind === "text" ? reply.delayMs ?? 0 : 0;
    for (const frame of frames) {
      msg.get_response_body().append_bytes(new GLib.Bytes(encoder.encode(frame)));
      msg.unpause();
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
    msg.get_response_body().complete();
    msg.unpause();
  }
}
