// Starting the real proxy program (build/app/proxy.js) as a child process.
import { PROXY_JS } from "./repo.js";
import { Child, gjs, type RunOptions } from "./process.js";

export interface RunningProxy {
  child: Child;
  port: number;
  url: string;
}

export async function startProxy(args: string[] = [], options: RunOptions = {}): Promise<RunningProxy> {
  const child = new Child([gjs(), "-m", PROXY_JS, "--port", "0", ...args], options);
  const exitedEarly = child.exited.then((code) => {
    throw new Error(`proxy exited with ${code}: ${child.errLines.join("\n")}`);
  });
  const match = await Promise.race([child.waitForLine(/listening on http:\/\/[^:]+:(\d+)/), exitedEarly]);
  const port = Number(match[1]);
  return { child, port, url: `http://127.0.0.1:${port}` };
}
