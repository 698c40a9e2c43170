// incident-store.json on disk: one owner, atomic writes, a corrupt file kept aside (with an alert) and a
// fresh store started.
import { copyAside, readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import { emptyStore, parseIncidentStore, serializeIncidentStore, type IncidentStoreData } from "./incidents.js";

export class IncidentFile {
  data: IncidentStoreData = emptyStore();

  constructor(readonly path: string, private readonly onProblem: (message: string) => void) {}

  load(): IncidentStoreData {
    const text = readTextFile(this.path);
    if (text === null || text.trim() === "") {
      this.data = emptyStore();
      return this.data;
    }
    try {
      this.data = parseIncidentStore(text);
    } catch (e) {
      const aside = setAside(this.path);
      this.onProblem(`the incident store ${this.path} could not be read (${(e as Error).message}); it was kept as ${aside} and a new store was started`);
      this.data = emptyStore();
    }
    return this.data;
  }

  save(data: IncidentStoreData): void {
    this.data = data;
    writeFileAtomic(this.path, serializeIncidentStore(data), 0o600);
  }

  /** Forgets every learned pattern (the AI usage stats stay); the old file is kept as a dated copy. */
  clear(): string | null {
    const copy = copyAside(this.path, "cleared");
    this.save({ ...emptyStore(), stats: this.data.stats });
    return copy;
  }
}
