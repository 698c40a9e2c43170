// Codex itself: finding it, writing the launcher's Codex profile for the proxy, repairing what version
// 4.0.0 did to config.toml, and starting Codex (`codex --profile codex-launcher`).
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { buildLauncherProfile, CodexConfigError, hasLegacyEdits, parseCodexConfig, PROFILE_NAME, PROVIDER_ID, repairLegacyEdits } from "../lib/codex-config.js";
import { backupFile, ensurePrivateDir, readTextFile, resolveSymlinks, writeFileAtomic } from "../lib/files.js";
import { buildModelCatalog, type Catalog } from "../lib/model-catalog.js";
import type { AppPaths } from "../lib/paths.js";
import { isCodexArgv } from "../lib/proc-net.js";
import { argvOf, pidsWithEnv, readIdentity, terminateIfSame } from "../lib/processes.js";
import { runCapture } from "../lib/subprocess.js";
import { shellQuote, TERMINALS } from "../lib/terminal.js";
import { codexFlagChoices, parseLoginStatus, type ApprovalPolicy, type CodexLogin, type SandboxMode } from "./model/codex-login.js";

Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

export function findCodex(): string | null {
  const onPath = GLib.find_program_in_path("codex");
  if (onPath) return onPath;
  const home = GLib.get_home_dir();
  for (const candidate of [`${home}/.local/bin/codex`, `${home}/.npm-global/bin/codex`, "/usr/local/bin/codex"])
    if (GLib.file_test(candidate, GLib.FileTest.IS_EXECUTABLE)) return candidate;
  return null;
}

export function findCodexDesktop(): string | null {
  for (const candidate of ["/opt/codex-desktop/start.sh", GLib.find_program_in_path("codex-desktop")])
    if (candidate && GLib.file_test(candidate, GLib.FileTest.IS_EXECUTABLE)) return candidate;
  return null;
}

/** Codex's bundled model catalog (`codex debug models --bundled`), or null when it cannot tell. */
export async function bundledCatalog(codexPath: string, codexHome: string): Promise<Catalog | null> {
  GLib.mkdir_with_parents(codexHome, 0o700);
  const result = await runCapture([codexPath, "debug", "models", "--bundled"], { CODEX_HOME: codexHome }, 15000);
  if (!result.ok) return null;
  try {
    const catalog = JSON.parse(result.stdout) as Catalog;
    return Array.isArray(catalog.models) ? catalog : null;
  } catch {
    return null;
  }
}

/** The command that runs Codex through the launcher, for the user to type in other terminals. */
export function codexCommand(paths: AppPaths): string {
  const defaultHome = `${GLib.get_home_dir()}/.codex`;
  const home = paths.codexHome === defaultHome ? "" : `CODEX_HOME=${shellQuote(paths.codexHome)} `;
  return `${home}codex --profile ${PROFILE_NAME}`;
}

export interface ProfileWrite {
  path: string;
  catalogPath?: string;
}

/**
 * Writes ~/.codex/codex-launcher.config.toml (0600: it holds the client token) so that
 * `codex --profile codex-launcher` talks to the proxy on `port` with `model`; and, for models Codex does
 * not know, a model catalog that gives them a coding model's metadata (apply_patch and all).
 */
export async function writeLauncherProfile(paths: AppPaths, options: { port: number; model: string; endpointName: string; models: string[];
  codexPath: string | null; clientToken: string; longestSilenceS?: number }, log: (line: string) => void): Promise<ProfileWrite> {
  ensurePrivateDir(paths.codexHome);
  let catalogPath: string | undefined;
  if (options.codexPath) {
    const bundled = await bundledCatalog(options.codexPath, paths.codexHome);
    const wanted = [...new Set([options.model, ...options.models])].filter(Boolean);
    if (bundled && wanted.some((m) => !bundled.models.some((b) => b.slug === m))) {
      catalogPath = paths.codexCatalog;
      writeFileAtomic(catalogPath, `${JSON.stringify(buildModelCatalog(bundled, wanted, options.endpointName), null, 2)}\n`, 0o644);
    } else if (!bundled) log("could not read Codex's model catalog; models it does not know will not get apply_patch");
  }
  writeFileAtomic(paths.codexProfile, buildLauncherProfile({ port: options.port, model: options.model, clientToken: options.clientToken,
    providerName: `${options.endpointName} (Codex Launcher)`, catalogPath, longestSilenceS: options.longestSilenceS }), 0o600);
  return { path: paths.codexProfile, catalogPath };
}

/** config.toml backups (`config.toml.bak-*`), newest first. */
function backupsNewestFirst(configPath: string): string[] {
  const dir = GLib.path_get_dirname(configPath);
  const base = `${GLib.path_get_basename(configPath)}.bak-`;
  const names: string[] = [];
  try {
    const listing = Gio.File.new_for_path(dir).enumerate_children("standard::name", Gio.FileQueryInfoFlags.NONE, null);
    for (let info = listing.next_file(null); info; info = listing.next_file(null)) if (info.get_name().startsWith(base)) names.push(info.get_name());
    listing.close(null);
  } catch {
    return [];
  }
  return names.sort().reverse().map((n) => `${dir}/${n}`);
}

/**
 * Undoes version 4.0.0's edits of config.toml (its model_provider / model / provider table): the user's
 * own values come back from the newest backup written before the launcher changed the file. Run once at
 * start; a config.toml without those edits is not touched at all. Returns what it did, for the log.
 */
export function repairLegacyConfig(paths: AppPaths): string | null {
  const path = paths.codexConfigToml;
  let text: string | null;
  try {
    text = readTextFile(path);
  } catch (e) {
    return `cannot read ${path}: ${(e as Error).message}`;
  }
  if (!text) return null;
  try {
    if (!hasLegacyEdits(text)) return null;
  } catch (e) {
    if (e instanceof CodexConfigError) return null; // not ours to judge: Codex itself reports it
    throw e;
  }
  let before: string | null = null;
  for (const backup of backupsNewestFirst(resolveSymlinks(path))) {
    try {
      const candidate = readTextFile(backup);
      if (candidate !== null && parseCodexConfig(candidate).model_provider !== PROVIDER_ID && !hasLegacyEdits(candidate)) {
        before = candidate;
        break;
      }
    } catch {
      // an unreadable backup is skipped
    }
  }
  const repaired = repairLegacyEdits(text, before);
  const copy = backupFile(resolveSymlinks(path));
  writeFileAtomic(path, repaired, 0o600);
  return `config.toml: removed the settings an older Codex Launcher wrote there${before ? " and restored your own model and provider" : ""}` +
    ` (the launcher now uses its own profile: codex --profile ${PROFILE_NAME}; previous file kept as ${copy})`;
}

/** Codex's own session options, passed as its real flags. */
export interface CodexOptions {
  sandbox?: SandboxMode;
  approval?: ApprovalPolicy;
}

export function codexArgs(options: CodexOptions = {}): string[] {
  return ["--profile", PROFILE_NAME, ...(options.sandbox ? ["--sandbox", options.sandbox] : []), ...(options.approval ? ["--ask-for-approval", options.approval] : [])];
}

export interface LaunchedCodex {
  argv: string[];
  /** Set in Codex's environment so the watchdog can find the real process behind the terminal. */
  sessionId: string;
}

function sessionEnvironment(codexHome: string, sessionId: string): Gio.SubprocessLauncher {
  const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.STDERR_SILENCE });
  launcher.setenv("CODEX_HOME", codexHome, true);
  launcher.setenv("CODEX_LAUNCHER_SESSION", sessionId, true);
  return launcher;
}

const liveTerminals = new Set<Gio.Subprocess>();

/**
 * Runs `command` (an argv) in the user's terminal, in `workdir`, keeping the window open after it ends.
 * A terminal that dies at once (a broken x-terminal-emulator alternative, missing fonts, no display) is
 * reported and the next one is tried. Throws when none works.
 */
async function openInTerminal(command: string[], workdir: string, codexHome: string, log: (line: string) => void, what: string): Promise<LaunchedCodex> {
  const sessionId = GLib.uuid_string_random();
  const script = [
    `cd ${shellQuote(workdir)} || exit 1`,
    command.map(shellQuote).join(" "),
    `status=$?; echo; echo "${what} exited ($status). Press Enter to close this window."; read -r _`,
  ].join("\n");
  const tried: string[] = [];
  for (const terminal of TERMINALS) {
    const path = GLib.find_program_in_path(terminal.program);
    if (!path) continue;
    tried.push(terminal.program);
    const argv = [path, ...terminal.prefix, "sh", "-c", script];
    const proc = sessionEnvironment(codexHome, sessionId).spawnv(argv);
    // Held until the terminal exits: a wrapper collected while its wait is pending makes gjs call back
    // into JS during a GC sweep (the callback is then dropped, and timers with it).
    liveTerminals.add(proc);
    const exited = proc.wait_async(null).finally(() => liveTerminals.delete(proc));
    const early = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1500)),
    ]);
    // Still running, or handed over to a terminal server (gnome-terminal exits 0): it worked.
    if (!early || proc.get_successful()) return { argv, sessionId };
    log(`${terminal.program} exited at once (${proc.get_if_exited() ? `status ${proc.get_exit_status()}` : `signal ${proc.get_term_sig()}`}); trying the next terminal`);
  }
  throw new Error(tried.length ? `no terminal could be started (tried ${tried.join(", ")})`
    : "no terminal found (tried x-terminal-emulator, gnome-terminal, kgx, konsole, xfce4-terminal, xterm)");
}

/**
 * Opens the Codex CLI in the user's terminal, in `workdir`, as `codex --profile codex-launcher` with the
 * chosen sandbox and approval flags.
 */
export function launchCodexCli(codexPath: string, workdir: string, codexHome: string, log: (line: string) => void = () => {},
  options: CodexOptions = {}): Promise<LaunchedCodex> {
  // No secret on any command line: the client token is in the profile file (0600).
  return openInTerminal([codexPath, ...codexArgs(options)], workdir, codexHome, log, "Codex");
}

/** `codex login` in a terminal (Codex's own sign-in: browser or device code), for the Re-login button. */
export function launchCodexLogin(codexPath: string, codexHome: string, log: (line: string) => void = () => {}): Promise<LaunchedCodex> {
  return openInTerminal([codexPath, "login"], GLib.get_home_dir(), codexHome, log, "codex login");
}

/** The sandbox modes and approval policies the installed Codex accepts (from `codex --help`). */
export async function codexFlagsAccepted(codexPath: string, codexHome: string): Promise<ReturnType<typeof codexFlagChoices>> {
  GLib.mkdir_with_parents(codexHome, 0o700);
  const result = await runCapture([codexPath, "--help"], { CODEX_HOME: codexHome }, 15000);
  return result.ok ? codexFlagChoices(result.stdout) : { sandbox: null, approval: null };
}

/** Codex's own login state (`codex login status`). */
export async function codexLoginStatus(codexPath: string, codexHome: string): Promise<CodexLogin> {
  GLib.mkdir_with_parents(codexHome, 0o700);
  const result = await runCapture([codexPath, "login", "status"], { CODEX_HOME: codexHome }, 15000);
  return parseLoginStatus(result.ok ? 0 : 1, `${result.stdout}\n${result.stderr}`);
}

/** Starts Codex Desktop with the launcher's profile. */
export function launchCodexDesktop(desktopPath: string, codexHome: string): LaunchedCodex {
  const sessionId = GLib.uuid_string_random();
  const argv = [desktopPath, "--profile", PROFILE_NAME];
  sessionEnvironment(codexHome, sessionId).spawnv(argv);
  return { argv, sessionId };
}

/** The Codex we launched in that session (not the shell or terminal around it, not Codex's daemon). */
export function codexSessionPids(sessionId: string): number[] {
  return pidsWithEnv("CODEX_LAUNCHER_SESSION", sessionId).filter((pid) => isCodexArgv(argvOf(pid)));
}

/** Ends the Codex of a session we launched — only on the user's explicit request ("stop both"). */
export async function stopCodexSession(sessionId: string): Promise<number> {
  let stopped = 0;
  for (const pid of codexSessionPids(sessionId)) {
    const identity = readIdentity(pid);
    if (identity && (await terminateIfSame(identity, 3000)) !== "not-ours") stopped++;
  }
  return stopped;
}
