// The proxy's HTTP front: a Soup.Server with a small route table. Routes are added by feature
// modules; this file owns listening, who may ask (access policy, checked before a body is read), how
// much a request may send (checked while it is read), dispatch, draining, and the built-in /health.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import type { LogFile } from "../lib/log-file.js";
import { readRssMb } from "../lib/proc.js";
import { APP_VERSION } from "../lib/version.js";
import { checkAccess, type AccessPolicy } from "./access-policy.js";
import { buildHealth } from "./health.js";
import { sendError, sendJson } from "./http.js";
import { formatLogLine } from "./log-lines.js";
import type { ProxyOptions } from "./options.js";

export type RouteHandler = (msg: Soup.ServerMessage, path: string) => void;

export class ListenError extends Error {
  override name = "ListenError";
  constructor(message: string, readonly addressInUse: boolean) {
    super(message);
  }
}

/** Header the launcher's probes carry: the proxy then knows its owner is alive (see ownership.ts). */
export const OWNER_HEADER = "X-Codex-Launcher-Owner";

/** A chunked body being read: bytes kept until the limit, then the connection is cut. */
interface BodyInProgress {
  chunks: Uint8Array[];
  bytes: number;
}

export class ProxyServer {
  readonly #server = new Soup.Server({});
  readonly #routes = new Map<string, RouteHandler>();
  readonly #startedAtMs = Date.now();
  readonly #policy: AccessPolicy;
  readonly #chunked = new Map<Soup.ServerMessage, BodyInProgress>();
  #port = 0;
  #draining = false;
  requestsTotal = 0;
  activeStreams = 0;
  models: string[] = [];
  /** Last time an authenticated request said it came from the owning launcher (OWNER_HEADER). */
  lastOwnerContactMs = Date.now();
  /** Last request that was not a health probe. */
  lastRequestMs = Date.now();
  /** The user chose to keep this proxy running without a launcher. */
  kept = false;
  log: LogFile | null = null;
  /** An AI BGP pool's routes and their state, for /health (the original's `bgp_routes`). */
  bgp: (() => { pool: string; strategy: string; routes: unknown[] }) | null = null;
  readonly maxBodyBytes: number;

  constructor(readonly options: ProxyOptions) {
    const bound = options.host.trim().toLowerCase();
    // An address the user bound explicitly is a legitimate Host too (not the wildcard ones).
    const extraHosts = bound && bound !== "0.0.0.0" && bound !== "::" ? [bound] : [];
    this.#policy = { extraHosts, allowedOrigins: options.allowedOrigins, clientToken: options.clientToken };
    this.maxBodyBytes = options.maxBodyMb * 1024 * 1024;
    this.route("GET", "/health", (msg) => this.#serveHealth(msg));
    this.#server.add_early_handler(null, (_server, msg, path) => this.#early(msg, path));
    this.#server.add_handler(null, (_server, msg, path) => this.#dispatch(msg, path));
  }

  /** Registers a handler; `path` is matched exactly. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.#routes.set(`${method} ${path}`, handler);
  }

  get port(): number {
    return this.#port;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Binds the socket; throws ListenError with a one-line, user-facing message. */
  listen(): number {
    const { host, port } = this.options;
    let address: Gio.InetSocketAddress | null;
    try {
      address = Gio.InetSocketAddress.new_from_string(host, port);
    } catch {
      address = null;
    }
    if (!address) throw new ListenError(`'${host}' is not an IP address`, false);
    try {
      // Our own socket so SO_REUSEADDR is set: after a restart, connections the old proxy closed sit in
      // TIME_WAIT on this port, and the new proxy must still be able to bind it.
      const socket = Gio.Socket.new(address.get_family(), Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
      socket.bind(address, true);
      socket.set_listen_backlog(128);
      socket.listen();
      this.#server.listen_socket(socket, 0 as Soup.ServerListenOptions);
    } catch (e) {
      const inUse = e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.ADDRESS_IN_USE);
      const reason = inUse ? "address already in use" : (e as Error).message;
      throw new ListenError(`cannot listen on ${host}:${port}: ${reason}`, inUse);
    }
    this.#port = this.#server.get_uris()[0]?.get_port() ?? port;
    return this.#port;
  }

  stop(): void {
    this.#server.disconnect();
  }

  /**
   * Stops taking new requests (they get 503) and resolves once no stream is live, or after
   * `timeoutMs`: a restart or shutdown then cuts nothing that could still finish.
   */
  drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.log?.write(formatLogLine(null, "draining", { active_streams: this.activeStreams, timeout_s: Math.round(timeoutMs / 1000) }));
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (this.activeStreams <= 0 || Date.now() >= deadline) return resolve();
        setTimeout(check, 50);
      };
      check();
    });
  }

  /** The body of a POST as the server read it (a bounded copy for chunked bodies). */
  requestBody(msg: Soup.ServerMessage): Uint8Array {
    const collected = this.#chunked.get(msg);
    if (collected) {
      this.#chunked.delete(msg);
      const out = new Uint8Array(collected.bytes);
      let offset = 0;
      for (const chunk of collected.chunks) {
        out.set(chunk, offset);
        offset += chunk.length;
      }
      return out;
    }
    const bytes: GLib.Bytes = msg.get_request_body().flatten();
    return bytes.get_data() ?? new Uint8Array(0);
  }

  health() {
    return {
      ...buildHealth({
        version: APP_VERSION,
        backend: this.options.backend,
        targetUrl: this.options.targetUrl,
        port: this.#port,
        models: this.models,
        startedAtMs: this.#startedAtMs,
        nowMs: Date.now(),
        memoryMb: readRssMb("self"),
        requestsTotal: this.requestsTotal,
        activeStreams: this.activeStreams,
        pid: Number(new Gio.Credentials().get_unix_pid()),
      }),
      client_token_required: this.#policy.clientToken !== null,
      bgp_pool: this.bgp ? this.bgp().pool : null,
      bgp_strategy: this.bgp ? this.bgp().strategy : null,
      bgp_routes: this.bgp ? this.bgp().routes : null,
      kept: this.kept,
      draining: this.#draining,
    };
  }

  #serveHealth(msg: Soup.ServerMessage): void {
    const headers = msg.get_request_headers();
    if (headers.get_one(OWNER_HEADER) !== null && checkAccess({ method: "GET", path: "/admin", host: headers.get_one("Host"), origin: null,
      secFetchSite: null, authorization: headers.get_one("Authorization") }, this.#policy).ok) this.lastOwnerContactMs = Date.now();
    sendJson(msg, this.#draining ? 503 : 200, this.#draining ? { ...this.health(), ok: false } : this.health());
  }

  /** After the headers, before the body: who is asking, and how much they may send. */
  #early(msg: Soup.ServerMessage, path: string): void {
    const headers = msg.get_request_headers();
    const method = msg.get_method();
    const verdict = checkAccess({ method, path, host: headers.get_one("Host"), origin: headers.get_one("Origin"),
      secFetchSite: headers.get_one("Sec-Fetch-Site"), authorization: headers.get_one("Authorization") }, this.#policy);
    if (!verdict.ok) {
      this.#refuse(msg, path, verdict.status, verdict.code, verdict.message, verdict.status === 401 ? { "WWW-Authenticate": "Bearer" } : {});
      return;
    }
    if (this.#draining && path !== "/health") {
      this.#refuse(msg, path, 503, "server_shutting_down", "the proxy is restarting; retry in a moment", { "Retry-After": "1" });
      return;
    }
    if (method !== "POST") return;
    const length = headers.get_content_length();
    const encoding = headers.get_encoding();
    if (encoding === Soup.Encoding.CONTENT_LENGTH) {
      // Refused before a byte of the body is read.
      if (length > this.maxBodyBytes) this.#refuse(msg, path, 413, "request_too_large", `request body is ${length} bytes; the limit is ${this.maxBodyBytes}`);
      return;
    }
    if (encoding !== Soup.Encoding.CHUNKED) return;
    // A chunked body is counted while it arrives: kept up to the limit, then the connection is cut, so
    // a client can never make the proxy hold more than the limit in memory.
    const body: BodyInProgress = { chunks: [], bytes: 0 };
    this.#chunked.set(msg, body);
    msg.get_request_body().set_accumulate(false);
    const handlers: number[] = [];
    const release = () => {
      for (const id of handlers.splice(0)) msg.disconnect(id);
    };
    handlers.push(msg.connect("got-chunk", (_m, chunk: GLib.Bytes) => {
      const data = chunk.get_data() ?? new Uint8Array(0);
      body.bytes += data.length;
      if (body.bytes <= this.maxBodyBytes) {
        body.chunks.push(data.slice());
        return;
      }
      body.chunks = [];
      this.#chunked.delete(msg);
      release();
      this.log?.write(formatLogLine(null, "refused", { method, path, status: 413, code: "request_too_large" },
        { message: `chunked request body passed the ${this.maxBodyBytes}-byte limit; connection closed` }));
      // Stop reading at once: the rest of the body is never taken in.
      try {
        msg.get_socket()?.shutdown(true, true);
      } catch (e) {
        this.log?.write(formatLogLine(null, "internal_error", {}, { message: `cannot close an oversized upload: ${(e as Error).message}` }));
      }
    }));
    handlers.push(msg.connect("finished", () => {
      release();
      this.#chunked.delete(msg);
    }));
  }

  #refuse(msg: Soup.ServerMessage, path: string, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    sendError(msg, status, message, code, { Connection: "close", ...headers });
    this.log?.write(formatLogLine(null, "refused", { method: msg.get_method(), path: path.slice(0, 200), status, code }, { message }));
  }

  #dispatch(msg: Soup.ServerMessage, path: string): void {
    const method = msg.get_method();
    const handler = this.#routes.get(`${method} ${path}`);
    // Health probes are not traffic: counting them would hide an idle proxy from the watchdog.
    if (!(method === "GET" && path === "/health")) {
      this.requestsTotal++;
      this.lastRequestMs = Date.now();
    }
    if (handler) {
      handler(msg, path);
      return;
    }
    const allowed = [...this.#routes.keys()].filter((key) => key.endsWith(` ${path}`)).map((key) => key.split(" ")[0]);
    if (allowed.length > 0) sendError(msg, 405, `method ${method} is not allowed on ${path}`, null, { Allow: allowed.join(", ") });
    else sendError(msg, 404, `no route for ${method} ${path.slice(0, 200)}`);
  }
}
