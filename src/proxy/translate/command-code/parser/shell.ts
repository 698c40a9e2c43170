// Shell safety for commands the proxy writes itself: POSIX quoting, and the rule that a command
// guessed from a model's prose is read-only. Pure.
//
// The original interpolated model text into `echo '…'` (a `'` in the text ended the quote and the
// rest ran as shell) and let its Layer 3 synthesize `rm …` from a backticked word. Here every
// variable part is quoted with shellQuote(), and synthesis only accepts commands from a read-only
// allow-list that also pass a destructive-command deny-list.

/** One shell word: single-quoted, with each `'` written as `'\''`. Safe for any input. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Text for a `# …` comment or an echoed note: control characters (a newline would start a second command) removed. */
export function oneLine(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `echo '<text>'`, quoted so nothing in the text can run. */
export function echoCommand(text: string): string {
  return `echo ${shellQuote(oneLine(text, 300))}`;
}

/**
 * Words that destroy or overwrite data, escalate privileges or take a machine down. A command that
 * contains one anywhere (after a pipe, in a subshell) is never synthesized.
 */
const DESTRUCTIVE_WORDS = new Set([
  "rm", "rmdir", "unlink", "shred", "wipe", "wipefs", "dd", "mkfs", "fdisk", "sfdisk", "parted", "mkswap", "truncate",
  "mv", "chmod", "chown", "chgrp", "chattr", "ln", "sudo", "su", "doas", "pkexec", "kill", "killall", "pkill", "reboot",
  "shutdown", "poweroff", "halt", "init", "systemctl", "crontab", "userdel", "usermod", "passwd", "iptables", "nft",
]);

const DESTRUCTIVE_PATTERNS: RegExp[] = [
  /\bgit\s+(?:reset\s+--hard|clean\b|push\b[^|;&]*(?:--force|-f\b)|checkout\s+--\s|checkout\s+\.|restore\b)/,
  /\bgit\s+(?:branch\s+-D|stash\s+(?:drop|clear)|filter-branch|gc\s+--prune)/,
  /\bfind\b[^|;&]*\s-(?:delete|exec|execdir|ok|okdir)\b/,
  /\b(?:docker|podman)\s+(?:rm|rmi|kill|stop|system\s+prune|volume\s+rm|image\s+prune|container\s+prune)\b/,
  /\b(?:npm|pnpm|yarn)\s+(?:uninstall|remove|rm|unpublish|cache\s+clean)\b/,
  /\bpip3?\s+uninstall\b/,
  /\bsed\b[^|;&]*\s-i/,
  /:\(\)\s*\{/, // fork bomb
  />\s*\/dev\/(?:sd|nvme|hd|mmcblk)/,
];

/** The words a command runs (first word of each pipeline/list element, after env assignments). */
function commandWords(cmd: string): string[] {
  return cmd
    .split(/\|\||&&|[|;&\n]|\$\(|`|\(/)
    .map((part) => part.trim().replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/, ""))
    .map((part) => part.split(/\s+/)[0] ?? "")
    .map((word) => word.replace(/^.*\//, "")) // /bin/rm → rm
    .filter(Boolean);
}

export function isDestructiveCommand(cmd: string): boolean {
  if (commandWords(cmd).some((w) => DESTRUCTIVE_WORDS.has(w))) return true;
  if (/(^|[^<>&0-9])>(?!&)/.test(cmd.replace(/2>\s*\/dev\/null|>\s*\/dev\/null/g, ""))) return true; // overwriting redirection
  return DESTRUCTIVE_PATTERNS.some((p) => p.test(cmd));
}

/** Read-only programs a guessed command may start with (and, for some, which subcommands). */
const READ_ONLY_PROGRAMS: Record<string, RegExp | true> = {
  ls: true, cat: true, head: true, tail: true, grep: true, rg: true, egrep: true, fgrep: true, wc: true, pwd: true, tree: true,
  stat: true, file: true, which: true, du: true, df: true, echo: true, find: true, less: true, diff: true, env: true,
  uname: true, whoami: true, date: true, cd: true, mkdir: true,
  curl: true, wget: true,
  git: /^git\s+(?:status|log|diff|show|branch|remote|ls-files|rev-parse|describe|blame|tag|fetch|clone|config\s+--get)\b/,
  npm: /^npm\s+(?:ls|list|view|info|test|run\s+test|outdated|--version|-v)\b/,
  pip: /^pip3?\s+(?:list|show|freeze|--version)\b/,
  pip3: /^pip3?\s+(?:list|show|freeze|--version)\b/,
  python: /^python3?\s+(?:--version|-V|-c\s+['"]?print)/,
  python3: /^python3?\s+(?:--version|-V|-c\s+['"]?print)/,
  node: /^node\s+(?:--version|-v)\b/,
  cargo: /^cargo\s+(?:check|test|tree|metadata|--version)\b/,
  go: /^go\s+(?:version|env|list|vet|test)\b/,
  make: /^make\s+(?:-n|--dry-run|test|check)\b/,
};

/** curl options that write files, upload, or send anything but a GET. */
const CURL_WRITES = /\s(?:-[a-zA-Z]*[oOTd]\b|--output|--remote-name|--upload-file|--data\S*|-X\s*(?!GET)\S+|--request\s+(?!GET)\S+|-F\b|--form)/;

/**
 * True when a command guessed from prose may be run: one read-only program (no lists, redirections,
 * substitutions), nothing destructive, and no write options for the download tools.
 */
export function isSafeToSynthesize(cmd: string): boolean {
  const trimmed = cmd.trim();
  if (!trimmed || trimmed.length > 300) return false;
  if (/[;&|<>`\n\r]|\$\(/.test(trimmed)) return false;
  if (isDestructiveCommand(trimmed)) return false;
  const program = trimmed.split(/\s+/)[0];
  const rule = READ_ONLY_PROGRAMS[program];
  if (!rule) return false;
  if (rule !== true && !rule.test(trimmed)) return false;
  if (program === "curl" && CURL_WRITES.test(` ${trimmed}`)) return false;
  if (program === "wget" && !/\s-(?:q?O-|-output-document=-|O\s+-)(?:\s|$)/.test(` ${trimmed} `)) return false;
  return true;
}
