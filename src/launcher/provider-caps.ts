// provider-caps.json from the launcher's side: what the proxy learned about each provider, and clearing
// one provider's lessons (the AI Monitor window's Clear). The running proxy rereads the file when it
// changes, so a cleared lesson is gone from its next request on. Never overwrites a file it cannot read.
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import { capsByProvider, parseCapsFile, serializeCaps, withoutProvider, type CapsData, type CapsProviderSummary } from "../proxy/caps.js";

export class ProviderCapsFile {
  constructor(readonly path: string) {}

  /** The file's contents; empty when there is none. Throws with a readable message when it is corrupt. */
  #read(): CapsData {
    const text = readTextFile(this.path);
    if (text === null) return { version: 1, entries: {} };
    try {
      return parseCapsFile(text);
    } catch (e) {
      throw new Error(`${this.path} cannot be read (${(e as Error).message}); the proxy keeps it aside on its next request`);
    }
  }

  list(nowMs = Date.now()): CapsProviderSummary[] {
    return capsByProvider(this.#read(), nowMs);
  }

  /** Forgets every lesson about `provider` (its endpoint URL); returns how many model entries went. */
  clear(provider: string): number {
    const data = this.#read();
    const kept = withoutProvider(data, provider);
    const removed = Object.keys(data.entries).length - Object.keys(kept.entries).length;
    if (removed > 0) writeFileAtomic(this.path, serializeCaps(kept), 0o600);
    return removed;
  }
}
