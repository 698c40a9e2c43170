// Parsing of Linux /proc files. Pure: the caller reads the text.

/** Resident set size in kB from the text of /proc/<pid>/status, or null when absent. */
export function parseVmRssKb(statusText: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return match ? Number(match[1]) : null;
}

/** Megabytes with one decimal, the unit /health reports. */
export function kbToMb(kb: number): number {
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * The process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot): with the pid it
 * names one process for good, since a reused pid starts later. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted after its last ')'.
 */
export function parseStatStartTime(statText: string): number | null {
  const close = statText.lastIndexOf(")");
  if (close < 0) return null;
  const fields = statText.slice(close + 2).trim().split(/\s+/);
  const value = Number(fields[19]);
  return Number.isFinite(value) && fields.length > 19 ? value : null;
}

/** The parent pid (field 4 of /proc/<pid>/stat). */
export function parseStatParentPid(statText: string): number | null {
  const close = statText.lastIndexOf(")");
  if (close < 0) return null;
  const value = Number(statText.slice(close + 2).trim().split(/\s+/)[1]);
  return Number.isFinite(value) ? value : null;
}
