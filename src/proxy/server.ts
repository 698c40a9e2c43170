// The proxy's HTTP front: a Soup.Server with a small route table. Routes are added by feature
// modules; this file only owns listening, dispatch, counting and the built-in /health route.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { readRssMb } from "../lib/proc.js";
import { APP_VERSION } from "../lib/version.js";
import { buildHealth } from "./health.js";
import { sendError, sendJson } from "./http.js";
import type { ProxyOptions } from "./options.js";

export type RouteHandler = (msg: Soup.ServerMessage, path: string) => void;

export class ListenError extends Error {
  override name = "ListenError";
  constructor(message: string, readonly addressInUse: boolean) {
    super(message);
  }
}

export class ProxyServer {
  readonly #server = new Soup.Server({});
  readonly #routes = new Map<string, RouteHandler>();
  readonly #startedAtMs = Date.now();
  #port = 0;
  requestsTotal = 0;
  activeStreams = 0;
  models: string[] = [];

  constructor(readonly options: ProxyOptions) {
    this.route("GET", "/health", (msg) => sendJson(msg, 200, this.health()));
    this.#server.add_handler(null, (_server, msg, path) => this.#dispatch(msg, path));
  }

  /** Registers a handler; `path` is matched exactly. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.#routes.set(`${method} ${path}`, handler);
  }

  get port(): number {
    return this.#port;
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

  health() {
    return buildHealth({
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
    });
  }

  #dispatch(msg: Soup.ServerMessage, path: string): void {
    const method = msg.get_method();
    const handler = this.#routes.get(`${method} ${path}`);
    // Health probes are not traffic: counting them would hide an idle proxy from the watchdog.
    if (!(method === "GET" && path === "/health")) this.requestsTotal++;
    if (handler) {
      handler(msg, path);
      return;
    }
    const allowed = [...this.#routes.keys()].filter((key) => key.endsWith(` ${path}`)).map((key) => key.split(" ")[0]);
    if (allowed.length > 0) sendError(msg, 405, `method ${method} is not allowed on ${path}`, null, { Allow: allowed.join(", ") });
    else sendError(msg, 404, `no route for ${method} ${path}`);
  }
}
