// Some providers (MiniMax, Qwen/DeepSeek-R1 served by vLLM or Ollama, ...) put reasoning inside the
// content as a leading <think>…</think> block. This splits streamed content into reasoning and text. Pure.

const OPEN = "<think>";
const CLOSE = "</think>";

export interface SplitPiece {
  reasoning: string;
  text: string;
}

export class ThinkSplitter {
  #state: "start" | "thinking" | "text" = "start";
  #held = "";
  readonly #piece: SplitPiece = { reasoning: "", text: "" };

  /** The returned piece is reused by the next call (this runs once per streamed token). */
  push(chunk: string): SplitPiece {
    const piece = this.#piece;
    piece.reasoning = "";
    piece.text = "";
    if (this.#state === "text" && this.#held === "") {
      piece.text = chunk;
      return piece;
    }
    let input = this.#held + chunk;
    this.#held = "";
    if (this.#state === "start") {
      const trimmed = input.trimStart();
      if (trimmed.length < OPEN.length && OPEN.startsWith(trimmed)) {
        this.#held = input; // could still become "<think>"
        return piece;
      }
      if (trimmed.startsWith(OPEN)) {
        this.#state = "thinking";
        input = trimmed.slice(OPEN.length);
      } else {
        this.#state = "text";
      }
    }
    if (this.#state === "thinking") {
      const end = input.indexOf(CLOSE);
      if (end >= 0) {
        piece.reasoning = input.slice(0, end);
        this.#state = "text";
        input = input.slice(end + CLOSE.length).replace(/^\s+/, "");
      } else {
        // Hold back a tail that might be the start of "</think>".
        let keep = 0;
        for (let k = Math.min(CLOSE.length - 1, input.length); k > 0; k--) {
          if (CLOSE.startsWith(input.slice(-k))) {
            keep = k;
            break;
          }
        }
        piece.reasoning = input.slice(0, input.length - keep);
        this.#held = input.slice(input.length - keep);
        return piece;
      }
    }
    piece.text += input;
    return piece;
  }

  /** Whatever is still held back when the stream ends. */
  flush(): SplitPiece {
    const held = this.#held;
    this.#held = "";
    return this.#state === "thinking" ? { reasoning: held, text: "" } : { reasoning: "", text: held };
  }
}
