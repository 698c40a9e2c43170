// The release history shown in the Changelog window: this rewrite, then the original app's releases
// as its CHANGELOG list recorded them. Pure data.

export interface Release {
  version: string;
  date: string;
  notes: string[];
}

export const RELEASES: readonly Release[] = [
  { version: "4.0.0", date: "2026-11-25", notes: [
    "Native GTK3 rewrite in TypeScript on GJS, packaged as a .deb (codex-launcher, codex-launcher-proxy)",
    "Translate proxy on libsoup: Responses API ↔ Chat Completions with streaming tool calls, apply_patch and namespace tools",
    "One retry budget with Codex (at most 2 proxy retries per turn); first-byte and idle bounds per model; 8 MB backpressure; pooled connections",
    "GET /monitoring with request, error and latency figures; provider quirks learned into provider-caps.json only once a retry was answered",
    "API keys in the desktop keyring (libsecret) with a 0600 file fallback",
    "config.toml edited in place: comments and your other settings are kept, a backup is made each time",
    "Codex conformance matrix passed with the real Codex CLI 0.169.0 and 0.171.0; tested with the openai npm SDK",
  ] },
  { version: "3.8.0", date: "2026-05-22", notes: [
    "AI Monitoring — self-healing watchdog with 3-tier response system",
    "HealthWatcher: monitors proxy health every 5s, auto-restarts on crash",
    "LogAnalyzer: tails debug logs for 18 failure signal patterns",
    "Tier 1: 14 rule-based auto-recovery rules (< 1s response)",
    "Tier 2: Incident pattern store with success rate tracking",
    "Tier 3: AI diagnostic agent — configurable provider/model for novel failures",
    "30 fault types catalogued across 5 categories (A-E)",
    "GUI: AI Monitor panel with ON/OFF, provider selector, incident log",
    "Enhanced /health endpoint with memory and uptime metrics",
  ] },
  { version: "3.7.0", date: "2026-05-22", notes: [
    "Intelligence Routing — self-healing parser system for Command Code",
    "Layer 1: Deep URL extraction from nested JSON in explore_agent blocks",
    "Layer 2: Auto-proceed on require_escalation / request_escalation_permission blocks",
    "Layer 3: Intent-based command synthesis when all parsers fail (5 heuristics)",
    "Module-level _build_explore_cmd() — reuses URL extraction across parser + stream",
    "54 self-test patterns covering all three Intelligence Routing layers",
  ] },
  { version: "3.6.0", date: "2026-05-22", notes: [
    "Connection pooling — persistent HTTPS connections per host",
    "Stream idle timeout (300s) — kills silent streams instead of hanging",
    "Retry-After header support on all retry paths",
    "Bounded stream buffers (8MB) — prevents OOM",
    "Dual logging to proxy.log + stderr",
  ] },
  { version: "3.5.0", date: "2026-05-22", notes: [
    "Command Code adapter overhaul — 17 patches for multi-format tool-call parsing",
    "DSML, XML, explore_agent, bash blocks, raw JSON parser chain",
    "Self-revive watchdog — auto-restarts proxy on crash",
    "Debug-to-file logging in cc-debug.log",
    "Inline self-test (19 patterns)",
  ] },
  { version: "3.3.0", date: "2026-05-20", notes: [
    "Antigravity + Gemini CLI OAuth — full Codex agent loop working",
    "Auto-continue on MAX_TOKENS for Gemini/Antigravity",
    "BGP++ route scoring and provider policy layer",
  ] },
  { version: "3.0.0", date: "2026-05-20", notes: [
    "Major overhaul — ThreadingHTTPServer, thread-safe state, graceful shutdown",
    "Dynamic port allocation, proxy health gating, atomic config",
    "Usage Dashboard v2 with dark theme",
  ] },
  { version: "2.7.0", date: "2026-05-20", notes: [
    "Usage Dashboard redesigned (OpenUsage-inspired dark theme)",
    "TCP_NODELAY streaming, Anthropic prompt caching",
  ] },
  { version: "2.6.1", date: "2026-05-20", notes: [
    "Google OAuth rebuilt to emulate Gemini CLI — no client_secret.json needed",
    "Uses Google's public OAuth client_id (same as gemini-cli)",
  ] },
];
