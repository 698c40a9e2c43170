// Codex itself: finding it, writing its config.toml for the proxy, and starting it.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { applyLauncherSettings, CodexConfigError, TOKEN_ENV } from "../lib/codex-config.js";
import { backupFile, readTextFile, setAside, writeFileAtomic } from "../lib/files.js";
import { buildModelCatalog, type Catalog } from "../lib/model-catalog.js";
import type { AppPaths } from "../lib/paths.js";
import { runCapture } from "../lib/subprocess.js";
import { shellQuote, TERMINALS } from "../lib/terminal.js";

Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

/** Codex only needs the variable to exist; the proxy holds the provider's real key. */
export const LOCAL_TOKEN = "codex-launcher-local";

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

export interface ConfigWrite {
  path: string;
  backup: string | null;
  catalogPath?: string;
  /** Where an unreadable config.toml was moved, when that happened. */
  keptAside?: string;
  problem?: string;
}

/**
 * Writes ~/.codex/config.toml so Codex talks to the proxy on `port` with `model`. The previous file
 * is backed up first; an unreadable one is kept aside (never overwritten) and a new one is written.
 */
export async function writeCodexConfig(paths: AppPaths, options: { port: number; model: string; endpointName: string; models: string[];
  codexPath: string | null }, log: (line: string) => void): Promise<ConfigWrite> {
  const path = paths.codexConfigToml;
  let catalogPath: string | undefined;
  if (options.codexPath) {
    const bundled = await bundledCatalog(options.codexPath, paths.codexHome);
    const wanted = [...new Set([options.model, ...options.models])].filter(Boolean);
    if (bundled && wanted.some((m) => !bundled.models.some((b) => b.slug === m))) {
      catalogPath = `${paths.codexHome}/codex-launcher-models.json`;
      writeFileAtomic(catalogPath, `${JSON.stringify(buildModelCatalog(bundled, wanted, options.endpointName), null, 2)}\n`, 0o644);
    } else if (!bundled) log("could not read Codex's model catalog; models it does not know will not get apply_patch");
  }
  const settings = { port: options.port, model: options.model, providerName: `${options.endpointName} (Codex Launcher)`, catalogPath };
  const current = readTextFile(path) ?? "";
  let text: string;
  let keptAside: string | undefined;
  let problem: string | undefined;
  try {
    text = applyLauncherSettings(current, settings);
  } catch (e) {
    if (!(e instanceof CodexConfigError)) throw e;
    keptAside = setAside(path);
    problem = `${path}: ${e.message}. Your file was kept as ${keptAside}; a new config.toml with only the launcher's settings was written. Copy your other settings back from the kept file.`;
    log(problem);
    text = applyLauncherSettings("", settings);
  }
  const backup = keptAside ? null : backupFile(path);
  writeFileAtomic(path, text, 0o600);
  return { path, backup, catalogPath, keptAside, problem };
}

export interface LaunchedCodex {
  argv: string[];
  /** Set in Codex's environment so the watchdog can find the real process behind the terminal. */
  sessionId: string;
}

/**
 * Opens the Codex CLI in the user's terminal, in `workdir`. A terminal that dies at once (a broken
 * x-terminal-emulator alternative, missing fonts, no display) is reported and the next one is tried.
 * Throws when none works.
 */
export async function launchCodexCli(codexPath: string, workdir: string, codexHome: string, log: (line: string) => void = () => {}): Promise<LaunchedCodex> {
  const sessionId = GLib.uuid_string_random();
  const script = [
    `cd ${shellQuote(workdir)} || exit 1`,
    `export ${TOKEN_ENV}=${LOCAL_TOKEN} CODEX_HOME=${shellQuote(codexHome)} CODEX_LAUNCHER_SESSION=${sessionId}`,
    `${shellQuote(codexPath)}`,
    `status=$?; echo; echo "Codex exited ($status). Press Enter to close this window."; read -r _`,
  ].join("\n");
  const tried: string[] = [];
  for (const terminal of TERMINALS) {
    const path = GLib.find_program_in_path(terminal.program);
    if (!path) continue;
    tried.push(terminal.program);
    const argv = [path, ...terminal.prefix, "sh", "-c", script];
    const proc = Gio.Subprocess.new(argv, Gio.SubprocessFlags.STDERR_PIPE);
    const early = await Promise.race([
      proc.wait_async(null).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1500)),
    ]);
    // Still running, or handed over to a terminal server (gnome-terminal exits 0): it worked.
    if (!early || proc.get_successful()) return { argv, sessionId };
    log(`${terminal.program} exited at once (${proc.get_if_exited() ? `status ${proc.get_exit_status()}` : `signal ${proc.get_term_sig()}`}); trying the next terminal`);
  }
  throw new Error(tried.length ? `no terminal could be started (tried ${tried.join(", ")})`
    : "no terminal found (tried x-terminal-emulator, gnome-terminal, kgx, konsole, xfce4-terminal, xterm)");
}

/** Starts Codex Desktop with the launcher's environment. */
export function launchCodexDesktop(desktopPath: string, codexHome: string): LaunchedCodex {
  const sessionId = GLib.uuid_string_random();
  const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.NONE });
  launcher.setenv(TOKEN_ENV, LOCAL_TOKEN, true);
  launcher.setenv("CODEX_HOME", codexHome, true);
  launcher.setenv("CODEX_LAUNCHER_SESSION", sessionId, true);
  launcher.spawnv([desktopPath]);
  return { argv: [desktopPath], sessionId };
}
