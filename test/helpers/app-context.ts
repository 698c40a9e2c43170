// A real AppContext over a throw-away home directory (keys in the 0600 file store).
import { resolvePaths, type AppPaths } from "../../src/lib/paths.js";
import { createAppContext, type AppContext } from "../../src/launcher/app-context.js";
import { gjs } from "./process.js";
import { makeTempDir, PROXY_JS } from "./repo.js";

export interface TestHome {
  home: string;
  paths: AppPaths;
}

export function makeTestHome(prefix = "launcher-home"): TestHome {
  const home = makeTempDir(prefix);
  return { home, paths: resolvePaths({ home, xdgCacheHome: `${home}/.cache`, codexHome: `${home}/.codex` }) };
}

/** `openUri`: where the app would open the browser (sign-in specs play the browser themselves). */
export function makeTestContext(t: TestHome, options: { openUri?: (uri: string) => void } = {}): Promise<AppContext> {
  return createAppContext(t.paths, { proxyArgv: [gjs(), "-m", PROXY_JS], preferFileSecrets: true,
    openUri: options.openUri ?? ((uri) => { throw new Error(`a spec tried to open ${uri} in a browser`); }) });
}
