// Incremental UTF-8 decoding: gjs 1.74's TextDecoder lacks the `stream` option, and network chunks
// may split a multi-byte character. Pure.

const decoder = new TextDecoder();

/** Length of a trailing, incomplete UTF-8 sequence at the end of `bytes` (0 when it ends cleanly). */
function incompleteTail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export class Utf8StreamDecoder {
  #pending: Uint8Array = new Uint8Array(0);

  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.#pending.length > 0) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
    }
    const tail = incompleteTail(bytes);
    this.#pending = tail ? bytes.slice(bytes.length - tail) : new Uint8Array(0);
    return decoder.decode(tail ? bytes.subarray(0, bytes.length - tail) : bytes);
  }

  /** Whatever is left; an incomplete character becomes U+FFFD. */
  end(): string {
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    return rest.length ? decoder.decode(rest) : "";
  }
}
