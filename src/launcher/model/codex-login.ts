// Codex's own login, as `codex login status` reports it, and the session options the launcher passes to
// the Codex it starts. Pure.

export type CodexLoginState = "logged-in" | "logged-out" | "unknown";

export interface CodexLogin {
  state: CodexLoginState;
  /** Codex's own words ("Logged in using ChatGPT", "API key configured - sk-…", "Not logged in"). */
  text: string;
}

/**
 * Reads `codex login status` (it writes to stderr; exit 0 when logged in, 1 when not). Warnings Codex
 * prints about itself (PATH aliases, config) are not the status.
 */
export function parseLoginStatus(exitCode: number | null, output: string): CodexLogin {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^WARNING:/i.test(l));
  const status = lines.find((l) => /logged in|not logged|api key|access token|chatgpt/i.test(l)) ?? lines[0] ?? "";
  if (/not logged in/i.test(status)) return { state: "logged-out", text: status };
  if (exitCode === 0 && status) return { state: "logged-in", text: status };
  return { state: "unknown", text: status || (exitCode === null ? "codex login status did not finish" : `codex login status exited ${exitCode}`) };
}

/** Why the status matters: Codex through the launcher uses the endpoint's key, not this login. */
export function loginLine(login: CodexLogin | null, codexFound: boolean): { text: string; ok: boolean | null } {
  if (!codexFound) return { text: "Codex login: the Codex CLI is not installed", ok: false };
  if (!login) return { text: "Codex login: checking…", ok: null };
  switch (login.state) {
    case "logged-in":
      return { text: `Codex login: ✓ ${login.text}`, ok: true };
    case "logged-out":
      return { text: "Codex login: ⚠ not logged in (only Codex's own OpenAI account needs it; endpoints here use their own keys)", ok: false };
    default:
      return { text: `Codex login: ? ${login.text}`, ok: null };
  }
}

export const SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;
export const APPROVAL_POLICIES = ["untrusted", "on-request", "on-failure", "never"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

export const SANDBOX_LABELS: Record<SandboxMode, string> = {
  "read-only": "Read-only",
  "workspace-write": "Workspace write",
  "danger-full-access": "Full access (no sandbox)",
};

export const APPROVAL_LABELS: Record<ApprovalPolicy, string> = {
  untrusted: "Untrusted (ask for all but safe reads)",
  "on-request": "On request (the model asks)",
  "on-failure": "On failure",
  never: "Never ask",
};

export interface SessionOptions {
  sandbox: SandboxMode;
  approval: ApprovalPolicy;
}

/** Codex's own defaults for an interactive session. */
export const DEFAULT_SESSION_OPTIONS: SessionOptions = { sandbox: "workspace-write", approval: "on-request" };

/** The `codex_session` section of endpoints.json, read with defaults (anything unknown falls back). */
export function readSessionOptions(section: unknown): SessionOptions {
  const s = (section && typeof section === "object" ? section : {}) as Record<string, unknown>;
  return {
    sandbox: (SANDBOX_MODES as readonly unknown[]).includes(s.sandbox) ? (s.sandbox as SandboxMode) : DEFAULT_SESSION_OPTIONS.sandbox,
    approval: (APPROVAL_POLICIES as readonly unknown[]).includes(s.approval) ? (s.approval as ApprovalPolicy) : DEFAULT_SESSION_OPTIONS.approval,
  };
}

/** The values of one option as `codex --help` lists them, or null when the help does not say. */
export function helpChoices(help: string, option: string): string[] | null {
  const lines = help.split(/\r?\n/);
  const start = lines.findIndex((l) => new RegExp(`^\\s*(-\\w, )?${option.replace(/-/g, "\\-")}\\b`).test(l));
  if (start < 0) return null;
  // The option's block runs until the next option line.
  let end = lines.findIndex((l, i) => i > start && /^\s{0,8}-{1,2}\w/.test(l));
  if (end < 0) end = lines.length;
  const block = lines.slice(start + 1, end).join("\n");
  const bracket = /\[possible values: ([^\]]+)\]/.exec(block);
  if (bracket) return bracket[1].split(",").map((v) => v.trim()).filter(Boolean);
  const bullets = [...block.matchAll(/^\s*-\s+([a-z][\w-]*):/gm)].map((m) => m[1]);
  return bullets.length ? bullets : null;
}

/**
 * Which sandbox modes and approval policies the installed Codex accepts (Codex 0.169 dropped
 * `untrusted` and `on-failure` from --ask-for-approval): the selectors offer only those, so the flags
 * the launcher passes are always valid. Null lists: the help did not say (everything is offered).
 */
export function codexFlagChoices(help: string): { sandbox: SandboxMode[] | null; approval: ApprovalPolicy[] | null } {
  const sandbox = helpChoices(help, "--sandbox");
  const approval = helpChoices(help, "--ask-for-approval");
  return {
    sandbox: sandbox ? SANDBOX_MODES.filter((m) => sandbox.includes(m)) : null,
    approval: approval ? APPROVAL_POLICIES.filter((p) => approval.includes(p)) : null,
  };
}
