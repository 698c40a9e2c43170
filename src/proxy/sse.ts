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
  /** The message's data lines: the first one alone (the usual case) needs no array. */
  #data: string | null = null;
  #moreData: string[] | null = null;
  #pendingDataChars = 0;

  constructor(private readonly maxBufferChars = 8 * 1024 * 1024) {}

  feed(text: string): SseMessage[] {
    const buffer = this.#buffer === "" ? text : this.#buffer + text;
    const out: SseMessage[] = [];
    let start = 0;
    // CR line ends are rare: look for one once, and again only after passing it (a search per line
    // from the same place scanned the rest of a 16 KB read for every line).
    let cr = buffer.indexOf("\r");
    for (;;) {
      const lf = buffer.indexOf("\n", start);
      if (cr >= 0 && cr < start) cr = buffer.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A lone CR at the very end may be the first half of CRLF: wait for more input.
        if (cr === buffer.length - 1) break;
        end = cr;
        next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.#line(buffer, start, end, out);
      start = next;
    }
    this.#buffer = start === 0 ? buffer : start === buffer.length ? "" : buffer.slice(start);
    if (this.#buffer.length + this.#pendingDataChars > this.maxBufferChars)
      throw new SseOverflowError(`upstream SSE message exceeds ${Math.round(this.maxBufferChars / 1048576)} MB`);
    return out;
  }

  /** Flushes a final message that was not followed by a blank line (some providers end that way). */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.#buffer) this.#line(this.#buffer, 0, this.#buffer.length, out);
    this.#buffer = "";
    this.#line("", 0, 0, out);
    return out;
  }

  /** One line: buffer[start, end). */
  #line(buffer: string, start: number, end: number, out: SseMessage[]): void {
    if (start === end) {
      if (this.#data !== null) out.push({ event: this.#event, data: this.#moreData ? [this.#data, ...this.#moreData].join("\n") : this.#data });
      this.#event = null;
      this.#data = null;
      this.#moreData = null;
      this.#pendingDataChars = 0;
      return;
    }
    if (buffer.charCodeAt(start) === 58) return; // ":" comment
    // Nearly every line is "data: ...": taken without splitting the line first.
    if (buffer.startsWith("data:", start)) {
      const from = buffer.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
      this.#addData(from >= end ? "" : buffer.slice(from, end));
      return;
    }
    const line = buffer.slice(start, end);
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#addData(value);
    else if (field === "event") this.#event = value;
  }

  #addData(value: string): void {
    if (this.#data === null) this.#data = value;
    else (this.#moreData ??= []).push(value);
    this.#pendingDataChars += value.length;
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
