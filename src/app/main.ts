// Entry point of `codex-launcher`, the desktop app. GI versions are pinned before anything else loads.
import "gi://Gtk?version=3.0";
import "gi://Gdk?version=3.0";
import "gi://Soup?version=3.0";
import GLib from "gi://GLib";
import System from "system";
import { formatHelp, parseFlags, UsageError, type FlagSpecs } from "../lib/cli-args.js";
import { APP_ID, APP_VERSION } from "../lib/version.js";
import { CodexLauncherApplication } from "../ui/application.js";

const PROGRAM = "codex-launcher";

const APP_FLAGS = {
  version: { kind: "bool", help: "print the version and exit" },
  help: { kind: "bool", help: "show this help and exit" },
} as const satisfies FlagSpecs;

function main(argv: string[]): number {
  // GTK's own options (e.g. --display) are not ours to reject, so only our flags are parsed strictly
  // when present; everything else goes to Gtk.Application.
  const ours = argv.filter((arg) => Object.keys(APP_FLAGS).some((name) => arg === `--${name}`));
  let flags;
  try {
    flags = parseFlags(APP_FLAGS, ours);
  } catch (e) {
    if (e instanceof UsageError) {
      printerr(`${PROGRAM}: error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (flags.help) {
    print(formatHelp(PROGRAM, "Run OpenAI Codex on any AI provider.", APP_FLAGS));
    return 0;
  }
  if (flags.version) {
    print(`${PROGRAM} ${APP_VERSION}`);
    return 0;
  }
  // WM_CLASS must match the desktop file's name so the shell groups the window under its launcher.
  GLib.set_prgname(APP_ID);
  const app = new CodexLauncherApplication();
  return app.run([System.programInvocationName, ...argv]);
}

System.exit(main(System.programArgs));
