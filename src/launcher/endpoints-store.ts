// endpoints.json on disk plus the API keys in the secret store.
import { readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import { duplicateEndpoint, EMPTY_DOC, parseEndpoints, removeEndpoint, serializeEndpoints, setDefaultEndpoint, upsertEndpoint, type Endpoint,
  type EndpointsDoc } from "../lib/endpoints.js";
import { GoogleCredentialsError, parseCredentials } from "../lib/google-oauth.js";
import type { SecretStore } from "../lib/secrets.js";
import { readSessionOptions, type SessionOptions } from "./model/codex-login.js";

const account = (name: string) => `endpoint:${name}`;

export class EndpointsStore {
  doc: EndpointsDoc = EMPTY_DOC;
  /** Set when the file could not be used; shown to the user. */
  loadError: string | null = null;
  /** The AI BGP pools `default` may name instead of an endpoint. */
  poolNames: () => readonly string[] = () => [];

  constructor(readonly path: string, readonly secrets: SecretStore, private readonly log: (line: string) => void) {}

  load(): EndpointsDoc {
    this.loadError = null;
    const text = readTextFile(this.path);
    if (text === null || text.trim() === "") {
      this.doc = EMPTY_DOC;
      return this.doc;
    }
    try {
      this.doc = parseEndpoints(text, this.poolNames());
    } catch (e) {
      const aside = setAside(this.path);
      this.loadError = `${this.path} could not be read (${(e as Error).message}). It was kept as ${aside}; starting with no endpoints.`;
      this.log(this.loadError);
      this.doc = EMPTY_DOC;
    }
    return this.doc;
  }

  save(doc: EndpointsDoc): void {
    writeFileAtomic(this.path, serializeEndpoints(doc), 0o600);
    this.doc = doc;
  }

  /**
   * Saves an edited or new endpoint with its key: the key first (a rename moves it), then the file, so
   * a failure leaves no endpoint without its key.
   */
  async saveEndpoint(endpoint: Endpoint, apiKey: string, originalName?: string): Promise<void> {
    if (originalName && originalName !== endpoint.name) await this.renameKey(originalName, endpoint.name);
    await this.setKey(endpoint.name, apiKey);
    this.save(upsertEndpoint(this.doc, endpoint, originalName));
  }

  /** A copy named "<name> (copy)", with the same key. */
  async duplicate(name: string): Promise<Endpoint> {
    const { doc, copy } = duplicateEndpoint(this.doc, name);
    await this.setKey(copy.name, await this.keyFor(name));
    this.save(doc);
    return copy;
  }

  async remove(name: string): Promise<void> {
    this.save(removeEndpoint(this.doc, name));
    await this.deleteKey(name);
  }

  setDefault(name: string): void {
    this.save(setDefaultEndpoint(this.doc, name));
  }

  /** The sandbox and approval the launched Codex gets (endpoints.json's codex_session section). */
  get sessionOptions(): SessionOptions {
    return readSessionOptions(this.doc.codex_session);
  }

  saveSessionOptions(options: SessionOptions): void {
    const current = this.sessionOptions;
    if (current.sandbox === options.sandbox && current.approval === options.approval) return;
    this.save({ ...this.doc, codex_session: { sandbox: options.sandbox, approval: options.approval } });
  }

  /** The key for an endpoint: the secret store first, else a key the original app left in the file. */
  async keyFor(name: string): Promise<string> {
    const stored = await this.secrets.lookup(account(name));
    return stored ?? this.doc.endpoints.find((e) => e.name === name)?.api_key ?? "";
  }

  async setKey(name: string, key: string): Promise<void> {
    if (key) await this.secrets.store(account(name), key, `Codex Launcher API key for ${name}`);
    else await this.secrets.clear(account(name));
  }

  /**
   * Keeps a renewed Google login (a new access token for the same refresh token). A login replaced
   * meanwhile (signed in again) is not overwritten by the old one's renewal.
   */
  async updateLogin(name: string, text: string): Promise<boolean> {
    const current = await this.keyFor(name);
    try {
      if (!current || parseCredentials(current).refresh_token !== parseCredentials(text).refresh_token) return false;
    } catch (e) {
      if (e instanceof GoogleCredentialsError) return false;
      throw e;
    }
    if (current === text) return false;
    await this.setKey(name, text);
    return true;
  }

  async renameKey(oldName: string, newName: string): Promise<void> {
    if (oldName === newName) return;
    const key = await this.secrets.lookup(account(oldName));
    if (key) await this.setKey(newName, key);
    await this.secrets.clear(account(oldName));
  }

  async deleteKey(name: string): Promise<void> {
    await this.secrets.clear(account(name));
  }

  /** Moves keys the original app stored in plain text into the secret store. */
  async migratePlaintextKeys(): Promise<number> {
    const withKeys = this.doc.endpoints.filter((e) => e.api_key);
    if (withKeys.length === 0) return 0;
    for (const e of withKeys) await this.setKey(e.name, e.api_key);
    this.save({ ...this.doc, endpoints: this.doc.endpoints.map((e) => ({ ...e, api_key: "" })) });
    return withKeys.length;
  }

  /**
   * At start: moves plain-text keys into the store, and says in one truthful line where keys are kept
   * (and what happened to those that could not move).
   */
  async settleKeys(): Promise<{ line: string; migrated: number; error: string | null }> {
    const where = `API keys are kept in ${this.secrets.where}`;
    const pending = this.doc.endpoints.filter((e) => e.api_key).length;
    try {
      const migrated = await this.migratePlaintextKeys();
      return { line: migrated ? `${where}; moved ${migrated} key(s) there from endpoints.json` : where, migrated, error: null };
    } catch (e) {
      const error = (e as Error).message;
      return { line: `${where}; ${pending} key(s) could not be moved there and stay in ${this.path} for now (${error})`, migrated: 0, error };
    }
  }
}
