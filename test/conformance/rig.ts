// One conformance row's set-up: a fake provider and the real proxy process on loopback, and a fresh
// CODEX_HOME for the real Codex CLI (the pinned one, or CODEX_BIN). Everything a row asserts on is here:
// what the provider received, what Codex printed, the proxy.log records the watchdog reads, /monitoring.
import GLib from "gi://GLib";
import { parseLogLine, splitLogFileLine, type LogRecord } from "../../src/proxy/log-lines.js";
import { classifyLine, type Signal } from "../../src/watchdog/signals.js";
import { CODEX_API_KEY, CODEX_BIN, makeCodexHome, runCodex, type CodexHome, type CodexKnobs } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson } from "../helpers/http.js";
import { run, type RunResult } from "../helpers/process.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, REPO_ROOT, removeTree } from "../helpers/repo.js";

export interface RigOptions {
  backend?: string;
  /** Extra proxy flags (timeouts, ...). */
  proxyArgs?: string[];
  proxyEnv?: Record<string, string>;
  model?: string;
  /** Give the model gpt-5.5's catalog metadata (apply_patch freeform, reasoning effort). */
  catalog?: boolean;
  /** Fields laid over that catalog entry. */
  catalogEntry?: Record<string, unknown>;
  knobs?: CodexKnobs;
  /** Reuse this log directory (a proxy restart keeps provider-caps.json). */
  logDir?: string;
}

/**
 * One rig per spec: returns the function a spec starts its rig with, and stops that rig after the spec,
 * whatever happened in it.
 */
export function rigPerSpec(): (options?: RigOptions) => Promise<Rig> {
  let rig: Rig | null = null;
  afterEach(async () => {
    await rig?.stop();
    rig = null;
  });
  return async (options) => (rig = await Rig.start(options));
}

export class Rig {
  private constructor(readonly provider: FakeProvider, public proxy: RunningProxy, readonly logDir: string, readonly codex: CodexHome,
    private readonly options: RigOptions) {}

  static async start(options: RigOptions = {}): Promise<Rig> {
    const provider = new FakeProvider();
    const logDir = options.logDir ?? makeTempDir("conformance-logs");
    const proxy = await Rig.#proxy(provider, logDir, options);
    const codex = await makeCodexHome(proxy.port, options.model ?? "fake-model", { catalog: options.catalog, catalogEntry: options.catalogEntry, knobs: options.knobs });
    return new Rig(provider, proxy, logDir, codex, options);
  }

  static #proxy(provider: FakeProvider, logDir: string, options: RigOptions): Promise<RunningProxy> {
    return startProxy(["--backend", options.backend ?? "openai-compat", "--target-url", provider.url, "--log-dir", logDir, ...(options.proxyArgs ?? [])],
      { env: options.proxyEnv ?? {} });
  }

  /** Stops the proxy and starts a new one on the same log directory (Codex's home follows the new port). */
  async restartProxy(): Promise<void> {
    await this.proxy.child.stop();
    this.proxy = await Rig.#proxy(this.provider, this.logDir, this.options);
    const config = `${this.codex.home}/config.toml`;
    const text = new TextDecoder().decode(GLib.file_get_contents(config)[1]).replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${this.proxy.port}`);
    GLib.file_set_contents(config, text);
  }

  codexRun(prompt: string, extra: string[] = [], timeoutMs = 120000, stdin = ""): Promise<RunResult> {
    return runCodex(this.codex, prompt, extra, timeoutMs, stdin);
  }

  /**
   * Codex's app server (the protocol of the IDE extension and Codex Desktop), driven by
   * app-server-client.mjs through `steps` ({turn: text} or {compact: true}); one result per step.
   */
  async appServer(steps: ({ turn: string } | { compact: true })[], timeoutMs = 120000): Promise<{ run: RunResult; steps: any[] }> {
    const result = await run(["node", `${REPO_ROOT}/test/conformance/app-server-client.mjs`, JSON.stringify(steps)],
      { env: { CODEX_HOME: this.codex.home, CODEX_LOCALPROXY_API_KEY: CODEX_API_KEY, CODEX: CODEX_BIN, WORK: this.codex.workdir, NO_COLOR: "1" }, timeoutMs });
    return { run: result, steps: result.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) };
  }

  logText(): string {
    try {
      return new TextDecoder().decode(GLib.file_get_contents(`${this.logDir}/proxy.log`)[1]);
    } catch {
      return "";
    }
  }

  /** proxy.log as the watchdog reads it: structured records. */
  records(event?: string): LogRecord[] {
    return this.logText().split("\n").map((line) => {
      const split = splitLogFileLine(line);
      return split ? parseLogLine(split.message) : null;
    }).filter((r): r is LogRecord => r !== null && (event === undefined || r.event === event));
  }

  /** The watchdog's signals from proxy.log (src/watchdog/signals.ts on every line). */
  signals(): Signal[] {
    return this.logText().split("\n").map((line) => classifyLine(line, "proxy.log", 0)).filter((s): s is Signal => s !== null);
  }

  async monitoring(): Promise<any> {
    return (await getJson(`${this.proxy.url}/monitoring`)).json();
  }

  /** Requests Codex sent to the proxy (one `request` summary line each). */
  codexRequests(): number {
    return this.records("request").length;
  }

  caps(): any {
    try {
      return JSON.parse(new TextDecoder().decode(GLib.file_get_contents(`${this.logDir}/provider-caps.json`)[1]));
    } catch {
      return null;
    }
  }

  async stop(keepLogs = false): Promise<void> {
    await this.proxy.child.stop();
    this.provider.stop();
    if (!keepLogs) removeTree(this.logDir);
    removeTree(this.codex.home);
    removeTree(this.codex.workdir);
  }
}

/** The error lines Codex printed (each final error is printed twice; "Reconnecting" lines are retries). */
export function codexErrors(result: RunResult): string[] {
  return result.stderr.split("\n").filter((l) => l.startsWith("ERROR:"));
}

/** `codex exec --json` output: one event per line (thread.started, item.completed, error, turn.failed, ...). */
export function codexEvents(result: RunResult): any[] {
  return result.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** What Codex showed for each failed stream it retried ("Reconnecting... 1/2 (<why>)"), and its final error. */
export function codexShown(result: RunResult): { reconnects: string[]; final: string | null; messages: string[] } {
  const events = codexEvents(result);
  return {
    reconnects: events.filter((e) => e.type === "error").map((e) => String(e.message)),
    final: events.find((e) => e.type === "turn.failed")?.error?.message ?? null,
    messages: events.filter((e) => e.type === "item.completed" && e.item?.type === "agent_message").map((e) => String(e.item.text)),
  };
}
