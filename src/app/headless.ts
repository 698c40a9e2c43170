// `codex-launcher --headless`: the proxy supervisor and the AI Monitoring watchdog without a window,
// for terminal users. Logs go to stdout; alerts to stderr (and the desktop, when a session bus runs).
import GLib from "gi://GLib";
import { preferredModel } from "../lib/endpoints.js";
import { userPaths } from "../lib/system-paths.js";
import { onUnixSignal, SIGINT, SIGTERM } from "../lib/unix-signals.js";
import { createAppContext } from "../launcher/app-context.js";
import { cleanupStaleProcesses } from "../launcher/cleanup.js";
import { findCodex, writeCodexConfig } from "../launcher/codex-session.js";
import { MonitoringController } from "../launcher/monitoring-controller.js";
import type { AlertAction } from "../watchdog/watchdog.js";

export interface HeadlessOptions {
  endpoint?: string;
  model?: string;
  writeConfig: boolean;
}

function stamp(): string {
  return GLib.DateTime.new_now_local().format("%H:%M:%S") ?? "";
}

export async function runHeadless(options: HeadlessOptions): Promise<number> {
  const paths = userPaths();
  const ctx = await createAppContext(paths);
  ctx.log.subscribe((line) => print(`[${stamp()}] ${line}`));
  if (ctx.endpoints.loadError) printerr(`codex-launcher: ${ctx.endpoints.loadError}`);
  for (const line of await cleanupStaleProcesses(paths)) ctx.log.write(`cleanup: ${line}`);
  const name = options.endpoint ?? ctx.endpoints.doc.default;
  const endpoint = ctx.endpoints.doc.endpoints.find((e) => e.name === name);
  if (!endpoint) {
    printerr(name ? `codex-launcher: error: no endpoint named '${name}' in ${paths.endpointsFile}`
      : `codex-launcher: error: no endpoints yet; add one in the Codex Launcher window or in ${paths.endpointsFile}`);
    return 2;
  }
  const model = options.model ?? preferredModel(endpoint);
  if (!model) {
    printerr(`codex-launcher: error: endpoint '${endpoint.name}' has no model; pass --model`);
    return 2;
  }
  const port = await ctx.supervisor.start({ endpointName: endpoint.name, backend: endpoint.backend_type, targetUrl: endpoint.base_url,
    apiKey: await ctx.endpoints.keyFor(endpoint.name), models: endpoint.models.length ? endpoint.models : [model], model });
  ctx.log.write(`proxy for ${endpoint.name} / ${model} on http://127.0.0.1:${port}`);
  if (options.writeConfig) {
    const written = await writeCodexConfig(paths, { port, model, endpointName: endpoint.name, models: endpoint.models, codexPath: findCodex() }, (l) => ctx.log.write(l));
    ctx.log.write(`wrote ${written.path}; run \`CODEX_LAUNCHER_TOKEN=codex-launcher-local codex\` in your project`);
  }
  const notify = (title: string, body: string, action?: AlertAction) => {
    // No window to click in: say where the action is.
    printerr(`[${stamp()}] ALERT: ${title} — ${body}${action ? ` (${action.label}: open Codex Launcher → Manage Endpoints → '${action.target}')` : ""}`);
    GLib.spawn_async(null, ["notify-send", "--app-name=Codex Launcher", title, body], null, GLib.SpawnFlags.SEARCH_PATH | GLib.SpawnFlags.STDOUT_TO_DEV_NULL | GLib.SpawnFlags.STDERR_TO_DEV_NULL, null);
  };
  // No window to cancel from: actions run at once (and say so in monitoring.log).
  const monitoring = new MonitoringController(ctx, async () => true, notify);
  await monitoring.load();
  // --headless means "keep it alive": the watchdog runs even if the GUI's switch is off.
  await monitoring.save({ ...monitoring.config!, enabled: true }, monitoring.apiKey).catch(() => undefined);
  // The caller's main loop keeps running; this resolves when a signal asks us to stop.
  return new Promise<number>((resolve) => {
    const quit = () => {
      ctx.log.write("shutting down: stopping the watchdog and the proxy");
      monitoring.shutdown();
      void ctx.supervisor.dispose().finally(() => resolve(0));
    };
    onUnixSignal(SIGTERM, quit);
    onUnixSignal(SIGINT, quit);
  });
}

