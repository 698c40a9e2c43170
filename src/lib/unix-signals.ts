// GLib.unix_signal_add exists at run time in gjs 1.74 but is missing from the @girs typings.
import GLib from "gi://GLib";

export const SIGINT = 2;
export const SIGTERM = 15;

type UnixSignalAdd = (priority: number, signum: number, handler: () => boolean) => number;

export function onUnixSignal(signum: number, handler: () => void): number {
  const add = (GLib as unknown as { unix_signal_add: UnixSignalAdd }).unix_signal_add;
  return add(GLib.PRIORITY_HIGH, signum, () => {
    handler();
    return GLib.SOURCE_REMOVE;
  });
}
