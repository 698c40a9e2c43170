// Who may talk to the proxy. Pure. The proxy holds the user's provider keys, so a request is served
// only when it comes from the user's own programs: the Host header names this machine (no DNS
// rebinding), no browser page sent it (Origin / Sec-Fetch-Site), and — when the launcher gave the proxy
// a client token — it carries that token.

export interface AccessPolicy {
  /** Host names/addresses (without port) accepted besides loopback, e.g. the address given with --host. */
  extraHosts: readonly string[];
  /** Origins a browser request may come from; empty by default. */
  allowedOrigins: readonly string[];
  /** Required as `Authorization: Bearer <token>` on everything but /health; null = not required. */
  clientToken: string | null;
}

export interface RequestFacts {
  method: string;
  path: string;
  host: string | null;
  /** The host of the request URI: differs from Host only for an absolute-URI request (proxy-style). */
  uriHost?: string | null;
  origin: string | null;
  secFetchSite: string | null;
  authorization: string | null;
}

export type AccessVerdict = { ok: true } | { ok: false; status: 401 | 403 | 421; code: string; message: string };

/** Routes that answer without a client token: probes must work without a secret, and show none. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/health"]);

/** The host part of a Host header value ("[::1]:8080" → "::1", "localhost:80" → "localhost"). */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end < 0 ? value : value.slice(1, end);
  }
  const colon = value.lastIndexOf(":");
  // A single colon separates a port; several colons are a bare IPv6 address.
  return colon >= 0 && value.indexOf(":") === colon ? value.slice(0, colon) : value;
}

export function isLoopbackHost(name: string): boolean {
  const host = name.replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Compares two strings without an early exit on the first difference (the token's length is no secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function bearer(authorization: string | null): string | null {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m ? m[1] : null;
}

export function checkAccess(request: RequestFacts, policy: AccessPolicy): AccessVerdict {
  if (request.host === null || request.host.trim() === "")
    return { ok: false, status: 421, code: "forbidden_host", message: "the request has no Host header; this proxy serves only this machine" };
  const allowedHost = (name: string) => isLoopbackHost(name) || policy.extraHosts.some((h) => h.toLowerCase() === name);
  const name = hostName(request.host);
  if (!allowedHost(name))
    return { ok: false, status: 421, code: "forbidden_host", message: `Host '${name}' is not this machine; this proxy serves only loopback clients` };
  // "GET http://example.com/ HTTP/1.1": this is no forward proxy.
  if (request.uriHost && !allowedHost(hostName(request.uriHost)))
    return { ok: false, status: 421, code: "forbidden_host", message: "absolute request URIs naming another host are refused; this is not a forward proxy" };
  const originAllowed = request.origin !== null && policy.allowedOrigins.includes(request.origin);
  if (request.origin !== null && !originAllowed)
    return { ok: false, status: 403, code: "forbidden_origin", message: "requests from web pages are refused (Origin is not on the proxy's allow-list)" };
  // Browsers send Sec-Fetch-Site on every request; Codex, curl and SDKs do not. A page's request
  // without Origin (a navigation, an image) is refused too.
  const site = request.secFetchSite?.trim().toLowerCase() ?? null;
  if (site !== null && site !== "none" && !originAllowed)
    return { ok: false, status: 403, code: "forbidden_origin", message: "requests from web pages are refused" };
  if (policy.clientToken !== null && !OPEN_PATHS.has(request.path)) {
    const given = bearer(request.authorization);
    if (given === null || !constantTimeEqual(given, policy.clientToken))
      return { ok: false, status: 401, code: "invalid_client_token",
        message: given === null ? "this proxy needs its client token (Authorization: Bearer <token>); start Codex from Codex Launcher, or use `codex --profile codex-launcher`"
          : "the client token is wrong; start Codex from Codex Launcher, or use `codex --profile codex-launcher`" };
  }
  return { ok: true };
}
