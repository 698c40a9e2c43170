// Start-up clean-up: proxies an earlier launcher left behind, and nothing else. A process is signalled
// only while /proc shows it is still the one that registered (pid, start time, program): a reused pid,
// an editor open on a file named "codex", any other `node …/proxy.js` is never touched, and Codex
// itself never is. A stale proxy that still serves streams is left to finish (it exits once idle).
import { requestJson } from "../lib/http-client.js";
import type { AppPaths } from "../lib/paths.js";
import { sameProcess, type ProcessIdentity } from "../lib/process-identity.js";
import { terminateIfSame } from "../lib/processes.js";
import { liveRegisteredProxies, originalAppProxies, type RegisteredProxy } from "./proxy-registry.js";

async function activeStreams(record: RegisteredProxy): Promise<number | null> {
  try {
    const reply = await requestJson("GET", `http://127.0.0.1:${record.port}/health`, { timeoutMs: 1500 });
    const body = reply.body as { active_streams?: number; pid?: number; kept?: boolean } | null;
    if (reply.status !== 200 || body?.pid !== record.identity.pid) return null;
    return body.kept ? Infinity : body.active_streams ?? 0;
  } catch {
    return null;
  }
}

/**
 * Stops registered proxies other than `keep` (the one adopted or running now) when they serve nobody
 * (with `evenBusy`, also those that still serve or were kept running), and the original app's proxy
 * (exact translate-proxy.py command line). Returns one line per process.
 */
export async function cleanupStaleProxies(paths: AppPaths, keep: ProcessIdentity | null = null,
  options: { evenBusy?: boolean } = {}): Promise<string[]> {
  const report: string[] = [];
  for (const record of liveRegisteredProxies(paths)) {
    if (keep && sameProcess(keep, record.identity)) continue;
    // The user's Kill & Cleanup (`evenBusy`) stops them anyway; start-up clean-up lets them finish.
    const streams = options.evenBusy ? null : await activeStreams(record);
    if (streams !== null && streams > 0) {
      report.push(streams === Infinity ? `proxy pid ${record.identity.pid} (port ${record.port}) was kept running by the user; left alone`
        : `proxy pid ${record.identity.pid} (port ${record.port}) still serves ${streams} stream(s); it exits by itself once idle`);
      continue;
    }
    const result = await terminateIfSame(record.identity, 8000);
    if (result !== "not-ours") report.push(`stopped stale proxy pid ${record.identity.pid} (port ${record.port})`);
  }
  for (const identity of originalAppProxies(paths)) {
    const result = await terminateIfSame(identity, 3000);
    if (result !== "not-ours") report.push(`stopped the original app's proxy pid ${identity.pid} (translate-proxy.py)`);
  }
  return report;
}
