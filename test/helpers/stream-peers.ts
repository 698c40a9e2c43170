// Raw HTTP/1.1 peers for the streaming specs: a provider and a client on plain Gio sockets, so a spec
// decides exactly what goes into each TCP write (many SSE messages in one write, a pause, a stall) and
// when the client reads.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import System from "system";
import { findHeadEnd, parseResponseHead, type ResponseHead } from "../../src/proxy/http1.js";
import { SseParser } from "../../src/proxy/sse.js";

Gio._promisify(Gio.BufferedInputStream.prototype, "fill_async", "fill_finish");
Gio._promisify(Gio.OutputStream.prototype, "write_bytes_async", "write_bytes_finish");
Gio._promisify(Gio.SocketClient.prototype, "connect_to_host_async", "connect_to_host_finish");

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * This process moves tens of MB in the long specs: left to itself, SpiderMonkey would collect
 * incrementally, and gjs 1.74 drops the I/O callbacks that arrive meanwhile (see lib/gc-policy.ts).
 * Every 256 KB, not every MB: late in a full run this process's heap is large and the strings the
 * client assembles are not all counted here, and at 1 MB an incremental collection still started
 * once and dropped a fill_async callback (the 35 MB backpressure spec then hung).
 */
let bytesSinceGc = 0;
function collectNow(bytes: number): void {
  bytesSinceGc += bytes;
  if (bytesSinceGc < 256 * 1024) return;
  bytesSinceGc = 0;
  System.gc();
}

/** One Chat Completions stream message. */
export function chatFrame(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-raw", object: "chat.completion.chunk", created: 1, model: "raw",
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export function httpChunk(text: string): string {
  return `${encoder.encode(text).length.toString(16)}\r\n${text}\r\n`;
}

export const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

/** Reads from a buffered stream until `done` says the collected bytes are enough. */
async function readUntil(input: Gio.BufferedInputStream, have: Uint8Array, done: (bytes: Uint8Array) => number): Promise<{ used: Uint8Array; rest: Uint8Array } | null> {
  let buffer = have;
  for (;;) {
    const end = done(buffer);
    if (end >= 0) return { used: buffer.subarray(0, end), rest: buffer.subarray(end) };
    const filled = (await input.fill_async(-1, GLib.PRIORITY_DEFAULT, null)) as unknown as number;
    if (filled <= 0) return null;
    const data = input.peek_buffer();
    input.skip(data.length, null);
    const joined = new Uint8Array(buffer.length + data.length);
    joined.set(buffer);
    joined.set(data, buffer.length);
    buffer = joined;
  }
}

/** A request as the provider received it. */
export interface RawRequest {
  head: string;
  body: string;
}

/** What a provider script gets for one request. */
export interface Exchange {
  request: RawRequest;
  /** Writes text in one write (the kernel may still split it, but never merges it with another write before we return). */
  write(text: string): Promise<void>;
  /** Closes the connection (after the answer, or in the middle of it). */
  close(): void;
}

export type ProviderScript = (exchange: Exchange, index: number) => Promise<void>;

/** A provider on 127.0.0.1 that answers each request with a script and keeps connections alive. */
export class RawProvider {
  readonly #service = new Gio.SocketService();
  readonly requests: RawRequest[] = [];
  port = 0;
  connections = 0;
  open = 0;
  maxOpen = 0;
  bytesWritten = 0;

  constructor(private readonly script: ProviderScript) {
    this.port = this.#service.add_any_inet_port(null);
    this.#service.connect("incoming", (_s, conn: Gio.SocketConnection) => {
      void this.#serve(conn);
      return true;
    });
    this.#service.start();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  stop(): void {
    this.#service.stop();
    this.#service.close();
  }

  async #serve(conn: Gio.SocketConnection): Promise<void> {
    this.connections++;
    const input = new Gio.BufferedInputStream({ base_stream: conn.get_input_stream(), buffer_size: 65536 });
    const output = conn.get_output_stream();
    let closed = false;
    let rest: Uint8Array = new Uint8Array(0);
    try {
      while (!closed) {
        const head = await readUntil(input, rest, (b) => findHeadEnd(b));
        if (!head) break;
        const headText = decoder.decode(head.used);
        const length = Number(/content-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
        const body = await readUntil(input, head.rest, (b) => (b.length >= length ? length : -1));
        if (!body) break;
        rest = body.rest;
        const request = { head: headText, body: decoder.decode(body.used) };
        const index = this.requests.length;
        this.requests.push(request);
        this.open++;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        try {
          await this.script({
            request,
            write: async (text) => {
              const bytes = new GLib.Bytes(encoder.encode(text));
              for (let done = 0; done < bytes.get_size();) {
                const part = done === 0 ? bytes : bytes.new_from_bytes(done, bytes.get_size() - done);
                done += (await output.write_bytes_async(part, GLib.PRIORITY_DEFAULT, null)) as unknown as number;
              }
              this.bytesWritten += bytes.get_size();
              collectNow(bytes.get_size());
            },
            close: () => {
              closed = true;
              conn.close(null);
            },
          }, index);
        } finally {
          this.open--;
        }
      }
    } catch {
      // The proxy hung up: the exchange is over.
    } finally {
      if (!closed) conn.close(null);
    }
  }
}

/** A streamed response as a raw client saw it. */
export interface RawStream {
  head: ResponseHead;
  /** Each element: the events of one HTTP chunk the proxy wrote. */
  chunks: { atMs: number; events: any[] }[];
  events: any[];
  startedMs: number;
}

/** A client that sends one request and reads the chunked SSE reply; `pauseMs` stalls reading after the head. */
export async function rawStream(port: number, body: unknown,
  options: { pauseMs?: number; onHead?: () => void; countOnly?: boolean } = {}): Promise<RawStream & { count: number; inOrder: boolean; text: string; deltaChars: number }> {
  const client = new Gio.SocketClient();
  const conn = (await client.connect_to_host_async("127.0.0.1", port, null)) as unknown as Gio.SocketConnection;
  const payload = JSON.stringify(body);
  const startedMs = Date.now();
  conn.get_output_stream().write_all(encoder.encode(`POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Accept: text/event-stream\r\nContent-Length: ${encoder.encode(payload).length}\r\n\r\n${payload}`), null);
  // A small buffer: a stalled client must not soak up the stream into its own memory.
  const input = new Gio.BufferedInputStream({ base_stream: conn.get_input_stream(), buffer_size: 16384 });
  const headBytes = await readUntil(input, new Uint8Array(0), (b) => findHeadEnd(b));
  if (!headBytes) throw new Error("the proxy closed the connection before answering");
  const head = parseResponseHead(decoder.decode(headBytes.used));
  options.onHead?.();
  if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  // The proxy's writes are kept apart: every HTTP chunk it wrote is one entry (a client read may hold
  // several), and each holds whole SSE messages.
  const chunks: RawStream["chunks"] = [];
  const events: any[] = [];
  // With countOnly (a long stream), events are checked as they come and not kept; the closing events
  // of a long answer repeat the whole text, so they are not parsed either.
  let count = 0;
  let inOrder = true;
  let lastSeq = -1;
  let text = "";
  let deltaChars = 0;
  // A growing buffer consumed from the front: a 30 MB closing event arrives in thousands of reads.
  let buffer = new Uint8Array(65536);
  let from = 0;
  let to = 0;
  const append = (data: Uint8Array) => {
    if (to + data.length > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, to - from + data.length));
      grown.set(buffer.subarray(from, to));
      to -= from;
      from = 0;
      buffer = grown;
    }
    buffer.set(data, to);
    to += data.length;
  };
  let ended = false;
  const onEvent = (e: any) => {
    if (e.sequence_number !== lastSeq + 1) inOrder = false;
    lastSeq = e.sequence_number;
    count++;
    if (e.type === "response.output_text.delta") {
      deltaChars += e.delta.length;
      if (!options.countOnly) text += e.delta;
    }
  };
  const take = () => {
    for (;;) {
      const lf = buffer.subarray(from, to).indexOf(10);
      if (lf < 0) return;
      const size = parseInt(decoder.decode(buffer.subarray(from, from + lf)), 16);
      if (size === 0) {
        ended = true;
        return;
      }
      if (to - from < lf + 1 + size + 2) return;
      const body = buffer.subarray(from + lf + 1, from + lf + 1 + size);
      from += lf + 1 + size + 2;
      if (options.countOnly && size > 65536) {
        // One of the closing events: only its sequence number is read.
        const head = decoder.decode(body.subarray(0, 200));
        onEvent({ sequence_number: Number(/"sequence_number":(\d+)/.exec(head)?.[1] ?? -1), type: /"type":"([^"]+)"/.exec(head)?.[1] });
        continue;
      }
      const batch = new SseParser().feed(decoder.decode(body)).map((m) => JSON.parse(m.data));
      for (const e of batch) onEvent(e);
      if (!options.countOnly) {
        chunks.push({ atMs: Date.now() - startedMs, events: batch });
        events.push(...batch);
      }
    }
  };
  append(headBytes.rest);
  take();
  while (!ended) {
    const filled = (await input.fill_async(-1, GLib.PRIORITY_DEFAULT, null)) as unknown as number;
    if (filled <= 0) break;
    const data = input.peek_buffer();
    input.skip(data.length, null);
    collectNow(data.length * 4);
    append(data);
    take();
  }
  conn.close(null);
  return { head, chunks, events, startedMs, count, inOrder, text, deltaChars };
}

/** Resident memory of a process, in MB. */
export function rssMb(pid: number): number {
  const [, bytes] = GLib.file_get_contents(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(decoder.decode(bytes))![1]) / 1024;
}
