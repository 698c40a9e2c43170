// Writes a streamed (chunked) response to a client through Soup.ServerMessage, with backpressure:
// when the client reads slower than the provider writes, at most `maxQueuedBytes` wait in memory.
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";

const encoder = new TextEncoder();

export class StreamingResponse {
  #queued = 0;
  #closed = false;
  #finished = false;
  #drainWaiters: (() => void)[] = [];
  #closeHandlers: (() => void)[] = [];
  #handlers: number[] = [];
  #body: Soup.MessageBody | null = null;

  constructor(private readonly msg: Soup.ServerMessage, private readonly maxQueuedBytes = 8 * 1024 * 1024) {}

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
      msg.connect("wrote-body-data", (_m, size: number) => {
        this.#queued = Math.max(0, this.#queued - size);
        if (this.#queued <= this.maxQueuedBytes / 2) this.#releaseWaiters();
      }),
      msg.connect("finished", () => this.#markClosed()),
      msg.connect("disconnected", () => this.#markClosed()),
    ];
    msg.pause();
  }

  /** True once the client went away or the response ended. */
  get closed(): boolean {
    return this.#closed || this.#finished;
  }

  onClose(handler: () => void): void {
    this.#closeHandlers.push(handler);
  }

  /** Queues text; resolves once the queue is below the bound again (immediately in the usual case). */
  async write(text: string): Promise<void> {
    if (this.closed || text === "") return;
    const bytes = encoder.encode(text);
    this.#queued += bytes.length;
    this.#body!.append_bytes(new GLib.Bytes(bytes));
    this.msg.unpause();
    if (this.#queued > this.maxQueuedBytes) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  end(): void {
    if (this.closed) return;
    this.#finished = true;
    this.#body!.complete();
    this.msg.unpause();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    // No JS handler may outlive the exchange: libsoup frees the message later, possibly while the
    // JS garbage collector runs, and a signal emitted then cannot reach JS (gjs blocks it).
    for (const id of this.#handlers) this.msg.disconnect(id);
    this.#handlers = [];
    this.#releaseWaiters();
    for (const handler of this.#closeHandlers) handler();
  }

  #releaseWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
