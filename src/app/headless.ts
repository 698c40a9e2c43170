// `codex-launcher --headless`: the proxy, its supervisor and the AI Monitoring watchdog without a
// window, for terminal users. Logs go to stdout; alerts to stderr (and the desktop, when a session bus
// runs). Any failure to set up prints one line and exits non-zero. It watches for this run only: the
// saved AI Monitoring switch is not changed.
import GLib from "gi://GLib";
import { userPaths } from "../lib/system-paths.js";
import { onUnixSignal, SIGINT, SIGTERM } from "../lib/unix-signals.js";
import { createAppContext, type AppContext } from "../launcher/app-context.js";
import { acquireOwnership, currentOwner } from "../launcher/ownership.js";
import { readProxyConfig } from "../launcher/proxy-config.js";
import { BudgetWatcher } from "../launcher/budget-watcher.js";
import { LauncherSession, preferredTargetModel, targetModels, targetName } from "../launcher/session.js";
import { MonitoringController } from "../watchdog/controller.js";
import type { AlertAction } from "../watchdog/watchdog.js";

export interface HeadlessOptions {
  endpoint?: string;
  model?: string;
  /** Write Codex's launcher profile (codex --profile codex-launcher). */
  writeConfig: boolean;
}

/** Exit codes: 1 set-up failed, 2 bad arguments or no endpoint, 3 another launcher already owns the proxy. */
export const EXIT_SETUP_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_ALREADY_RUNNING = 3;

function stamp(): string {
  return GLib.DateTime.new_now_local().format("%H:%M:%S") ?? "";
}

function fail(message: string, code: number): number {
  printerr(`codex-launcher: error: ${message}`);
  return code;
}

export async function runHeadless(options: HeadlessOptions): Promise<number> {
  // Signals are ours from the first moment: a SIGTERM during set-up still stops the proxy cleanly.
  let stopRequested = false;
  let onStop: (() => void) | null = null;
  const requestStop = () => {
    stopRequested = true;
    onStop?.();
  };
  onUnixSignal(SIGTERM, requestStop);
  onUnixSignal(SIGINT, requestStop);
  const paths = userPaths();
  let ctx: AppContext;
  try {
    ctx = await createAppContext(paths);
  } catch (e) {
    return fail(`cannot set up: ${(e as Error).message}`, EXIT_SETUP_FAILED);
  }
  ctx.log.subscribe((line) => print(`[${stamp()}] ${line}`));
  for (const error of [ctx.endpoints.loadError, ctx.pools.loadError, ctx.usageSettings.loadError]) if (error) printerr(`codex-launcher: ${error}`);

  const ownership = await acquireOwnership(paths, "headless").catch((e: Error) => e);
  if (ownership instanceof Error) return fail(ownership.message, EXIT_SETUP_FAILED);
  if (!ownership) {
    const owner = currentOwner(paths);
    const port = readProxyConfig(paths).port;
    return fail(`another Codex Launcher (${owner ? `${owner.kind === "gui" ? "the window" : "--headless"}, pid ${owner.identity.pid}` : "instance"}) already runs the proxy` +
      `${port ? ` on port ${port}` : ""}; it is left alone. Run Codex with: ${new LauncherSession(ctx).codexCommand}`, EXIT_ALREADY_RUNNING);
  }
  const session = new LauncherSession(ctx);
  const release = () => {
    session.dispose();
    ownership.release();
  };
  try {
    // Keys still in endpoints.json move to the keyring (or the 0600 key file), as the window does.
    const keys = await ctx.endpoints.settleKeys();
    if (keys.error) printerr(`codex-launcher: warning: ${keys.line}`);
    ctx.log.write(keys.line);
    await ctx.pools.migratePlaintextKeys().catch((e: Error) => printerr(`codex-launcher: warning: route keys stay in ${paths.poolsFile}: ${e.message}`));
    for (const line of await session.startUp()) ctx.log.write(line);

    // An endpoint, or an AI BGP pool (by its name or as "🔀 name"), or the default (which may be a pool).
    const target = options.endpoint !== undefined ? session.findTarget(options.endpoint) : session.defaultTarget();
    if (!target) {
      await ctx.supervisor.dispose();
      release();
      return fail(options.endpoint !== undefined ? `no endpoint or AI BGP pool named '${options.endpoint}' in ${paths.endpointsFile} or ${paths.poolsFile}`
        : `no endpoints yet; add one in the Codex Launcher window or in ${paths.endpointsFile}`, EXIT_USAGE);
    }
    const name = targetName(target);
    const model = options.model ?? preferredTargetModel(target, ctx.endpoints.doc.endpoints);
    if (!model) {
      await ctx.supervisor.dispose();
      release();
      return fail(`endpoint '${name}' has no model; pass --model`, EXIT_USAGE);
    }
    const port = await session.ensureProxy(target, model);
    ctx.log.write(`proxy for ${target.kind === "pool" ? `the AI BGP pool ${name}` : name} / ${model} on http://127.0.0.1:${port}`);
    if (options.writeConfig) {
      const written = await session.writeProfile(port, model, name, targetModels(target, ctx.endpoints.doc.endpoints));
      ctx.log.write(`wrote ${written.path}; run \`${session.codexCommand}\` in your project`);
    }
  } catch (e) {
    await ctx.supervisor.dispose().catch(() => undefined);
    release();
    return fail((e as Error).message, EXIT_SETUP_FAILED);
  }
  const notify = (title: string, body: string, action?: AlertAction) => {
    // No window to click in: say where the action is.
    printerr(`[${stamp()}] ALERT: ${title} — ${body}${action ? ` (${action.label}: open Codex Launcher → Manage Endpoints → '${action.target}')` : ""}`);
    // notify-send (libnotify-bin) is not a dependency: without it the stderr line above is the alert.
    // Its spawn error must not escape, or the watchdog's alert is cut short (its monitoring.log line is
    // never written) and ends as an unhandled promise rejection.
    try {
      GLib.spawn_async(null, ["notify-send", "--app-name=Codex Launcher", title, body], null, GLib.SpawnFlags.SEARCH_PATH | GLib.SpawnFlags.STDOUT_TO_DEV_NULL | GLib.SpawnFlags.STDERR_TO_DEV_NULL, null);
    } catch {
      // no desktop notifications on this machine
    }
  };
  // Monthly budgets are watched here too (80 % and 100 %).
  const budgets = new BudgetWatcher(paths, ctx.usageFeed, ctx.usageSettings, (title, body) => notify(title, body));
  budgets.start();
  // No window to cancel from: actions run at once (and say so in monitoring.log).
  const monitoring = new MonitoringController(ctx, async () => true, notify, () => session.refreshProfile());
  monitoring.forceEnabled = true;
  try {
    await monitoring.load();
  } catch (e) {
    budgets.stop();
    await ctx.supervisor.dispose().catch(() => undefined);
    release();
    return fail(`AI Monitoring could not start: ${(e as Error).message}`, EXIT_SETUP_FAILED);
  }
  // The caller's main loop keeps running; this resolves when a signal asks us to stop.
  return new Promise<number>((resolve) => {
    const quit = () => {
      onStop = null;
      ctx.log.write("shutting down: stopping the watchdog and the proxy (live streams get a few seconds to finish)");
      monitoring.shutdown();
      budgets.stop();
      void ctx.supervisor.dispose().finally(() => {
        release();
        resolve(0);
      });
    };
    if (stopRequested) quit();
    else onStop = quit;
  });
}
