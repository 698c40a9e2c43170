// Entry point of `codex-launcher`, the desktop app. GI versions are pinned before anything else loads.
import "gi://Gtk?version=3.0";
import "gi://Gdk?version=3.0";
import "gi://Soup?version=3.0";
import GLib from "gi://GLib";
import System from "system";
import { formatHelp, parseFlags, UsageError, type FlagSpecs } from "../lib/cli-args.js";
import { APP_ID, APP_VERSION } from "../lib/version.js";
import { CodexLauncherApplication } from "../ui/application.js";
import { runHeadless } from "./headless.js";

const PROGRAM = "codex-launcher";

const APP_FLAGS = {
  version: { kind: "bool", help: "print the version and exit" },
  help: { kind: "bool", help: "show this help and exit" },
  headless: { kind: "bool", help: "run the proxy and the AI Monitoring watchdog without a window" },
  endpoint: { kind: "string", help: "with --headless: the endpoint or AI BGP pool to serve (default: the default one)" },
  model: { kind: "string", help: "with --headless: the model (default: the endpoint's default model)" },
  "no-config": { kind: "bool", help: "with --headless: leave ~/.codex/config.toml alone" },
} as const satisfies FlagSpecs;

function main(argv: string[]): number {
  // GTK's own options (e.g. --display) are not ours to reject, so only our flags are parsed strictly
  // when present; everything else goes to Gtk.Application.
  const ours: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = Object.keys(APP_FLAGS).find((n) => argv[i] === `--${n}` || argv[i].startsWith(`--${n}=`));
    if (!name) continue;
    ours.push(argv[i]);
    if (APP_FLAGS[name as keyof typeof APP_FLAGS].kind === "string" && !argv[i].includes("=") && i + 1 < argv.length) ours.push(argv[++i]);
  }
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
  if (flags.headless) {
    let code = 1;
    const loop = new GLib.MainLoop(null, false);
    runHeadless({ endpoint: flags.endpoint, model: flags.model, writeConfig: !flags["no-config"] })
      .then((c) => (code = c), (e) => printerr(`${PROGRAM}: error: ${(e as Error).message}`))
      .finally(() => loop.quit());
    loop.run();
    return code;
  }
  // WM_CLASS must match the desktop file's name so the shell groups the window under its launcher.
  GLib.set_prgname(APP_ID);
  const app = new CodexLauncherApplication();
  return app.run([System.programInvocationName, ...argv]);
}

System.exit(main(System.programArgs));
