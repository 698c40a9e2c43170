// How much of a streamed response may wait inside libsoup before the proxy stops reading the provider
// (backpressure), accounted without a JS call per written chunk. Pure.
//
// libsoup reports written data only through a signal per written chunk ("wrote-body-data"), which is
// one more trip from C into JS per batch. Instead the budget counts what was appended since the queue
// was last seen empty: that count is an upper bound of what libsoup holds. Every `checkEvery` bytes the
// caller asks libsoup whether its queue is empty (one cheap call; on a fast client it always is, and
// the count starts again from zero). Only when the bound passes `maxQueued` while the queue is not
// empty does the writer wait, and only then does it listen to the per-chunk signal, until the queue
// is empty again. So memory held for a slow client stays below maxQueued plus one batch.
export class WriteBudget {
  #sinceEmpty = 0;
  #nextCheck: number;

  constructor(readonly maxQueued: number, readonly checkEvery = Math.max(1, Math.min(1024 * 1024, Math.floor(maxQueued / 4)))) {
    this.#nextCheck = checkEvery;
  }

  /** Upper bound of the bytes libsoup still holds. */
  get bound(): number {
    return this.#sinceEmpty;
  }

  /** Bytes were appended; true when the caller should now ask whether the queue is empty. */
  appended(bytes: number): boolean {
    this.#sinceEmpty += bytes;
    return this.#sinceEmpty >= this.#nextCheck;
  }

  /** The answer to that question (or a drain notice): an empty queue starts the count again. */
  checked(queueEmpty: boolean): void {
    if (queueEmpty) {
      this.#sinceEmpty = 0;
      this.#nextCheck = this.checkEvery;
    } else this.#nextCheck = this.#sinceEmpty + this.checkEvery;
  }

  /** The writer must wait for the queue to empty: more than maxQueued may be waiting. */
  get mustWait(): boolean {
    return this.#sinceEmpty > this.maxQueued;
  }
}
