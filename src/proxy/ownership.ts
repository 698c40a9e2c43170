// When a supervised proxy lives on without its launcher. Pure.
//
// The launcher's health probes carry the owner header (server.ts); a proxy that hears nothing from its
// owner for the lease counts as orphaned: the launcher crashed or was killed. It keeps serving the
// Codex that uses it, and exits once it has been idle (no live stream, no request) for a while —
// unless the user chose "keep the proxy running", or a new launcher adopted it (its probes resume).

export interface OwnershipFacts {
  nowMs: number;
  lastOwnerContactMs: number;
  lastRequestMs: number;
  activeStreams: number;
  kept: boolean;
}

export interface OwnershipPolicy {
  leaseMs: number;
  orphanIdleExitMs: number;
}

export type OwnershipState = "owned" | "kept" | "orphaned" | "exit";

export function ownershipState(facts: OwnershipFacts, policy: OwnershipPolicy): OwnershipState {
  if (facts.nowMs - facts.lastOwnerContactMs <= policy.leaseMs) return "owned";
  if (facts.kept) return "kept";
  const idleSince = Math.max(facts.lastRequestMs, facts.lastOwnerContactMs + policy.leaseMs);
  return facts.activeStreams === 0 && facts.nowMs - idleSince >= policy.orphanIdleExitMs ? "exit" : "orphaned";
}
