// Writes a streamed (chunked) response to a client through Soup.ServerMessage, with backpressure:
// when the client reads slower than the provider writes, at most `maxQueuedBytes` (plus one batch)
// wait in memory.
//
// Per write: one encode, one append and one unpause; no signal handler runs per written chunk and no
// GObject is made (see write-budget.ts for how the queue is bounded without counting each chunk).
import type Gio from "gi://Gio";
import type GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { encodeTransient } from "../lib/utf8-encode.js";
import { WriteBudget } from "./write-budget.js";

/** Linux <netinet/tcp.h>: IPPROTO_TCP, TCP_CORK. */
const IPPROTO_TCP = 6;
const TCP_CORK = 3;

export class StreamingResponse {
  #appended = 0;
  #closed = false;
  #finished = false;
  #drainWaiters: (() => void)[] = [];
  #closeHandlers: (() => void)[] = [];
  #handlers: number[] = [];
  #drainHandler = 0;
  #corked: Gio.Socket | null = null;
  #uncorkHandler = 0;
  #body: Soup.MessageBody | null = null;
  readonly #budget: WriteBudget;
  /** Writes made, and writes that had to wait for the client (for specs and the benchmark). */
  writes = 0;
  waits = 0;

  constructor(private readonly msg: Soup.ServerMessage, maxQueuedBytes = 8 * 1024 * 1024) {
    this.#budget = new WriteBudget(maxQueuedBytes);
  }

  /** Sends the status line and headers; the body follows with write(). */
  begin(contentType: string, headers: Record<string, string> = {}): void {
    const msg = this.msg;
    msg.set_status(200, null);
    const h = msg.get_response_headers();
    h.set_encoding(Soup.Encoding.CHUNKED);
    h.set_content_type(contentType, null);
    h.replace("Cache-Control", "no-cache");
    for (const [k, v] of Object.entries(headers)) h.replace(k, v);
    // Written chunks are dropped instead of kept for the whole stream.
    this.#body = msg.get_response_body();
    this.#body.set_accumulate(false);
    this.#handlers = [
      msg.connect("finished", () => this.#markClosed()),
      msg.connect("disconnected", () => this.#markClosed()),
    ];
    msg.pause();
    this.#cork();
  }

  /**
   * The status line, the headers and the first chunk leave in one TCP segment. libsoup writes them
   * with four send() calls (head; then per chunk its size line, data and CRLF), and on a loaded machine
   * the client woke up for each of them before it had the first event: about 0.1–0.4 ms of the first
   * byte, measured. TCP_CORK holds them until the first chunk is written; one "wrote-chunk" handler
   * lifts it and is disconnected at once (the end of the exchange lifts it too), so later chunks go out
   * as before, with no handler per chunk.
   */
  #cork(): void {
    const socket = this.msg.get_socket();
    if (!socket) return;
    try {
      socket.set_option(IPPROTO_TCP, TCP_CORK, 1);
    } catch {
      return; // not TCP: nothing to gain
    }
    this.#corked = socket;
    this.#uncorkHandler = this.msg.connect("wrote-chunk", () => this.#uncork());
  }

  #uncork(): void {
    if (this.#uncorkHandler) this.msg.disconnect(this.#uncorkHandler);
    this.#uncorkHandler = 0;
    const socket = this.#corked;
    this.#corked = null;
    try {
      socket?.set_option(IPPROTO_TCP, TCP_CORK, 0);
    } catch {
      // The connection is gone: nothing is waiting to be sent.
    }
  }

  /** True once the client went away or the response ended. */
  get closed(): boolean {
    return this.#closed || this.#finished;
  }

  /** Upper bound of the bytes waiting inside libsoup for the client. */
  get queuedBound(): number {
    return this.#budget.bound;
  }

  onClose(handler: () => void): void {
    this.#closeHandlers.push(handler);
  }

  /**
   * Queues text as one chunk. Returns nothing in the usual case, or a promise to wait for when the
   * client is slow and the queue is at its bound (no promise per write: each promise job costs gjs a
   * main-loop wake-up). Callers batch: everything translated from one upstream read is one write.
   */
  write(text: string): Promise<void> | undefined {
    if (this.closed || text === "") return undefined;
    // A view of a reused buffer: append() is soup_message_body_append_take, for which gjs hands libsoup
    // a copy of the array (no GBytes wrapper).
    const bytes = encodeTransient(text);
    this.#appended += bytes.length;
    this.#body!.append(bytes);
    this.msg.unpause();
    this.writes++;
    if (!this.#budget.appended(bytes.length)) return undefined;
    this.#budget.checked(this.#queueEmpty());
    if (!this.#budget.mustWait) return undefined;
    this.waits++;
    return new Promise<void>((resolve) => {
      this.#drainWaiters.push(resolve);
      // Only a writer that must wait listens to each written chunk, and only until the queue is empty.
      // "wrote-chunk", not "wrote-body-data": libsoup drops a written chunk from its queue between the
      // two, so only after "wrote-chunk" does an empty queue look empty.
      if (!this.#drainHandler) this.#drainHandler = this.msg.connect("wrote-chunk", () => this.#onWritten());
    });
  }

  end(): void {
    if (this.closed) return;
    this.#finished = true;
    this.#body!.complete();
    this.msg.unpause();
  }

  /**
   * libsoup drops each chunk once written (accumulate off), so its queue is empty exactly when no
   * chunk holds our last byte. Asking for the chunk at offset total−1 is always a valid question: with
   * chunks queued, the oldest queued byte is at or before it; with none, libsoup returns NULL at once.
   */
  #queueEmpty(): boolean {
    return this.#appended === 0 || (this.#body!.get_chunk(this.#appended - 1) as GLib.Bytes | null) === null;
  }

  #onWritten(): void {
    if (!this.#queueEmpty()) return;
    this.#budget.checked(true);
    this.#stopDrainWatch();
    this.#releaseWaiters();
  }

  #stopDrainWatch(): void {
    if (this.#drainHandler) this.msg.disconnect(this.#drainHandler);
    this.#drainHandler = 0;
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    // No JS handler may outlive the exchange: libsoup frees the message later, possibly while the
    // JS garbage collector runs, and a signal emitted then cannot reach JS (gjs blocks it).
    for (const id of this.#handlers) this.msg.disconnect(id);
    this.#handlers = [];
    this.#uncork(); // a kept-alive connection must not stay corked for its next response
    this.#stopDrainWatch();
    this.#releaseWaiters();
    for (const handler of this.#closeHandlers) handler();
  }

  #releaseWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
