// API keys: the desktop keyring through libsecret, or a 0600 JSON file when no keyring runs
// (headless sessions, minimal desktops). Keys never go to logs.
import GLib from "gi://GLib";
import { readTextFile, writeFileAtomic } from "./files.js";

export interface SecretStore {
  readonly kind: "keyring" | "file";
  lookup(account: string): Promise<string | null>;
  store(account: string, secret: string, label: string): Promise<void>;
  clear(account: string): Promise<void>;
}

const SCHEMA_NAME = "com.codexlauncher.ApiKey";

type SecretModule = typeof import("gi://Secret?version=1").default;

class KeyringStore implements SecretStore {
  readonly kind = "keyring";
  readonly #schema;

  constructor(private readonly Secret: SecretModule) {
    this.#schema = Secret.Schema.new(SCHEMA_NAME, Secret.SchemaFlags.NONE, { account: Secret.SchemaAttributeType.STRING });
  }

  lookup(account: string): Promise<string | null> {
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

  store(account: string, secret: string, label: string): Promise<void> {
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

  clear(account: string): Promise<void> {
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

  constructor(readonly path: string) {}

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
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, secrets }, null, 2)}\n`, 0o600);
  }

  async clear(account: string): Promise<void> {
    const secrets = this.#read();
    if (!(account in secrets)) return;
    delete secrets[account];
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, secrets }, null, 2)}\n`, 0o600);
  }
}

/**
 * The keyring when libsecret is installed and a Secret Service answers within `timeoutMs`, else the
 * file store. `preferFile` forces the file (tests, and users who ask for it).
 */
export async function openSecretStore(fallbackPath: string, options: { preferFile?: boolean; timeoutMs?: number } = {}): Promise<SecretStore> {
  const file = new FileSecretStore(fallbackPath);
  if (options.preferFile || GLib.getenv("CODEX_LAUNCHER_SECRETS") === "file") return file;
  let Secret: SecretModule;
  try {
    Secret = (await import("gi://Secret?version=1")).default;
  } catch {
    return file; // gir1.2-secret-1 not installed
  }
  const keyring = new KeyringStore(Secret);
  const probe = keyring.lookup("__codex_launcher_probe__").then(() => true, () => false);
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), options.timeoutMs ?? 3000));
  return (await Promise.race([probe, timeout])) ? keyring : file;
}
