// Running a short-lived program and collecting its output, bounded by a timeout.
import Gio from "gi://Gio";

Gio._promisify(Gio.Subprocess.prototype, "communicate_utf8_async", "communicate_utf8_finish");

export interface Captured {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs argv with `env` added, stdin closed; a program still running after `timeoutMs` is killed. */
export async function runCapture(argv: string[], env: Record<string, string> = {}, timeoutMs = 10000): Promise<Captured> {
  const launcher = new Gio.SubprocessLauncher({ flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE | Gio.SubprocessFlags.STDIN_PIPE });
  for (const [k, v] of Object.entries(env)) launcher.setenv(k, v, true);
  const proc = launcher.spawnv(argv);
  const timer = setTimeout(() => proc.force_exit(), timeoutMs);
  try {
    const [stdout, stderr] = (await proc.communicate_utf8_async("", null)) as unknown as [string | null, string | null];
    return { ok: proc.get_successful(), stdout: stdout ?? "", stderr: stderr ?? "" };
  } finally {
    clearTimeout(timer);
  }
}
