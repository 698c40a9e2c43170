// The proxy's HTTP front: a Soup.Server with a small route table. Routes are added by feature
// modules; this file owns listening, who may ask (access policy, checked before a body is read), how
// much a request may send (checked while it is read), dispatch, draining, and the built-in /health.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import type { LogFile } from "../lib/log-file.js";
import { GcScheduler } from "../lib/gc-scheduler.js";
import { readRssMb } from "../lib/proc.js";
import { APP_VERSION } from "../lib/version.js";
import { checkAccess, type AccessPolicy } from "./access-policy.js";
import { buildHealth } from "./health.js";
import { openAiError, statusPhrase } from "./errors.js";
import { sendError, sendJson } from "./http.js";
import { NestingScanner } from "./intake.js";
import { formatLogLine } from "./log-lines.js";
import type { ProxyOptions } from "./options.js";

const encoder = new TextEncoder();

export type RouteHandler = (msg: Soup.ServerMessage, path: string) => void;

export class ListenError extends Error {
  override name = "ListenError";
  constructor(message: string, readonly addressInUse: boolean) {
    super(message);
  }
}

/** Header the launcher's probes carry: the proxy then knows its owner is alive (see ownership.ts). */
export const OWNER_HEADER = "X-Codex-Launcher-Owner";

/** More request headers than this is not a client we serve (libsoup itself caps the header block at 64 KB). */
export const MAX_REQUEST_HEADERS = 256;

/**
 * After refusing an upload, what the client still sends is skipped for at most this long (or this
 * much), so that closing does not reset the connection before the client has read the answer.
 */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024 * 1024;

/**
 * Closes a connection whose client may still be sending. Closing with unread data makes the kernel
 * reset the connection, and a client still writing then never sees the answer already sent; so the
 * sending side is shut, and the rest is skipped (never kept) until the client stops or a bound is hit.
 */
function lingerAndClose(connection: Gio.IOStream): void {
  try {
    // steal_connection() hands over libsoup's own wrapper stream; the socket is under it.
    const base = (connection as unknown as { base_iostream?: Gio.IOStream }).base_iostream ?? connection;
    (base as Gio.SocketConnection).get_socket().shutdown(false, true);
  } catch {
    connection.close(null);
    return;
  }
  const input = connection.get_input_stream();
  const deadline = Date.now() + LINGER_MS;
  let skipped = 0;
  const close = () => {
    try {
      connection.close(null);
    } catch {
      // Closed by the client meanwhile.
    }
  };
  const next = () => {
    if (Date.now() >= deadline || skipped >= LINGER_BYTES) return close();
    input.skip_async(64 * 1024, GLib.PRIORITY_LOW, null, (_s, result) => {
      let n = 0;
      try {
        n = input.skip_finish(result);
      } catch {
        return close();
      }
      if (n <= 0) return close();
      skipped += n;
      next();
    });
  };
  next();
}

/** A body is read at most this much at a time before the main loop gets a turn (see #readInSlices). */
const READ_SLICE_BYTES = 1024 * 1024;


export class ProxyServer {
  readonly #server = new Soup.Server({});
  readonly #routes = new Map<string, RouteHandler>();
  readonly #startedAtMs = Date.now();
  readonly #policy: AccessPolicy;
  /** Read deadlines of requests still being received. */
  readonly #deadlines = new Map<Soup.ServerMessage, ReturnType<typeof setTimeout>>();
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
  /** Every request that ends, served or refused, lets its message (and body) be collected: see GcScheduler. */
  readonly gc = new GcScheduler();
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
    // A client that trickles its request (or never finishes it) cannot hold a connection forever.
    this.#server.connect("request-started", (_server, msg: Soup.ServerMessage) => this.#startDeadline(msg));
    this.#server.connect("request-read", (_server, msg: Soup.ServerMessage) => this.#clearDeadline(msg));
    this.#server.connect("request-aborted", (_server, msg: Soup.ServerMessage) => {
      this.#clearDeadline(msg);
      this.gc.workDone();
    });
    this.#server.connect("request-finished", () => this.gc.workDone());
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

  /**
   * The body of a POST as the server read it (never more than the limit: see #early), or null when it
   * nests deeper than `maxDepth`: that is decided chunk by chunk as libsoup stored the body, so a
   * hostile body is refused without a whole copy of it ever being made.
   */
  requestBody(msg: Soup.ServerMessage, maxDepth = Infinity): Uint8Array | null {
    if (maxDepth !== Infinity) {
      const body = msg.get_request_body();
      const scanner = new NestingScanner();
      for (let offset = 0; ;) {
        const chunk = body.get_chunk(offset);
        if (!chunk) break;
        const piece = chunk.toArray();
        if (piece.length === 0) break;
        if (!scanner.feed(piece, maxDepth)) return null;
        offset += piece.length;
      }
    }
    const bytes: GLib.Bytes = msg.get_request_body().flatten();
    // toArray(), not get_data(): in gjs 1.74 get_data() keeps the whole buffer alive for good (16 MB per call measured).
    return bytes.toArray();
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

  #startDeadline(msg: Soup.ServerMessage): void {
    this.#deadlines.set(msg, setTimeout(() => {
      this.#deadlines.delete(msg);
      this.log?.write(formatLogLine(null, "refused", { status: 408, code: "request_timeout" },
        { message: `the client did not send its whole request within ${this.options.requestTimeoutS} s; connection closed` }));
      try {
        msg.get_socket()?.shutdown(true, true);
      } catch {
        // Already closed by the client.
      }
    }, this.options.requestTimeoutS * 1000));
  }

  #clearDeadline(msg: Soup.ServerMessage): void {
    const timer = this.#deadlines.get(msg);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#deadlines.delete(msg);
  }

  /** After the headers, before the body: who is asking, and how much they may send. */
  #early(msg: Soup.ServerMessage, path: string): void {
    const headers = msg.get_request_headers();
    const method = msg.get_method();
    let count = 0;
    headers.foreach(() => count++);
    if (count > MAX_REQUEST_HEADERS) {
      this.#refuse(msg, path, 431, "too_many_headers", `the request has ${count} headers; the limit is ${MAX_REQUEST_HEADERS}`);
      return;
    }
    const verdict = checkAccess({ method, path, host: headers.get_one("Host"), uriHost: msg.get_uri().get_host(), origin: headers.get_one("Origin"),
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
    if (encoding === Soup.Encoding.CONTENT_LENGTH && length > this.maxBodyBytes) {
      // Refused before a byte of the body is read.
      this.#refuseUnread(msg, path, 413, "request_too_large", `request body is ${length} bytes; the limit is ${this.maxBodyBytes}`);
      return;
    }
    if (encoding === Soup.Encoding.CHUNKED || (encoding === Soup.Encoding.CONTENT_LENGTH && length > READ_SLICE_BYTES)) {
      this.#readInSlices(msg, path, encoding === Soup.Encoding.CHUNKED);
      return;
    }
    // No length and not chunked: nothing tells where the body ends.
    if (encoding === Soup.Encoding.EOF)
      this.#refuseUnread(msg, path, 411, "length_required", "send the request body with a Content-Length or chunked");
  }

  /**
   * Watches a big or chunked body while libsoup reads it. libsoup reads whatever the socket has in one
   * go (30 MB: ~250 ms without a break, measured), so every READ_SLICE_BYTES the message is paused and
   * resumed from the main loop: /health and live streams get their turn in between. A chunked body is
   * also cut off at the limit: the client gets its 413 and the connection is closed, so the rest of the
   * upload (a gigabyte, if that is what it sends) is never read.
   *
   * The chunk argument is not touched: in gjs 1.74 a GLib.Bytes handed to a signal handler and used
   * there is never freed (30 MB kept per upload, measured). The body's running length says enough.
   */
  #readInSlices(msg: Soup.ServerMessage, path: string, chunked: boolean): void {
    const body = msg.get_request_body();
    let sliceEnd = READ_SLICE_BYTES;
    let refused = false;
    msg.connect("got-chunk", (m: Soup.ServerMessage) => {
      if (refused) return;
      if (chunked && body.length > this.maxBodyBytes) {
        refused = true;
        this.#refuseUnread(m, path, 413, "request_too_large", `chunked request body passed the ${this.maxBodyBytes}-byte limit; connection closed`);
        return;
      }
      if (body.length < sliceEnd) return;
      sliceEnd = body.length + READ_SLICE_BYTES;
      m.pause();
      GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        if (!refused) m.unpause();
        return GLib.SOURCE_REMOVE;
      });
    });
  }

  /**
   * Refuses a request whose body must not be read at all (too big, or of unknown length): the
   * connection is taken from libsoup — which would otherwise read the whole body first, a gigabyte if
   * that is what the client sends —, answered and closed.
   */
  #refuseUnread(msg: Soup.ServerMessage, path: string, status: number, code: string, message: string): void {
    this.#clearDeadline(msg);
    this.log?.write(formatLogLine(null, "refused", { method: msg.get_method(), path: path.slice(0, 200), status, code }, { message }));
    const body = JSON.stringify(openAiError(status, message, code));
    const answer = `HTTP/1.1 ${status} ${statusPhrase(status)}\r\nContent-Type: application/json\r\nContent-Length: ${encoder.encode(body).length}\r\n` +
      `Connection: close\r\n\r\n${body}`;
    try {
      const connection = msg.steal_connection();
      connection.get_output_stream().write_all(encoder.encode(answer), null);
      lingerAndClose(connection);
    } catch {
      // The client is gone already.
    }
    // What was read of an oversized body is dropped now, not when the message is collected.
    msg.get_request_body().truncate();
    this.gc.workDone();
  }

  #refuse(msg: Soup.ServerMessage, path: string, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    // libsoup still reads a refused request's body (to end the exchange cleanly): it is dropped as it
    // arrives instead of being kept.
    msg.get_request_body().set_accumulate(false);
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
