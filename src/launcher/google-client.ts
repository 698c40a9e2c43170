// Where the Google OAuth client comes from (see GoogleClient in lib/google-oauth.ts): the environment,
// else the installed Gemini CLI's own code. Nothing of it is kept in this repository.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { clientFromEnv, clientFromSource, CLIENT_ID_ENV, CLIENT_SECRET_ENV, type GoogleClient } from "../lib/google-oauth.js";
import { readTextFile } from "../lib/files.js";

const CORE_OAUTH = "@google/gemini-cli-core/dist/src/code_assist/oauth2.js";
/** The Gemini CLI's bundle is a few MB; anything much larger is not it. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

/** Follows symlinks (npm's bin entries are links into the package). */
function realPath(path: string): string {
  let current = path;
  for (let hops = 0; hops < 16; hops++) {
    let info: Gio.FileInfo;
    try {
      info = Gio.File.new_for_path(current).query_info("standard::is-symlink,standard::symlink-target", Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    } catch {
      return current;
    }
    const target = info.get_is_symlink() ? info.get_symlink_target() : null;
    if (!target) return current;
    current = GLib.canonicalize_filename(target, GLib.path_get_dirname(current));
  }
  return current;
}

/** Files of a Gemini CLI install that declare its OAuth client, nearest first. */
function candidateFiles(geminiProgram: string): string[] {
  const files = [geminiProgram];
  let dir = GLib.path_get_dirname(geminiProgram);
  for (let up = 0; up < 6 && dir !== "/"; up++, dir = GLib.path_get_dirname(dir)) {
    files.push(`${dir}/bundle/gemini.js`, `${dir}/node_modules/${CORE_OAUTH}`, `${GLib.path_get_dirname(dir)}/${CORE_OAUTH.slice("@google/".length)}`);
  }
  return files;
}

/** What the Gemini CLI install declared, per program path: its bundle is megabytes, read once. */
const found = new Map<string, GoogleClient>();

function fromGeminiCli(): GoogleClient | null {
  const program = GLib.find_program_in_path("gemini");
  if (!program) return null;
  const real = realPath(program);
  const known = found.get(real);
  if (known) return known;
  for (const file of candidateFiles(real)) {
    if (!GLib.file_test(file, GLib.FileTest.IS_REGULAR)) continue;
    const size = Gio.File.new_for_path(file).query_info("standard::size", Gio.FileQueryInfoFlags.NONE, null).get_size();
    if (size > MAX_SOURCE_BYTES) continue;
    const client = clientFromSource(readTextFile(file) ?? "");
    if (client) {
      found.set(real, client);
      return client;
    }
  }
  return null;
}

/**
 * The OAuth client for "Sign in with Google" and for renewing a Google login: the environment's, else
 * the installed Gemini CLI's. Throws with what to do when neither is there.
 */
export function googleClient(): GoogleClient {
  const client = googleClientOrNull();
  if (client) return client;
  throw new Error("Google sign-in uses the Gemini CLI's OAuth client, and none was found: install the Gemini CLI " +
    `(npm install -g @google/gemini-cli) or set ${CLIENT_ID_ENV} and ${CLIENT_SECRET_ENV}`);
}

/** The same, or null when there is none (the caller reports it where it matters). */
export function googleClientOrNull(): GoogleClient | null {
  return clientFromEnv((name) => GLib.getenv(name)) ?? fromGeminiCli();
}
