// Finished responses kept for `previous_response_id` (clients that send store:true). Pure; the clock
// is passed in. Bounded by age (TTL), by count and by total size, oldest first.
import type { InputItem, ResponseObject } from "./responses/types.js";

interface Entry {
  /** The conversation up to and including this response: its input items plus its output. */
  history: InputItem[];
  response: ResponseObject;
  storedAtMs: number;
  bytes: number;
}

export class ResponseStore {
  #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(readonly ttlMs = 600_000, readonly maxEntries = 500, readonly maxBytes = 64 * 1024 * 1024) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  put(response: ResponseObject, input: InputItem[], nowMs: number): void {
    this.evict(nowMs);
    const history = [...input, ...(response.output as unknown as InputItem[])];
    const bytes = JSON.stringify(history).length + JSON.stringify(response).length;
    if (bytes > this.maxBytes) return; // one giant response must not flush everything else
    this.#delete(response.id);
    this.#entries.set(response.id, { history, response, storedAtMs: nowMs, bytes });
    this.#bytes += bytes;
    for (const [id] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#delete(id);
    }
  }

  /** The stored conversation for `id`, or null when unknown or expired. */
  history(id: string, nowMs: number): InputItem[] | null {
    this.evict(nowMs);
    return this.#entries.get(id)?.history ?? null;
  }

  get(id: string, nowMs: number): ResponseObject | null {
    this.evict(nowMs);
    return this.#entries.get(id)?.response ?? null;
  }

  evict(nowMs: number): void {
    for (const [id, entry] of this.#entries) {
      if (nowMs - entry.storedAtMs < this.ttlMs) break; // insertion order is age order
      this.#delete(id);
    }
  }

  #delete(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(id);
  }
}
