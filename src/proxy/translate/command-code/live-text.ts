// Which part of a Command Code answer can be shown while it streams. Prose goes out at once; from
// the first thing that may be tool-call markup (`<tag`, `{"`) the rest is held until the end, when
// the parser chain decides what is a call and what is text. Pure.

/** The tags the parser chain reads; any other `<…>` (HTML, generics like Vec<String>) streams as text. */
const CHAIN_TAGS = ["bash", "explore_agent", "require_escalation", "request_escalation_permission", "tool_call", "toolcall", "function_call",
  "function_calls", "function=", "tool_use", "invoke", "parameter", "todo_write", "todos"];

/** "tag" when `rest` (from a `<`) opens one of the chain's tags, "maybe" while it still could, else null. */
function chainTag(rest: string): "tag" | "maybe" | null {
  const m = /^<\/?\s*/.exec(rest)!;
  const after = rest.slice(m[0].length);
  if (/^[｜|]/.test(after)) return "tag"; // DSML
  const name = /^[A-Za-z_]*=?/.exec(after)![0];
  const complete = name.length < after.length; // a character after the name arrived
  if (CHAIN_TAGS.includes(name)) return complete || name.endsWith("=") ? "tag" : "maybe";
  if (!complete && CHAIN_TAGS.some((t) => t.startsWith(name))) return "maybe";
  return null;
}

/** Where markup may start in `text`: a certain start, a maybe (wait for more text), or none. */
function markupStart(text: string): { at: number; certain: boolean } | null {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "<" && c !== "{") continue;
    if (c === "<") {
      const tag = chainTag(text.slice(i, i + 40));
      if (tag) return { at: i, certain: tag === "tag" };
    } else {
      const after = /^\{\s*/.exec(text.slice(i, i + 16))![0].length;
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
