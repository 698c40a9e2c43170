// Entry point of `codex-launcher-proxy`, the translate proxy process.
import "gi://GLib?version=2.0";
import "gi://Soup?version=3.0";
import GLib from "gi://GLib";
import System from "system";
import { formatHelp, UsageError } from "../lib/cli-args.js";
import { readTextFile, removeFile, writeFileAtomic } from "../lib/files.js";
import { readIdentity } from "../lib/processes.js";
import { onUnixSignal, SIGINT, SIGTERM } from "../lib/unix-signals.js";
import { APP_VERSION } from "../lib/version.js";
import { PROXY_FLAGS, resolveProxyCommand, type ProxyOptions } from "./options.js";
import { createProxyApp, readModels, type ProxyApp } from "./app.js";
import { formatLogLine } from "./log-lines.js";
import { ownershipState } from "./ownership.js";
import { ListenError } from "./server.js";
import { SELF_TEST_CASES } from "./translate/command-code/self-test-cases.js";
import { parseSelfTestCases, runSelfTest, selfTestReport, type SelfTestCase } from "./translate/command-code/self-test.js";

const PROGRAM = "codex-launcher-proxy";

function readFileArgument(path: string): string {
  try {
    const text = readTextFile(path);
    if (text === null) throw new Error("no such file");
    return text;
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function fail(message: string, exitCode: number, hint = ""): never {
  printerr(`${PROGRAM}: error: ${message}${hint}`);
  System.exit(exitCode);
  throw new Error("unreachable");
}

function env(name: string): string | undefined {
  return GLib.getenv(name) ?? undefined;
}

/**
 * Writes <registry-dir>/<pid>.json before the first request is served: whatever happens to the launcher
 * from now on, the next one finds this process by its identity (and only by it).
 */
function register(options: ProxyOptions, port: number): string | null {
  if (!options.registryDir) return null;
  const identity = readIdentity("self");
  if (!identity) fail("cannot read this process's own identity from /proc", 1);
  const path = `${options.registryDir}/${identity.pid}.json`;
  writeFileAtomic(path, `${JSON.stringify({ ...identity, role: "proxy", port, backend: options.backend, target_url: options.targetUrl,
    started_at: new Date().toISOString() }, null, 2)}\n`, 0o600);
  return path;
}

function watchOwner(app: ProxyApp, options: ProxyOptions, quit: (reason: string) => void): void {
  if (!options.ownerLeaseS) return;
  const policy = { leaseMs: options.ownerLeaseS * 1000, orphanIdleExitMs: options.orphanIdleExitS * 1000 };
  let last = "owned";
  GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 1, () => {
    const { server } = app;
    const state = ownershipState({ nowMs: Date.now(), lastOwnerContactMs: server.lastOwnerContactMs, lastRequestMs: server.lastRequestMs,
      activeStreams: server.activeStreams, kept: server.kept }, policy);
    if (state !== last && state !== "exit") app.log.write(formatLogLine(null, "owner", { state }));
    last = state;
    if (state !== "exit") return GLib.SOURCE_CONTINUE;
    quit("orphan_idle");
    return GLib.SOURCE_REMOVE;
  });
}

function main(argv: string[]): void {
  let command;
  try {
    command = resolveProxyCommand(argv, { CODEX_PROXY_API_KEY: env("CODEX_PROXY_API_KEY"), CODEX_LAUNCHER_CLIENT_TOKEN: env("CODEX_LAUNCHER_CLIENT_TOKEN"),
      CODEX_PROXY_TARGET_URL: env("CODEX_PROXY_TARGET_URL"), CODEX_PROXY_CREDENTIALS_FILE: env("CODEX_PROXY_CREDENTIALS_FILE"), CODEX_PROXY_ROUTES: env("CODEX_PROXY_ROUTES") }, readFileArgument);
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
  if (command.kind === "self-test") {
    let extra: SelfTestCase[] = [];
    try {
      if (command.fixturesFile) extra = parseSelfTestCases(readFileArgument(command.fixturesFile), command.fixturesFile);
    } catch (e) {
      fail((e as Error).message, 2);
    }
    const report = selfTestReport(runSelfTest([...SELF_TEST_CASES, ...extra]));
    for (const line of report.lines) print(line);
    System.exit(report.exitCode);
    return;
  }
  const { options } = command;
  let models: string[];
  try {
    models = readModels(options);
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const app = createProxyApp(options, models);
  const { server, log } = app;
  let port: number;
  try {
    port = server.listen();
  } catch (e) {
    if (e instanceof ListenError) fail(e.message, 1);
    throw e;
  }
  const registration = register(options, port);
  const loop = new GLib.MainLoop(null, false);
  let stopping = false;
  const quit = (reason: string) => {
    if (stopping) {
      // A second signal during the drain: stop now.
      loop.quit();
      return;
    }
    stopping = true;
    log.write(formatLogLine(null, "stopping", { reason, active_streams: server.activeStreams }));
    // Live streams get the drain window to finish; new requests are answered 503 meanwhile.
    void server.drain(reason === "orphan_idle" ? 0 : options.drainTimeoutS * 1000).then(() => loop.quit());
  };
  onUnixSignal(SIGTERM, () => quit("signal"));
  onUnixSignal(SIGINT, () => quit("signal"));
  watchOwner(app, options, quit);
  const pool = options.pool;
  log.write(formatLogLine(null, "started", { version: APP_VERSION, host: options.host, port, backend: pool ? "bgp" : options.backend, pid: readIdentity("self")?.pid ?? null,
    client_token: options.clientToken !== null, routes: pool ? pool.routes.length : undefined, strategy: pool?.strategy },
  pool ? { pool: pool.pool } : { target: options.targetUrl || "(none)" }));
  print(`${PROGRAM} ${APP_VERSION} listening on http://${options.host}:${port} (${pool ? `AI BGP pool ${JSON.stringify(pool.pool)}, ${pool.routes.length} routes` : `backend ${options.backend}`})`);
  loop.run();
  app.flush();
  server.stop();
  if (registration) removeFile(registration);
}

main(System.programArgs);
