// Wires the proxy together: options → server, upstream pool, store, metrics, log, routes.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import type Soup from "gi://Soup?version=3.0";
import { usesGoogleLogin } from "../lib/backend-types.js";
import { routeKey } from "../lib/route-stats.js";
import { providerHost } from "../lib/usage-stats.js";
import { splitUrlSecrets } from "../lib/url-secrets.js";
import { PoolRouter } from "./bgp/router.js";
import { RouteStatsWriter } from "./bgp/route-stats-writer.js";
import { readTextFile, writeFileAtomic } from "../lib/files.js";
import { LogFile } from "../lib/log-file.js";
import { redactSecrets } from "../lib/redact.js";
import { userPaths } from "../lib/system-paths.js";
import { APP_VERSION } from "../lib/version.js";
import { CapsStore } from "./caps-store.js";
import { sendError, sendJson } from "./http.js";
import { formatLogLine } from "./log-lines.js";
import { ProxyMetrics } from "./metrics.js";
import { modelsDocument, parseModelsFile } from "./models.js";
import type { ProxyOptions } from "./options.js";
import { ResponseStore } from "./response-store.js";
import { DEFAULT_RETRY_POLICY, TurnRetryLedger } from "./retry-policy.js";
import { SILENCE_DEFAULTS } from "./silence.js";
import { ResponsesRoute, type PoolRouting, type UpstreamTarget } from "./routes/responses.js";
import { ProxyServer } from "./server.js";
import type { AdapterContext, AdapterHttp, LoginFile } from "./translate/contract.js";
import { backendDefinition } from "./translate/registry.js";
import { BodyReader, UpstreamClient } from "./upstream.js";
import { UsageRecorder } from "./usage-recorder.js";

export const MAX_STREAM_BUFFER_BYTES = 8 * 1024 * 1024;
/** A pool route that sends no response headers within this long is given up for the next route. */
export const POOL_HEADERS_TIMEOUT_MS = 60_000;
/** The biggest admin request body read (a few small JSON fields). */
const MAX_ADMIN_BODY = 4096;

export function readModels(options: ProxyOptions): string[] {
  if (!options.modelsFile) return [];
  const [, bytes] = GLib.file_get_contents(options.modelsFile);
  return parseModelsFile(new TextDecoder().decode(bytes), options.modelsFile);
}

/** The Gemini CLI's own login, used by the Google backends when the launcher names no other file. */
export function geminiCliCredentialsPath(home = GLib.get_home_dir()): string {
  return `${home}/.gemini/oauth_creds.json`;
}

/** A login file the adapter renews in place: read fresh each time, written atomically with mode 0600. */
export function loginFile(path: string): LoginFile {
  return { path, read: () => readTextFile(path), write: (text) => writeFileAtomic(path, text, 0o600) };
}

/** Small side requests of an adapter (token refresh, project lookup) over the proxy's own pool. */
export function adapterHttp(upstream: UpstreamClient): AdapterHttp {
  return async (request) => {
    const cancellable = new Gio.Cancellable();
    const timeoutMs = request.timeoutMs ?? 30000;
    const reply = await upstream.send({ method: request.method, url: request.url, headers: request.headers ?? {},
      ...(request.body !== undefined ? { body: new TextEncoder().encode(request.body), contentType: request.contentType ?? "application/json" } : {}) },
    cancellable, timeoutMs);
    const reader = new BodyReader(reply.stream, cancellable, timeoutMs);
    const text = await reader.text(1024 * 1024);
    await reader.close(true);
    return { status: reply.status, text };
  };
}

export interface ProxyApp {
  server: ProxyServer;
  log: LogFile;
  metrics: ProxyMetrics;
  /** Every literal secret the proxy holds (provider keys, client token, URL credentials). */
  secrets: string[];
  /** Writes what is pending (usage, route stats) before the process exits. */
  flush: () => void;
}

function adminBody(server: ProxyServer, msg: Soup.ServerMessage): Record<string, unknown> | null {
  const bytes = server.requestBody(msg, 8);
  if (bytes === null || bytes.length > MAX_ADMIN_BODY) return null;
  try {
    const body = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof body === "object" && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

export function createProxyApp(options: ProxyOptions, models: string[]): ProxyApp {
  const cacheDir = options.logDir ?? userPaths().cacheDir;
  const log = new LogFile(`${cacheDir}/proxy.log`, "proxy", 10 * 1024 * 1024, true);
  const pool = options.pool;
  // Each pool route's URL credentials are taken out like the single target's, and all keys are secrets.
  const routeUrls = pool ? pool.routes.map((r) => splitUrlSecrets(r.target_url)) : [];
  const secrets = [options.apiKey, options.clientToken ?? "", ...options.targetSecrets.secrets,
    ...(pool ? pool.routes.map((r) => r.api_key) : []), ...routeUrls.flatMap((u) => u.secrets)].filter((s) => s.length >= 4);
  for (const secret of secrets) log.addSecret(secret);
  const metrics = new ProxyMetrics();
  const server = new ProxyServer(options);
  server.log = log;
  // A pool started without a model list serves its routes' models.
  server.models = models.length > 0 || !pool ? models : [...new Set(pool.routes.map((r) => r.model))];
  // The parser chain's decisions (Command Code), read by the watchdog; created on the first line.
  const ccDebug = new LogFile(`${cacheDir}/cc-debug.log`, "CC-DEBUG", 10 * 1024 * 1024);
  for (const secret of secrets) ccDebug.addSecret(secret);
  const requestsLog = new LogFile(`${cacheDir}/requests.log`, "requests", 10 * 1024 * 1024);
  for (const secret of secrets) requestsLog.addSecret(secret);
  const usage = new UsageRecorder(`${cacheDir}/usage-stats.json`, requestsLog, log);
  const upstream = new UpstreamClient(`codex-launcher-proxy/${APP_VERSION}`);
  const quirks = new CapsStore(`${cacheDir}/provider-caps.json`, (line) => log.write(line));
  const context = (backend: string, targetUrl: string): AdapterContext => ({
    targetUrl, quirks, http: adapterHttp(upstream), env: (name) => GLib.getenv(name) ?? undefined,
    log: (line) => log.write(formatLogLine(null, "adapter_note", { backend }, { message: line })),
    secret: (value) => {
      log.addSecret(value);
      ccDebug.addSecret(value);
      requestsLog.addSecret(value);
    },
    debugLog: (line) => ccDebug.write(line),
  });
  const store = new ResponseStore();
  let route: ResponsesRoute | null = null;
  let targets: UpstreamTarget[] = [];
  let routing: PoolRouting | null = null;
  let routeStats: RouteStatsWriter | null = null;

  if (pool) {
    // Every route its own backend, URL, key and model; the adapters share the proxy's pool and caps.
    targets = pool.routes.map((r, index): UpstreamTarget => {
      const definition = backendDefinition(r.backend)!;
      const url = routeUrls[index];
      return { route: r.name, index, adapter: definition.create(context(r.backend, url.publicUrl)), providerHeaders: definition.headers(r.api_key),
        targetUrl: url.publicUrl, apiKey: r.api_key, targetSecrets: { basicAuth: url.basicAuth, secretQuery: url.secretQuery }, model: r.model, backend: r.backend };
    });
    const router = new PoolRouter(pool.pool, pool.routes.map((r, i) => ({ name: r.name, url: routeUrls[i].publicUrl, model: r.model, priority: r.priority,
      pricePerMTok: r.price_per_mtok })), Date.now);
    routeStats = new RouteStatsWriter(`${cacheDir}/bgp-route-stats.json`, router, log);
    routeStats.start();
    const stats = routeStats;
    routing = { name: pool.pool, strategy: pool.strategy, router, changed: () => stats.changed(), headersTimeoutMs: POOL_HEADERS_TIMEOUT_MS };
    server.bgp = () => ({ pool: pool.pool, strategy: pool.strategy, routes: router.views().map((v) => ({ name: v.settings.name, model: v.settings.model,
      state: v.state, score: v.score, key: routeKey(v.settings.name, v.settings.url, v.settings.model) })) });
  } else {
    const backend = backendDefinition(options.backend);
    // The credentials file travels in the environment (never argv); without one, a Google backend uses
    // the Gemini CLI's own login.
    const credentials = options.credentialsFile || (usesGoogleLogin(options.backend) ? geminiCliCredentialsPath() : "");
    const adapter = backend?.create({ ...context(options.backend, options.targetUrl), ...(credentials ? { login: loginFile(credentials) } : {}) });
    if (backend && adapter)
      targets = [{ route: null, index: 0, adapter, providerHeaders: backend.headers(options.apiKey), targetUrl: options.targetUrl, apiKey: options.apiKey,
        targetSecrets: options.targetSecrets, backend: options.backend }];
  }

  if (targets.length > 0) {
    const provider = pool ? `bgp:${pool.pool}` : providerHost(options.targetUrl);
    route = new ResponsesRoute({
      targets, pool: routing, upstream, store, metrics, log,
      readBody: (msg, maxDepth) => server.requestBody(msg, maxDepth), secrets, clientTokenRequired: options.clientToken !== null,
      retryPolicy: DEFAULT_RETRY_POLICY, retryLedger: new TurnRetryLedger(),
      silence: { ...(options.firstByteTimeoutS ? { firstByteS: options.firstByteTimeoutS } : {}), ...(options.idleTimeoutS ? { idleS: options.idleTimeoutS } : {}) },
      maxBodyBytes: options.maxBodyMb * 1024 * 1024,
      maxStreamBufferBytes: MAX_STREAM_BUFFER_BYTES, onStreamCount: (d) => (server.activeStreams += d), gc: server.gc,
      forceModel: options.forceModel, usage, usageProvider: provider, usageLabel: pool ? provider : options.usageLabel || provider,
      reasoning: options.reasoning,
    });
    for (const path of ["/v1/responses", "/responses"]) server.route("POST", path, (msg) => route!.handle(msg));
  } else {
    for (const path of ["/v1/responses", "/responses"])
      server.route("POST", path, (msg) => sendError(msg, 501, `backend '${options.backend}' is not served by this version of the proxy`, "backend_not_served"));
  }
  // Codex configured with supports_websockets first tries a WebSocket upgrade; 426 makes it fall back to POST.
  for (const path of ["/v1/responses", "/responses"])
    server.route("GET", path, (msg) => sendError(msg, 426, "WebSocket transport is not supported by this proxy; send POST requests", "upgrade_required"));
  for (const path of ["/v1/models", "/models"])
    server.route("GET", path, (msg) => sendJson(msg, 200, modelsDocument(server.models, Math.floor(Date.now() / 1000))));
  server.route("GET", "/monitoring", (msg) => {
    const snapshot = metrics.snapshot(Date.now());
    const lastError = snapshot.last_error ? { ...snapshot.last_error, message: redactSecrets(snapshot.last_error.message, secrets) } : null;
    // The silence bounds: overrides (per endpoint, or raised by the watchdog) and the per-model defaults.
    const overrides = route?.silenceOverrides ?? {};
    sendJson(msg, 200, { ...server.health(), ...snapshot, last_error: lastError, idle_timeout_s: route ? route.idleTimeoutS : null,
      silence: { first_byte_timeout_s: overrides.firstByteS ?? null, idle_timeout_s: overrides.idleS ?? null,
        defaults: SILENCE_DEFAULTS.map((c) => ({ class: c.name, models: c.examples, first_byte_timeout_s: c.firstByteS, idle_timeout_s: c.idleS })) },
      response_store: { entries: store.size, bytes: store.bytes } });
  });
  // Admin routes (client token required like every route but /health).
  server.route("POST", "/admin/keep", (msg) => {
    const body = adminBody(server, msg);
    if (!body || typeof body.keep !== "boolean") return sendError(msg, 400, "send {\"keep\": true|false}", "invalid_request");
    server.kept = body.keep;
    log.write(formatLogLine(null, "owner", { state: body.keep ? "kept" : "not_kept" }));
    sendJson(msg, 200, { kept: server.kept });
  });
  server.route("POST", "/admin/idle-timeout", (msg) => {
    const body = adminBody(server, msg);
    const seconds = body?.seconds;
    if (!route) return sendError(msg, 501, "this backend is not served", "backend_not_served");
    if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 1 || seconds > 86400)
      return sendError(msg, 400, "send {\"seconds\": 1..86400}", "invalid_request");
    route.idleTimeoutS = seconds;
    log.write(formatLogLine(null, "owner", { idle_timeout_s: seconds }));
    sendJson(msg, 200, { idle_timeout_s: seconds });
  });
  return { server, log, metrics, secrets, flush: () => {
    usage.flush();
    routeStats?.flush();
  } };
}

