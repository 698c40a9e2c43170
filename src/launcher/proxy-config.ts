// ~/.cache/codex-proxy/proxy-config.json: the proxy this user's launcher runs (port, identity, endpoint)
// and the client token Codex must present to it. 0600 in a 0700 directory: it holds the token.
import Gio from "gi://Gio";
import { ensurePrivateDir, readTextFile, writeFileAtomic } from "../lib/files.js";
import type { AppPaths } from "../lib/paths.js";
import { isProcessIdentity, type ProcessIdentity } from "../lib/process-identity.js";

export interface ProxyConfigDoc {
  client_token?: string;
  port?: number;
  /** The running proxy's identity (pid, start time, program), for adoption and clean-up. */
  identity?: ProcessIdentity;
  pid?: number;
  backend?: string;
  target_url?: string;
  /** The endpoint, or the AI BGP pool when `pool` is true. */
  endpoint?: string;
  pool?: boolean;
  model?: string;
  started_at?: string;
  /** The user chose to keep the proxy running after the launcher closed. */
  kept?: boolean;
}

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function readProxyConfig(paths: AppPaths): ProxyConfigDoc {
  let text: string | null;
  try {
    text = readTextFile(paths.proxyConfig);
  } catch {
    return {};
  }
  if (!text) return {};
  try {
    const doc = JSON.parse(text) as ProxyConfigDoc;
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return {};
    if (doc.identity !== undefined && !isProcessIdentity(doc.identity)) delete doc.identity;
    return doc;
  } catch {
    // A broken file only loses the port memory; the token is made anew below.
    return {};
  }
}

export function writeProxyConfig(paths: AppPaths, doc: ProxyConfigDoc): void {
  ensurePrivateDir(paths.cacheDir);
  writeFileAtomic(paths.proxyConfig, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
}

/** Merges `change` into proxy-config.json (the token and other fields stay). */
export function updateProxyConfig(paths: AppPaths, change: Partial<ProxyConfigDoc>): ProxyConfigDoc {
  const doc = { ...readProxyConfig(paths), ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete (doc as Record<string, unknown>)[k];
  writeProxyConfig(paths, doc);
  return doc;
}

/** 256 random bits from the kernel (not GLib's non-cryptographic PRNG), as hex. */
function randomToken(): string {
  const stream = Gio.File.new_for_path("/dev/urandom").read(null);
  try {
    const bytes = stream.read_bytes(32, null).toArray();
    if (!bytes || bytes.length !== 32) throw new Error("short read from /dev/urandom");
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  } finally {
    stream.close(null);
  }
}

/**
 * The client token: made once (256 bits), then kept across proxy restarts and launcher restarts, so a
 * Codex started earlier keeps working with a proxy the launcher adopts or restarts.
 */
export function loadOrCreateClientToken(paths: AppPaths): string {
  const doc = readProxyConfig(paths);
  if (typeof doc.client_token === "string" && TOKEN_PATTERN.test(doc.client_token)) {
    // Keep the file private even if something loosened it.
    writeProxyConfig(paths, doc);
    return doc.client_token;
  }
  const token = randomToken();
  writeProxyConfig(paths, { ...doc, client_token: token });
  return token;
}
