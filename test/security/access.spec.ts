// Only the user's own Codex can spend the user's keys (issue 10): who may talk to the proxy, what it
// shows, and which secrets ever leave it. Real proxy processes, a fake provider on loopback.
import GLib from "gi://GLib";
import { FakeProvider } from "../helpers/fake-provider.js";
import { rawPost, rawRequest } from "../helpers/raw-http.js";
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const KEY = "sk-security-provider-key-7f3a9c1e";
const TOKEN = "c".repeat(24) + "0123456789abcdef0123456789abcdef";
const body = JSON.stringify({ model: "m", input: "hi", stream: false });

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

describe("security: who may talk to the proxy", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy;
  let dir: string;
  const auth = `Authorization: Bearer ${TOKEN}`;

  beforeAll(async () => {
    provider = new FakeProvider();
    provider.otherwise({ kind: "text", text: "spent" });
    dir = makeTempDir("security");
    proxy = await startProxy(["--target-url", `${provider.url}`, "--log-dir", dir, "--request-timeout", "2"],
      { env: { CODEX_PROXY_API_KEY: KEY, CODEX_LAUNCHER_CLIENT_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    await proxy.child.stop();
    provider.stop();
    removeTree(dir);
  });

  it("refuses a web page's cross-origin 'simple' request before anything reaches the provider", async () => {
    const before = provider.requests.length;
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1:8000", "https://localhost"]) {
      // Even a page that somehow knew the token is refused: the Origin decides first.
      const reply = await rawPost(proxy.port, "/v1/responses", body, ["Content-Type: text/plain", `Origin: ${origin}`, auth]);
      expect(reply.status).withContext(origin).toBe(403);
      expect(JSON.parse(reply.body).error.code).toBe("forbidden_origin");
    }
    // A navigation or an <img> (no Origin, but Sec-Fetch-Site) is refused too.
    expect((await rawRequest(proxy.port, `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nSec-Fetch-Site: cross-site\r\n${auth}`)).status).toBe(403);
    expect(provider.requests.length).toBe(before);
  });

  it("gives a CORS preflight no allow headers", async () => {
    const reply = await rawRequest(proxy.port, [`OPTIONS /v1/responses HTTP/1.1`, `Host: 127.0.0.1:${proxy.port}`, "Origin: http://evil.example",
      "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization, content-type"].join("\r\n"));
    expect(reply.status).toBe(403);
    expect(Object.keys(reply.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });

  it("refuses DNS rebinding: a Host that is not this machine gets 421 on every route, /health included", async () => {
    const before = provider.requests.length;
    for (const [method, path] of [["POST", "/v1/responses"], ["GET", "/v1/models"], ["GET", "/monitoring"], ["GET", "/health"]]) {
      const reply = method === "POST" ? await rawPost(proxy.port, path, body, [auth], `attacker.example:${proxy.port}`)
        : await rawRequest(proxy.port, `${method} ${path} HTTP/1.1\r\nHost: attacker.example:${proxy.port}\r\n${auth}`);
      expect(reply.status).withContext(path).toBe(421);
      expect(reply.body).not.toContain(KEY);
    }
    for (const host of ["localhost", `localhost:${proxy.port}`, "127.0.0.1", `[::1]:${proxy.port}`, "127.1.2.3"])
      expect((await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: ${host}`)).status).withContext(host).toBe(200);
    expect(provider.requests.length).toBe(before);
  });

  it("needs the client token everywhere but /health, which shows no secret", async () => {
    const routes: [string, string, string][] = [["POST", "/v1/responses", body], ["GET", "/v1/models", ""], ["GET", "/monitoring", ""],
      ["POST", "/admin/keep", "{\"keep\":false}"], ["POST", "/admin/idle-timeout", "{\"seconds\":300}"]];
    const before = provider.requests.length;
    for (const [method, path, payload] of routes) {
      const head = (extra: string[]) => [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${proxy.port}`, `Content-Length: ${payload.length}`, ...extra].join("\r\n");
      const missing = await rawRequest(proxy.port, head([]), payload);
      expect(missing.status).withContext(`${path} without token`).toBe(401);
      expect(missing.headers["www-authenticate"]).toBe("Bearer");
      const wrong = await rawRequest(proxy.port, head([`Authorization: Bearer ${TOKEN.slice(0, -1)}x`]), payload);
      expect(wrong.status).withContext(`${path} wrong token`).toBe(401);
      const right = await rawRequest(proxy.port, head([auth]), payload);
      expect(right.status).withContext(`${path} with the token`).toBe(200);
    }
    expect(provider.requests.length).toBe(before + 1); // only the authorised POST reached the provider
    const health = await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}`);
    expect(health.status).toBe(200);
    expect(health.body).not.toContain(KEY);
    expect(health.body).not.toContain(TOKEN);
    expect(JSON.parse(health.body).client_token_required).toBeTrue();
    // The client's token never goes on to the provider: the provider gets the user's key.
    expect(provider.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("stays a non-open proxy: absolute URIs, CONNECT and TRACE reach nobody", async () => {
    const before = provider.requests.length;
    for (const line of [`GET http://example.com/v1/models HTTP/1.1`, `CONNECT example.com:443 HTTP/1.1`, `TRACE / HTTP/1.1`]) {
      const reply = await rawRequest(proxy.port, `${line}\r\nHost: 127.0.0.1:${proxy.port}\r\n${auth}`);
      expect(reply.status === 0 || reply.status >= 400).withContext(line).toBeTrue();
    }
    expect(provider.requests.length).toBe(before);
  });

  it("closes the connection of a client that takes too long to send its request, and keeps serving", async () => {
    const slow = await rawRequest(proxy.port, `POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Length: 1000\r\n${auth}`, "{\"model\":", 15000, true);
    expect(slow.status).toBe(0);
    expect(read(`${dir}/proxy.log`)).toContain("refused status=408 code=request_timeout");
    expect((await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}`)).status).toBe(200);
  });

  it("refuses more than 256 headers, and libsoup resets a header block over 64 KB", async () => {
    const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: y`);
    expect((await rawRequest(proxy.port, [`GET /health HTTP/1.1`, `Host: 127.0.0.1:${proxy.port}`, ...many].join("\r\n"))).status).toBe(431);
    expect((await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nX-Big: ${"a".repeat(100_000)}`)).status).toBe(0);
    expect((await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}`)).status).toBe(200);
  });
});

describe("security: secrets stay secret", () => {
  let provider: FakeProvider;
  let proxy: RunningProxy | null = null;
  let dir: string;

  beforeEach(() => {
    provider = new FakeProvider();
    dir = makeTempDir("security-secrets");
  });

  afterEach(async () => {
    await proxy?.child.stop();
    proxy = null;
    provider.stop();
    removeTree(dir);
  });

  it("redacts a provider error body that echoes the key, for the client, /monitoring and proxy.log", async () => {
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir], { env: { CODEX_PROXY_API_KEY: KEY, CODEX_LAUNCHER_CLIENT_TOKEN: TOKEN } });
    provider.then({ kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}. Authorization: Bearer ${KEY}`, code: "invalid_api_key" } } },
      { kind: "status", status: 500, body: `upstream crashed while using key=${KEY}` });
    for (let i = 0; i < 2; i++) {
      const reply = await rawPost(proxy.port, "/v1/responses", body, [`Authorization: Bearer ${TOKEN}`]);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.body).not.toContain(KEY);
      expect(reply.body).toContain("[redacted]");
    }
    const monitoring = await rawRequest(proxy.port, `GET /monitoring HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nAuthorization: Bearer ${TOKEN}`);
    expect(monitoring.body).not.toContain(KEY);
    expect(JSON.parse(monitoring.body).last_error.message).toContain("[redacted]");
    expect(read(`${dir}/proxy.log`)).not.toContain(KEY);
    expect(read(`${dir}/proxy.log`)).not.toContain(TOKEN);
  });

  it("takes credentials out of a base_url: never shown, put back only on the provider's request; a query stays a query", async () => {
    provider.otherwise({ kind: "text", text: "ok" });
    const secretQuery = "qs-secret-4242-abcd";
    const target = `http://alice:pw-s3cret-99@127.0.0.1:${provider.url.split(":").pop()}?api-key=${secretQuery}&api-version=2024-10-01`;
    proxy = await startProxy(["--target-url", "http://127.0.0.1:9/ignored", "--log-dir", dir],
      { env: { CODEX_PROXY_TARGET_URL: target, CODEX_LAUNCHER_CLIENT_TOKEN: TOKEN } });
    const cmdline = read(`/proc/${proxy.child.pid}/cmdline`);
    for (const secret of ["pw-s3cret-99", secretQuery]) expect(cmdline).not.toContain(secret);
    const health = await rawRequest(proxy.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}`);
    expect(JSON.parse(health.body).target_url).toBe(`http://127.0.0.1:${provider.url.split(":").pop()}?api-version=2024-10-01`);
    expect(health.body).not.toContain("alice");
    const reply = await rawPost(proxy.port, "/v1/responses", body, [`Authorization: Bearer ${TOKEN}`]);
    expect(reply.status).toBe(200);
    const sent = provider.requests.at(-1)!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.query).toBe(`api-version=2024-10-01&api-key=${secretQuery}`);
    expect(sent.headers.authorization).toBe(`Basic ${GLib.base64_encode(new TextEncoder().encode("alice:pw-s3cret-99"))}`);
    const log = read(`${dir}/proxy.log`);
    for (const secret of ["pw-s3cret-99", secretQuery]) expect(log).not.toContain(secret);
  });
});
