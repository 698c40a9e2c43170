// Gemini's thought signatures ride in the id of the tool-call item Codex receives. Pure.
//
// Gemini (3, and 2.5 with thinking) returns an opaque `thoughtSignature` with a function call and
// rejects a later request that replays the call without it. Codex sends back every item it received,
// ids included (store:false, the whole history each turn), so the signature is appended to the item's
// id: no state in the proxy, and it survives a proxy restart by the watchdog mid-session.
// Signatures are base64, which has no "." — the marker below cannot occur inside one.

const MARK = ".ts.";

/** `fc_abc` + signature → `fc_abc.ts.<signature>`; the id alone when there is no signature. */
export function idWithSignature(id: string, signature: string | null | undefined): string {
  return signature ? `${id}${MARK}${signature}` : id;
}

/** The signature carried by an item id, or null. */
export function signatureFromId(id: unknown): string | null {
  if (typeof id !== "string") return null;
  const at = id.indexOf(MARK);
  return at >= 0 && at + MARK.length < id.length ? id.slice(at + MARK.length) : null;
}

/**
 * What Gemini 3 accepts in place of a signature for a call it did not make itself (history from another
 * model or an older proxy); Google documents it for exactly this case.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";
