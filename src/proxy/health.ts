// The /health document. Pure: the server passes in the live figures.
import type { BackendType } from "../lib/backend-types.js";

export interface HealthInputs {
  version: string;
  backend: BackendType;
  targetUrl: string;
  port: number;
  models: readonly string[];
  startedAtMs: number;
  nowMs: number;
  memoryMb: number | null;
  requestsTotal: number;
  activeStreams: number;
  pid: number;
}

export interface HealthDocument {
  ok: true;
  version: string;
  backend: BackendType;
  target_url: string;
  port: number;
  models: string[];
  uptime_s: number;
  memory_mb: number | null;
  requests_total: number;
  active_streams: number;
  pid: number;
}

export function buildHealth(inputs: HealthInputs): HealthDocument {
  return {
    ok: true,
    version: inputs.version,
    backend: inputs.backend,
    target_url: inputs.targetUrl,
    port: inputs.port,
    models: [...inputs.models],
    uptime_s: Math.max(0, Math.round((inputs.nowMs - inputs.startedAtMs) / 100) / 10),
    memory_mb: inputs.memoryMb,
    requests_total: inputs.requestsTotal,
    active_streams: inputs.activeStreams,
    pid: inputs.pid,
  };
}
