// Server-sent events: framing what we write and parsing what upstream sends. Pure.

/** One `event:`/`data:` frame; Codex reads data-only frames too, but named events help other clients. */
export function formatSse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface SseMessage {
  event: string | null;
  data: string;
}

/**
 * Incremental SSE parser (WHATWG rules that matter here: CRLF/LF/CR line ends, multi-line data,
 * comments, a blank line ends a message). Feed it decoded text in arbitrary chunks.
 * `maxBufferChars` bounds a single unfinished message so a provider that never sends a blank line
 * cannot grow memory without limit.
 */
export class SseParser {
  #buffer = "";
  #event: string | null = null;
  #data: string[] = [];
  #pendingDataChars = 0;

  constructor(private readonly maxBufferChars = 8 * 1024 * 1024) {}

  feed(text: string): SseMessage[] {
    this.#buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const lf = this.#buffer.indexOf("\n", start);
      const cr = this.#buffer.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A lone CR at the very end may be the first half of CRLF: wait for more input.
        if (cr === this.#buffer.length - 1) break;
        end = cr;
        next = this.#buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.#line(this.#buffer.slice(start, end), out);
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#pendingDataChars > this.maxBufferChars)
      throw new SseOverflowError(`upstream SSE message exceeds ${Math.round(this.maxBufferChars / 1048576)} MB`);
    return out;
  }

  /** Flushes a final message that was not followed by a blank line (some providers end that way). */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.#buffer) this.#line(this.#buffer, out);
    this.#buffer = "";
    this.#line("", out);
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.#data.length > 0) out.push({ event: this.#event, data: this.#data.join("\n") });
      this.#event = null;
      this.#data = [];
      this.#pendingDataChars = 0;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#pendingDataChars += value.length;
    } else if (field === "event") this.#event = value;
  }
}

/**
 * One JSON document per line (newline-delimited JSON), as some providers stream; a line may also carry
 * an SSE-style `data:` prefix, and blank lines and `:` comments are skipped. Same surface as SseParser.
 */
export class JsonLinesParser {
  #buffer = "";

  constructor(private readonly maxBufferChars = 8 * 1024 * 1024) {}

  feed(text: string): SseMessage[] {
    this.#buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let nl = this.#buffer.indexOf("\n"); nl >= 0; nl = this.#buffer.indexOf("\n", start)) {
      this.#line(this.#buffer.slice(start, nl), out);
      start = nl + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length > this.maxBufferChars)
      throw new SseOverflowError(`upstream stream line exceeds ${Math.round(this.maxBufferChars / 1048576)} MB`);
    return out;
  }

  end(): SseMessage[] {
    const out: SseMessage[] = [];
    this.#line(this.#buffer, out);
    this.#buffer = "";
    return out;
  }

  #line(raw: string, out: SseMessage[]): void {
    let line = raw.trim();
    if (line === "" || line.startsWith(":") || line.startsWith("event:")) return;
    if (line.startsWith("data:")) line = line.slice(5).trim();
    if (line !== "") out.push({ event: null, data: line });
  }
}

export class SseOverflowError extends Error {
  override name = "SseOverflowError";
}
