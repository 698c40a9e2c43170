// AppPaths for the running user, from GLib's view of the environment.
import GLib from "gi://GLib";
import { resolvePaths, type AppPaths } from "./paths.js";

export function userPaths(): AppPaths {
  return resolvePaths({
    home: GLib.get_home_dir(),
    xdgCacheHome: GLib.getenv("XDG_CACHE_HOME"),
    codexHome: GLib.getenv("CODEX_HOME"),
  });
}
