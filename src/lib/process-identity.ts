// Who a process is, for good: pid + start time + program (exe and argv). Pure. Stale clean-up and
// adoption act on a recorded process only while all of them still match, so a reused pid, or any
// other program that happens to mention "codex" or "proxy.js", is never touched.

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot). */
  start_time: number;
  /** /proc/<pid>/exe */
  exe: string;
  /** /proc/<pid>/cmdline, split. */
  argv: string[];
}

export function isProcessIdentity(value: unknown): value is ProcessIdentity {
  const v = value as ProcessIdentity;
  return !!v && typeof v === "object" && Number.isInteger(v.pid) && v.pid > 1 && Number.isFinite(v.start_time) &&
    typeof v.exe === "string" && v.exe !== "" && Array.isArray(v.argv) && v.argv.length > 0 && v.argv.every((a) => typeof a === "string");
}

/** True only when the live process is the recorded one: same pid, start time, executable and argv. */
export function sameProcess(recorded: ProcessIdentity, live: ProcessIdentity | null): boolean {
  if (!live) return false;
  return recorded.pid === live.pid && recorded.start_time === live.start_time && recorded.exe === live.exe &&
    recorded.argv.length === live.argv.length && recorded.argv.every((arg, i) => arg === live.argv[i]);
}

/**
 * The original app's proxy (translate-proxy.py, run by Python): the only process of its pids.json this
 * app may stop. Its Codex entries are never signalled.
 */
export function isOriginalProxyArgv(argv: readonly string[]): boolean {
  const base = (p: string | undefined) => (p ?? "").split("/").pop() ?? "";
  return /^python(3(\.\d+)?)?$/.test(base(argv[0])) && base(argv[1]) === "translate-proxy.py";
}
