import { kbToMb, parseVmRssKb } from "../../src/lib/proc-status.js";
import { buildHealth } from "../../src/proxy/health.js";

describe("/proc status parsing", () => {
  it("reads VmRSS in kB", () => {
    const status = "Name:\tgjs\nVmPeak:\t  500000 kB\nVmRSS:\t   28672 kB\nThreads:\t5\n";
    expect(parseVmRssKb(status)).toBe(28672);
    expect(kbToMb(28672)).toBe(28);
  });

  it("returns null when VmRSS is absent (kernel threads, zombies)", () => {
    expect(parseVmRssKb("Name:\tkthreadd\nState:\tS (sleeping)\n")).toBeNull();
  });
});

describe("buildHealth", () => {
  it("reports the fields the watchdog reads, with uptime in seconds", () => {
    const doc = buildHealth({
      version: "4.0.0", backend: "openai-compat", targetUrl: "https://x/v1", port: 8080, models: ["m1"],
      startedAtMs: 1_000, nowMs: 13_550, memoryMb: 31.5, requestsTotal: 7, activeStreams: 1, pid: 42,
    });
    expect(doc).toEqual({
      ok: true, version: "4.0.0", backend: "openai-compat", target_url: "https://x/v1", port: 8080, models: ["m1"],
      uptime_s: 12.6, memory_mb: 31.5, requests_total: 7, active_streams: 1, pid: 42,
    });
  });
});
