// Who listens on a TCP port: /proc/net/tcp{,6} rows and the socket inodes they name. Pure parsing.

/** Socket inodes listening on `port` (state 0A = LISTEN) in the text of /proc/net/tcp or tcp6. */
export function listeningInodes(procNetTcp: string, port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const out: number[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = cols[1];
    if (local.endsWith(`:${hexPort}`) && cols[3] === "0A") out.push(Number(cols[9]));
  }
  return out.filter((n) => n > 0);
}

/** "socket:[12345]" → 12345 */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** True when a process's argv is Codex itself: the codex binary, or node running the codex launcher script. */
export function isCodexArgv(argv: readonly string[]): boolean {
  const base = (path: string | undefined) => (path ?? "").split("/").pop() ?? "";
  // Codex's background app-server daemon outlives the session; it is not the Codex the user runs.
  if (base(argv[0]) === "codex") return argv[1] !== "app-server";
  return /^node(js)?$/.test(base(argv[0])) && /^(codex|codex\.js)$/.test(base(argv[1])) && argv[2] !== "app-server";
}
