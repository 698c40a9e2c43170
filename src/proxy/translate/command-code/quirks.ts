// What Command Code's 400/422 answers teach (the original's ErrorAnalyzer, B.16): a model that takes no
// temperature, or a smaller max_tokens than the default 64000. The adjusted request goes out again and
// the lesson is kept in provider-caps.json for that endpoint and model. Pure.
import type { CommandCodeBody } from "./request.js";

export const NO_TEMPERATURE = "temperature";
const MAX_TOKENS = /^max_tokens:(\d+)$/;

/** The lessons an error message teaches about `body`, e.g. ["temperature"] or ["max_tokens:32768"]. */
export function lessonsFrom(message: string, body: CommandCodeBody): string[] {
  const text = message.toLowerCase();
  const lessons: string[] = [];
  const rejected = /(not supported|unsupported|unknown|not allowed|does not support|invalid)/.test(text);
  if (/temperature/.test(text) && rejected && body.params.temperature !== undefined) lessons.push(NO_TEMPERATURE);
  if (/max_tokens|max tokens|max_output_tokens|output tokens/.test(text)) {
    // The limit is the largest number in the message below what was asked for.
    const numbers = [...message.matchAll(/\d[\d,]*/g)].map((m) => Number(m[0].replace(/,/g, "")));
    const limit = Math.max(0, ...numbers.filter((n) => n >= 256 && n < body.params.max_tokens));
    if (limit > 0) lessons.push(`max_tokens:${limit}`);
  }
  return lessons;
}

/** `body` with the lessons applied (the smallest max_tokens learned wins). */
export function withLessons(body: CommandCodeBody, lessons: ReadonlySet<string>): CommandCodeBody {
  if (lessons.size === 0) return body;
  const params = { ...body.params };
  if (lessons.has(NO_TEMPERATURE)) delete params.temperature;
  for (const lesson of lessons) {
    const m = MAX_TOKENS.exec(lesson);
    if (m) params.max_tokens = Math.min(params.max_tokens, Number(m[1]));
  }
  return { ...body, params };
}
