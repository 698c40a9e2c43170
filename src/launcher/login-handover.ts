// How a Google login reaches the proxy, and how the proxy's renewals come back. A login stored by the
// launcher (keyring or key file) is copied to a 0600 file in a 0700 directory that lives as long as the
// proxy; the proxy writes renewed tokens there (atomically) and a file monitor carries them back to the
// store. Without a stored login the proxy uses the Gemini CLI's own ~/.gemini/oauth_creds.json, which it
// renews in place like the CLI. The login never travels on a command line.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { ensurePrivateDir, readTextFile, removeFile, writeFileAtomic } from "../lib/files.js";
import { GoogleCredentialsError, parseCredentials } from "../lib/google-oauth.js";
import type { AppPaths } from "../lib/paths.js";

/** The part of a proxy spec the handover reads and renews (apiKey holds the stored login's JSON). */
export interface LoginSpec {
  endpointName: string;
  apiKey: string;
}

export class LoginHandover {
  #file: string | null = null;
  #monitor: Gio.FileMonitor | null = null;
  /** Told when the proxy renewed a stored login's access token, so the store keeps the new one. */
  onRenewed: ((endpointName: string, text: string) => Promise<void>) | null = null;

  constructor(private readonly paths: AppPaths, private readonly log: (line: string) => void, private readonly temporary = false) {}

  /** The login file currently handed to a proxy (null: none, or the Gemini CLI's own). */
  get file(): string | null {
    return this.#file;
  }

  /** The path the proxy is told in CODEX_PROXY_CREDENTIALS_FILE. */
  hand(spec: LoginSpec): string {
    this.release(spec);
    if (!spec.apiKey.trim()) return this.paths.geminiCliCredentials;
    ensurePrivateDir(this.paths.oauthDir);
    const path = `${this.paths.oauthDir}/login-${GLib.uuid_string_random().slice(0, 12)}.json`;
    writeFileAtomic(path, spec.apiKey, 0o600);
    this.#file = path;
    // The directory is watched: an atomic rename replaces the file itself.
    const monitor = Gio.File.new_for_path(this.paths.oauthDir).monitor_directory(Gio.FileMonitorFlags.WATCH_MOVES, null);
    monitor.connect("changed", (_m, file: Gio.File, other: Gio.File | null) => {
      if (file.get_path() === path || other?.get_path() === path) this.#sync(path, spec);
    });
    this.#monitor = monitor;
    return path;
  }

  /** The proxy is gone: the last renewal is kept, the copy removed. */
  release(spec: LoginSpec | null): void {
    const path = this.#file;
    this.#monitor?.cancel();
    this.#monitor = null;
    this.#file = null;
    if (!path) return;
    if (spec) this.#sync(path, spec);
    removeFile(path);
  }

  /** A new sign-in: the running proxy reads its file per request, so rewriting it is enough. */
  replace(text: string): boolean {
    if (!this.#file) return false;
    writeFileAtomic(this.#file, text, 0o600);
    return true;
  }

  /** Takes a renewed login from the proxy's file into the spec (restarts reuse it) and the store. */
  #sync(path: string, spec: LoginSpec): void {
    let text: string | null;
    try {
      text = readTextFile(path);
    } catch {
      return;
    }
    if (!text || text === spec.apiKey) return;
    try {
      // Only a renewal of the same login, never something else that appeared in the file.
      if (parseCredentials(text).refresh_token !== parseCredentials(spec.apiKey).refresh_token) return;
    } catch (e) {
      if (e instanceof GoogleCredentialsError) return;
      throw e;
    }
    spec.apiKey = text;
    if (this.temporary || !this.onRenewed) return;
    this.onRenewed(spec.endpointName, text).catch((e) => this.log(`could not store the renewed Google login: ${(e as Error).message}`));
  }
}
