// Entry point of `codex-launcher-proxy`, the translate proxy process.
import "gi://GLib?version=2.0";
import "gi://Soup?version=3.0";
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import System from "system";
import { formatHelp, UsageError } from "../lib/cli-args.js";
import { onUnixSignal, SIGINT, SIGTERM } from "../lib/unix-signals.js";
import { APP_VERSION } from "../lib/version.js";
import { PROXY_FLAGS, resolveProxyCommand } from "./options.js";
import { createProxyApp, readModels } from "./app.js";
import { ListenError } from "./server.js";

const PROGRAM = "codex-launcher-proxy";
const decoder = new TextDecoder();

function readConfigFile(path: string): string {
  try {
    const [, bytes] = GLib.file_get_contents(path);
    return decoder.decode(bytes);
  } catch (e) {
    throw new UsageError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
}

function fail(message: string, exitCode: number, hint = ""): never {
  printerr(`${PROGRAM}: error: ${message}${hint}`);
  System.exit(exitCode);
  throw new Error("unreachable");
}

function main(argv: string[]): void {
  let command;
  try {
    command = resolveProxyCommand(argv, { CODEX_PROXY_API_KEY: GLib.getenv("CODEX_PROXY_API_KEY") ?? undefined,
      CODEX_PROXY_CREDENTIALS_FILE: GLib.getenv("CODEX_PROXY_CREDENTIALS_FILE") ?? undefined }, readConfigFile);
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, 2, ` (see ${PROGRAM} --help)`);
    throw e;
  }
  if (command.kind === "help") {
    print(formatHelp(PROGRAM, "Translates the OpenAI Responses API spoken by Codex to other providers' APIs.", PROXY_FLAGS));
    return;
  }
  if (command.kind === "version") {
    print(`${PROGRAM} ${APP_VERSION}`);
    return;
  }
  let models: string[];
  try {
    models = readModels(command.options);
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const { server, log } = createProxyApp(command.options, models);
  let port: number;
  try {
    port = server.listen();
  } catch (e) {
    if (e instanceof ListenError) fail(e.message, 1);
    throw e;
  }
  const loop = new GLib.MainLoop(null, false);
  const shutdown = () => {
    log.write("shutting down (signal)");
    server.stop();
    loop.quit();
  };
  onUnixSignal(SIGTERM, shutdown);
  onUnixSignal(SIGINT, shutdown);
  log.write(`${PROGRAM} ${APP_VERSION} started on ${command.options.host}:${port} backend=${command.options.backend} target=${command.options.targetUrl || "(none)"} pid=${new Gio.Credentials().get_unix_pid()}`);
  print(`${PROGRAM} ${APP_VERSION} listening on http://${command.options.host}:${port} (backend ${command.options.backend})`);
  loop.run();
}

main(System.programArgs);
