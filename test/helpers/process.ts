// Spawning real processes from specs, with timeouts, captured output and clean-up.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { readLines } from "../../src/lib/line-reader.js";

Gio._promisify(Gio.Subprocess.prototype, "communicate_utf8_async", "communicate_utf8_finish");
Gio._promisify(Gio.Subprocess.prototype, "wait_async", "wait_finish");

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | null>;
  cwd?: string;
  stdin?: string;
}

function launcher(options: RunOptions, flags: Gio.SubprocessFlags): Gio.SubprocessLauncher {
  const l = new Gio.SubprocessLauncher({ flags });
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === null) l.unsetenv(k);
    else l.setenv(k, v, true);
  }
  if (options.cwd) l.set_cwd(options.cwd);
  return l;
}

/** Runs a program to completion and returns its output. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const flags = Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE |
    (options.stdin !== undefined ? Gio.SubprocessFlags.STDIN_PIPE : Gio.SubprocessFlags.NONE);
  const started = Date.now();
  const proc = launcher(options, flags).spawnv(argv);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.force_exit();
  }, options.timeoutMs ?? 30000);
  const [stdout, stderr] = (await proc.communicate_utf8_async(options.stdin ?? null, null)) as unknown as [string, string];
  clearTimeout(timer);
  const exitCode = proc.get_if_exited() ? proc.get_exit_status() : 128 + proc.get_term_sig();
  return { exitCode, stdout: stdout ?? "", stderr: stderr ?? "", timedOut, wallMs: Date.now() - started };
}

/** A long-running child whose stdout lines can be awaited. */
export class Child {
  readonly proc: Gio.Subprocess;
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  #waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  exited: Promise<number>;

  constructor(argv: string[], options: RunOptions = {}) {
    this.proc = launcher(options, Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE).spawnv(argv);
    void this.#pump(this.proc.get_stdout_pipe()!, this.lines);
    void this.#pump(this.proc.get_stderr_pipe()!, this.errLines);
    this.exited = this.proc.wait_async(null).then(() =>
      this.proc.get_if_exited() ? this.proc.get_exit_status() : 128 + this.proc.get_term_sig());
  }

  get pid(): number {
    return Number(this.proc.get_identifier());
  }

  async #pump(stream: Gio.InputStream, sink: string[]): Promise<void> {
    await readLines(stream, (text) => {
      sink.push(text);
      this.#waiters = this.#waiters.filter((w) => {
        const m = text.match(w.re);
        if (m) w.resolve(m);
        return !m;
      });
    });
  }

  /** Resolves with the first stdout or stderr line (past or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs = 10000): Promise<RegExpMatchArray> {
    for (const line of [...this.lines, ...this.errLines]) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${[...this.lines, ...this.errLines].join("\n")}`)), timeoutMs);
      this.#waiters.push({ re, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  signal(signum: number): void {
    this.proc.send_signal(signum);
  }

  async stop(timeoutMs = 5000): Promise<number> {
    if (!this.proc.get_identifier()) return this.exited;
    this.proc.send_signal(15);
    const timer = setTimeout(() => this.proc.force_exit(), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export function gjs(): string {
  return GLib.find_program_in_path("gjs") ?? "/usr/bin/gjs";
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10000, what = "condition", stepMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(stepMs);
  }
}
