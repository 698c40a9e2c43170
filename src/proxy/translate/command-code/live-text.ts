// Which part of a Command Code answer can be shown while it streams. Prose goes out at once; from
// the first thing that may be tool-call markup (`<tag`, `{"`) the rest is held until the end, when
// the parser chain decides what is a call and what is text. Pure.

/** Where markup may start in `text`: a certain start, a maybe (wait for more text), or none. */
function markupStart(text: string): { at: number; certain: boolean } | null {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "<" && c !== "{") continue;
    const rest = text.slice(i, i + 16);
    if (c === "<") {
      // <think> blocks are reasoning, handled by the Chat mapper; they stream.
      if (/^<\/?think>/.test(rest)) continue;
      if (rest.length < 2 || ["<think>", "</think>"].some((t) => t.startsWith(rest) && rest.length < t.length)) return { at: i, certain: false };
      if (/^<\/?[A-Za-z_]|^<\s*\/?\s*[｜|]/.test(rest)) return { at: i, certain: true };
      if (/^<\s*$/.test(rest)) return { at: i, certain: false };
    } else {
      const after = /^\{\s*/.exec(rest)![0].length;
      if (i + after >= text.length) return { at: i, certain: false };
      if (text[i + after] === '"' || text[i + after] === "\\") return { at: i, certain: true };
    }
  }
  return null;
}

export class LiveText {
  #text = "";
  #shown = 0;
  #holding = false;

  /** Adds a delta; returns the text that may be shown now. */
  push(delta: string): string {
    this.#text += delta;
    if (this.#holding) return "";
    const pending = this.#text.slice(this.#shown);
    const start = markupStart(pending);
    const release = start ? pending.slice(0, start.at) : pending;
    if (start?.certain) this.#holding = true;
    this.#shown += release.length;
    return release;
  }

  /** Everything received. */
  get text(): string {
    return this.#text;
  }

  /** Where the text not yet shown begins. */
  get shownUpTo(): number {
    return this.#shown;
  }
}
