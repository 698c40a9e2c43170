// Short random identifiers in the shapes OpenAI uses (resp_…, msg_…, fc_…, call_…). Pure JS.
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function randomId(prefix: string, length = 24): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return `${prefix}_${out}`;
}
