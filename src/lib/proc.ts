// Thin GLib layer over /proc for memory figures.
import GLib from "gi://GLib";
import { kbToMb, parseVmRssKb } from "./proc-status.js";

const decoder = new TextDecoder();

/** RSS of a process in MB, or null when the process is gone or /proc is unreadable. */
export function readRssMb(pid: number | "self" = "self"): number | null {
  try {
    const [ok, bytes] = GLib.file_get_contents(`/proc/${pid}/status`);
    if (!ok) return null;
    const kb = parseVmRssKb(decoder.decode(bytes));
    return kb === null ? null : kbToMb(kb);
  } catch {
    // A vanished pid is an expected answer here, not an error: the caller treats null as "gone".
    return null;
  }
}
