// API keys: the desktop keyring through libsecret, or a 0600 JSON file when no keyring runs
// (headless sessions, minimal desktops). Keys never go to logs.
import type Gio from "gi://Gio";
import GLib from "gi://GLib";
import { ensurePrivateDir, readTextFile, writeFileAtomic } from "./files.js";

export interface SecretStore {
  readonly kind: "keyring" | "file";
  /** Where keys are kept, in words for the log and the first-run screen (one truthful line). */
  readonly where: string;
  lookup(account: string): Promise<string | null>;
  store(account: string, secret: string, label: string): Promise<void>;
  clear(account: string): Promise<void>;
}

const SCHEMA_NAME = "com.codexlauncher.ApiKey";

type SecretModule = typeof import("gi://Secret?version=1").default;

function schemaOf(Secret: SecretModule) {
  return Secret.Schema.new(SCHEMA_NAME, Secret.SchemaFlags.NONE, { account: Secret.SchemaAttributeType.STRING });
}

/**
 * The desktop keyring. Keys kept in the 0600 file while no keyring was usable are still found (read
 * from the file when the keyring has none) and move into the keyring the next time they are saved.
 */
class KeyringStore implements SecretStore {
  readonly kind = "keyring";
  readonly #schema;

  constructor(private readonly Secret: SecretModule, readonly where: string, private readonly file: FileSecretStore) {
    this.#schema = schemaOf(Secret);
  }

  async lookup(account: string): Promise<string | null> {
    return (await this.#lookup(account)) ?? (await this.file.lookup(account));
  }

  #lookup(account: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      this.Secret.password_lookup(this.#schema, { account }, null, (_s, result) => {
        try {
          resolve(this.Secret.password_lookup_finish(result));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  async store(account: string, secret: string, label: string): Promise<void> {
    await this.#store(account, secret, label);
    await this.file.clear(account);
  }

  #store(account: string, secret: string, label: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.Secret.password_store(this.#schema, { account }, this.Secret.COLLECTION_DEFAULT, label, secret, null, (_s, result) => {
        try {
          this.Secret.password_store_finish(result);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  async clear(account: string): Promise<void> {
    await this.#clear(account);
    await this.file.clear(account);
  }

  #clear(account: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.Secret.password_clear(this.#schema, { account }, null, (_s, result) => {
        try {
          this.Secret.password_clear_finish(result);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }
}

/** `{"version": 1, "secrets": {account: secret}}`, mode 0600. */
export class FileSecretStore implements SecretStore {
  readonly kind = "file";
  readonly where: string;

  constructor(readonly path: string, why = "") {
    this.where = `${path} (mode 0600${why ? `; ${why}` : ""})`;
  }

  #read(): Record<string, string> {
    const text = readTextFile(this.path);
    if (!text) return {};
    try {
      const data = JSON.parse(text) as { secrets?: Record<string, string> };
      return data.secrets && typeof data.secrets === "object" ? data.secrets : {};
    } catch (e) {
      throw new Error(`${this.path} is not valid JSON (${(e as Error).message}); fix or remove it to store keys`);
    }
  }

  async lookup(account: string): Promise<string | null> {
    return this.#read()[account] ?? null;
  }

  async store(account: string, secret: string): Promise<void> {
    const secrets = this.#read();
    secrets[account] = secret;
    this.#write(secrets);
  }

  async clear(account: string): Promise<void> {
    const secrets = this.#read();
    if (!(account in secrets)) return;
    delete secrets[account];
    this.#write(secrets);
  }

  #write(secrets: Record<string, string>): void {
    // Its directory (~/.codex, which Codex creates 0755) is made private too: the profile write does so,
    // but with --no-config nothing else would, and a key file belongs in a 0700 directory.
    try {
      ensurePrivateDir(GLib.path_get_dirname(this.path));
    } catch {
      // A directory that is not ours to change: the key file itself is still 0600.
    }
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, secrets }, null, 2)}\n`, 0o600);
  }
}

/** What the start-up probe found, without ever asking the user for a password. */
export type KeyringState =
  | { usable: true; collection: string }
  | { usable: false; why: string };

function callAsync<T>(start: (callback: (source: unknown, result: Gio.AsyncResult) => void) => void, finish: (result: Gio.AsyncResult) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    start((_s, result) => {
      try {
        resolve(finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * Is there a default keyring collection, and is it unlocked? Only questions that never prompt: a
 * missing default collection would make gnome-keyring ask for a new keyring password on the first
 * store, and a locked one would ask to unlock it on the first lookup — neither may happen at start.
 */
export async function probeKeyring(Secret: SecretModule): Promise<KeyringState> {
  let service;
  try {
    service = await callAsync((cb) => Secret.Service.get(Secret.ServiceFlags.NONE, null, cb), (r) => Secret.Service.get_finish(r));
  } catch (e) {
    return { usable: false, why: `no desktop keyring answered (${(e as Error).message})` };
  }
  let collection;
  try {
    collection = await callAsync((cb) => Secret.Collection.for_alias(service, "default", Secret.CollectionFlags.NONE, null, cb),
      (r) => Secret.Collection.for_alias_finish(r));
  } catch (e) {
    return { usable: false, why: `the desktop keyring could not be asked (${(e as Error).message})` };
  }
  if (!collection) return { usable: false, why: "the desktop keyring has no default collection (creating one would ask for a new password)" };
  // Reading a locked collection prompts to unlock it: keys kept there wait until it is unlocked.
  if (collection.get_locked()) return { usable: false, why: "the desktop keyring is locked (unlock it and restart the launcher to use keys kept there)" };
  return { usable: true, collection: collection.get_label() || "default" };
}

/**
 * The keyring when libsecret is installed and its default collection exists and is unlocked (asked
 * within `timeoutMs`), else the 0600 file store. `preferFile` forces the file (tests, and users who set
 * CODEX_LAUNCHER_SECRETS=file). Never prompts.
 */
export async function openSecretStore(fallbackPath: string, options: { preferFile?: boolean; timeoutMs?: number } = {}): Promise<SecretStore> {
  if (options.preferFile || GLib.getenv("CODEX_LAUNCHER_SECRETS") === "file") return new FileSecretStore(fallbackPath, "chosen instead of the keyring");
  let Secret: SecretModule;
  try {
    Secret = (await import("gi://Secret?version=1")).default;
  } catch {
    return new FileSecretStore(fallbackPath, "libsecret (gir1.2-secret-1) is not installed");
  }
  const timeoutMs = options.timeoutMs ?? 3000;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<KeyringState>((resolve) => {
    timer = setTimeout(() => resolve({ usable: false, why: `the desktop keyring did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  const state = await Promise.race([probeKeyring(Secret), timeout]);
  if (timer) clearTimeout(timer);
  const file = new FileSecretStore(fallbackPath, state.usable ? "" : state.why);
  return state.usable ? new KeyringStore(Secret, `the desktop keyring ('${state.collection}' collection)`, file) : file;
}
