// HTTP/1.1 framing for the proxy's own upstream client: the request head, the response head and the
// response body (chunked, Content-Length or until the connection closes). Pure: bytes in, bytes out.
//
// Why not libsoup's client: its body stream hands over one HTTP chunk per read, and providers send one
// chunk per token, so every token cost an async read through GObject introspection (≈ 40 µs of CPU per
// token on gjs 1.74 for the reading alone). Reading the socket ourselves returns everything that
// arrived in one read; the chunk framing is undone here, in plain JavaScript.

export class HttpProtocolError extends Error {
  override name = "HttpProtocolError";
}

/** Where a request goes, split the way the connection pool and the request line need it. */
export interface HttpTarget {
  tls: boolean;
  host: string;
  port: number;
  /** host[:port] for the Host header; also the pool key together with the scheme. */
  authority: string;
  /** Path and query, as in the request line. */
  target: string;
}

export function parseHttpUrl(url: string): HttpTarget | null {
  const m = /^(https?):\/\/(?:[^@/?#]*@)?(\[[0-9a-fA-F:.]+\]|[^/?#:[\]]+)(?::(\d{1,5}))?([/?][^#]*)?(?:#.*)?$/i.exec(url.trim());
  if (!m) return null;
  const tls = m[1].toLowerCase() === "https";
  const host = m[2];
  const defaultPort = tls ? 443 : 80;
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (port < 1 || port > 65535) return null;
  let target = m[4] ?? "/";
  if (target.startsWith("?")) target = `/${target}`;
  return { tls, host, port, authority: port === defaultPort ? host : `${host}:${port}`, target };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request head. Values with CR, LF or NUL are refused (they would let a header value start a new
 * header or a new request on a pooled connection).
 */
export function formatRequestHead(method: string, target: HttpTarget, headers: Record<string, string>, bodyLength: number | null,
  userAgent: string): string {
  let head = `${method} ${target.target} HTTP/1.1\r\nHost: ${target.authority}\r\n`;
  let hasAgent = false;
  for (const name in headers) {
    const value = headers[name];
    if (!TOKEN.test(name)) throw new HttpProtocolError(`invalid request header name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw new HttpProtocolError(`request header ${name} contains a line break`);
    const lower = name.toLowerCase();
    // Framing and connection management are ours: a caller's value would desynchronise the pool.
    if (lower === "host" || lower === "content-length" || lower === "transfer-encoding" || lower === "connection") continue;
    if (lower === "user-agent") hasAgent = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasAgent && userAgent) head += `User-Agent: ${userAgent}\r\n`;
  if (bodyLength !== null) head += `Content-Length: ${bodyLength}\r\n`;
  return `${head}\r\n`;
}

/** Response headers by lower-case name; repeated headers are joined with ", " as RFC 9110 allows. */
export class ResponseHeaders {
  readonly #map = new Map<string, string>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.#map.get(key);
    this.#map.set(key, had === undefined ? value : `${had}, ${value}`);
  }

  /** Same surface as Soup.MessageHeaders.get_one, which callers of the upstream client already use. */
  get_one(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  entries(): [string, string][] {
    return [...this.#map];
  }
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** "1.0" or "1.1". */
  version: string;
  headers: ResponseHeaders;
}

/** Index just past the blank line that ends a response head in `bytes`, or -1 when it has not arrived yet. */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return i + 2; // bare LF LF, which lenient servers send
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split(/\r?\n/);
  const status = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!status) throw new HttpProtocolError(`not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`);
  const headers = new ResponseHeaders();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpProtocolError(`malformed response header line ${JSON.stringify(line.slice(0, 80))}`);
    headers.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { version: status[1], status: Number(status[2]), reason: status[3] ?? "", headers };
}

/** Whether the connection may carry another request after this response (absent a framing error). */
export function keepsAlive(head: ResponseHead): boolean {
  const connection = (head.headers.get_one("connection") ?? "").toLowerCase();
  if (/\bclose\b/.test(connection)) return false;
  return head.version === "1.1" || /\bkeep-alive\b/.test(connection);
}

/** Turns the bytes of a response body, as they arrive, into the body's own bytes. */
export interface BodyDecoder {
  /** The end of the body was seen. */
  readonly done: boolean;
  /** Bytes that followed the end of the body in the last input (a misbehaving server; the connection is not reused). */
  readonly trailing: number;
  /** True when the body's end is the connection's end (no length, no chunks): the connection is never reused. */
  readonly untilClose: boolean;
  /**
   * The body bytes contained in `input`. The input is owned by the decoder: chunk framing is removed
   * in place and a view into it is returned (no copy for the common case).
   */
  decode(input: Uint8Array): Uint8Array;
  /** The connection ended; throws when the body was not complete. */
  end(): void;
}

const EMPTY = new Uint8Array(0);

class NoBody implements BodyDecoder {
  readonly done = true;
  readonly untilClose = false;
  trailing = 0;
  decode(input: Uint8Array): Uint8Array {
    this.trailing += input.length;
    return EMPTY;
  }
  end(): void {}
}

class LengthBody implements BodyDecoder {
  readonly untilClose = false;
  trailing = 0;
  constructor(private remaining: number) {}
  get done(): boolean {
    return this.remaining === 0;
  }
  decode(input: Uint8Array): Uint8Array {
    const take = Math.min(this.remaining, input.length);
    this.remaining -= take;
    this.trailing += input.length - take;
    return take === input.length ? input : input.subarray(0, take);
  }
  end(): void {
    if (this.remaining > 0) throw new HttpProtocolError(`connection closed ${this.remaining} bytes before the end of the body`);
  }
}

class CloseBody implements BodyDecoder {
  readonly untilClose = true;
  readonly trailing = 0;
  done = false;
  decode(input: Uint8Array): Uint8Array {
    return input;
  }
  end(): void {
    this.done = true;
  }
}

const enum Chunked { Size, Data, DataEnd, Trailer, Done }
const MAX_LINE = 4096;
/** Chunk sizes beyond this are refused (and would lose precision as numbers). */
const MAX_CHUNK_DIGITS = 12;

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}

/**
 * Transfer-Encoding: chunked (RFC 9112 §7.1): size line, data, CRLF, ..., 0, trailers, blank line.
 * A byte-level state machine, so a read may end anywhere (inside a size line, between CR and LF).
 */
export class ChunkedBody implements BodyDecoder {
  readonly untilClose = false;
  trailing = 0;
  #state = Chunked.Size;
  #remaining = 0;
  /** Within a size line: hex digits seen, and whether an extension or whitespace ended them. */
  #digits = 0;
  #afterDigits = false;
  /** Length of the current size/trailer line, bounded so a server cannot make us buffer forever. */
  #lineLength = 0;
  /** A trailer line with any content (the blank line ends the trailers). */
  #lineHasContent = false;

  get done(): boolean {
    return this.#state === Chunked.Done;
  }

  decode(input: Uint8Array): Uint8Array {
    let out = 0;
    let i = 0;
    const n = input.length;
    while (i < n) {
      const state = this.#state;
      if (state === Chunked.Data) {
        const take = Math.min(this.#remaining, n - i);
        if (out !== i) input.copyWithin(out, i, i + take);
        out += take;
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = Chunked.DataEnd;
      } else if (state === Chunked.DataEnd) {
        const b = input[i++];
        if (b === 10) this.#state = Chunked.Size;
        else if (b !== 13) throw new HttpProtocolError("chunk data not followed by CRLF");
      } else if (state === Chunked.Size) {
        const b = input[i++];
        if (++this.#lineLength > MAX_LINE) throw new HttpProtocolError("chunk size line too long");
        if (b === 10) {
          if (this.#digits === 0) throw new HttpProtocolError("chunk size line without a size");
          this.#digits = 0;
          this.#afterDigits = false;
          this.#lineLength = 0;
          this.#state = this.#remaining > 0 ? Chunked.Data : Chunked.Trailer;
          continue;
        }
        if (this.#afterDigits || b === 13) continue; // chunk extensions are ignored, as RFC 9112 allows
        const v = hexValue(b);
        if (v >= 0) {
          if (++this.#digits > MAX_CHUNK_DIGITS) throw new HttpProtocolError("chunk size too large");
          this.#remaining = this.#remaining * 16 + v;
        } else if (b === 59 || b === 32 || b === 9) { // ';' or whitespace before an extension
          this.#afterDigits = true;
        } else throw new HttpProtocolError(`bad byte ${b} in a chunk size line`);
      } else if (state === Chunked.Trailer) {
        const b = input[i++];
        if (++this.#lineLength > MAX_LINE) throw new HttpProtocolError("trailer line too long");
        if (b === 10) {
          if (!this.#lineHasContent) this.#state = Chunked.Done;
          this.#lineHasContent = false;
          this.#lineLength = 0;
        } else if (b !== 13) this.#lineHasContent = true;
      } else {
        this.trailing += n - i;
        i = n;
      }
    }
    return out === 0 ? EMPTY : input.subarray(0, out);
  }

  end(): void {
    if (this.#state !== Chunked.Done) throw new HttpProtocolError("connection closed before the last chunk");
  }
}

/** How the body of a response to `method` is delimited (RFC 9112 §6.3). */
export function bodyDecoder(method: string, head: ResponseHead): BodyDecoder {
  if (method === "HEAD" || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) return new NoBody();
  const encoding = head.headers.get_one("transfer-encoding");
  if (encoding !== null) {
    if (/(?:^|,)\s*chunked\s*$/i.test(encoding)) return new ChunkedBody();
    return new CloseBody(); // another final coding: the body runs until the connection closes
  }
  const length = head.headers.get_one("content-length");
  if (length !== null) {
    const values = length.split(",").map((v) => v.trim());
    if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new HttpProtocolError(`bad Content-Length ${JSON.stringify(length)}`);
    return new LengthBody(Number(values[0]));
  }
  return new CloseBody();
}
