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
