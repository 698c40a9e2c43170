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
