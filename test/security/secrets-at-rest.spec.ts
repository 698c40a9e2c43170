// Secrets at rest (issue 10, deliverable 6): a real `codex-launcher --headless` run that goes through a
// provider 401 and 500 that echo the key back, a provider 400 that sends the watchdog to its Tier 3
// diagnostic model (which asks for a restart), and a proxy killed with SIGKILL; then every file the app
// wrote is searched for the provider key, the monitoring key and the client token, and the modes of
// the files that hold one are checked. Command lines, /health, /monitoring and the launcher's own output
// are searched too. Real processes; the provider and the diagnostic model are fakes on 127.0.0.1.
import GLib from "gi://GLib";
import { FakeProvider, type Reply } from "../helpers/fake-provider.js";
import { chmod, clientToken, cmdline, makeHeadlessHome, octal, processTree, proxyPid, randomHex, read, scanTree, startHeadless,
  type HeadlessHome, type RunningHeadless, type ScannedFile } from "../helpers/headless-run.js";
import { request } from "../helpers/http.js";
import { run, waitFor } from "../helpers/process.js";
import { removeTree } from "../helpers/repo.js";

// Keys of no known shape: only the literal redaction of the configured values can hide them (a key
// that looks like `sk-…` would also be caught by the generic patterns, which proves less).
const KEY_CORE = randomHex();
const KEY = `PROVIDERSECRET${KEY_CORE}`;
const AI_KEY_CORE = randomHex();
const AI_KEY = `MONITORSECRET${AI_KEY_CORE}`;

describe("security: secrets at rest after a --headless run with 401s, 500s, a Tier 3 call and restarts", () => {
  let h: HeadlessHome;
  let provider: FakeProvider;
  let ai: FakeProvider;
  let running: RunningHeadless | null = null;

  beforeEach(() => {
    h = makeHeadlessHome("secrets-at-rest");
    provider = new FakeProvider();
    ai = new FakeProvider();
  });

  afterEach(async () => {
    await running?.app.stop();
    running = null;
    provider.stop();
    ai.stop();
    removeTree(h.home);
  });

  it("keeps the keys and the token only where they belong, 0600 in 0700 directories, and off every command line and answer", async () => {
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    // The user's files as an earlier version left them: ~/.codex as Codex creates it (0755), and both
    // keys in plain text in endpoints.json (0644): the provider key on its endpoint, the diagnostic
    // model's key in the ai_monitoring section. The launcher moves both into the key store.
    GLib.mkdir_with_parents(h.paths.codexHome, 0o755);
    chmod(h.paths.codexHome, 0o755);
    GLib.file_set_contents(h.paths.endpointsFile, JSON.stringify({ default: "Main", endpoints: [{ name: "Main", backend_type: "openai-compat",
      base_url: provider.url, api_key: KEY, default_model: "m", models: ["m"], provider_preset: "Custom" }],
    ai_monitoring: { enabled: true, provider_url: `${ai.url}/chat/completions`, model: "gpt-4o-mini", api_key: AI_KEY, tier3_enabled: true,
      auto_restart_proxy: true, health_check_interval_s: 2, health_timeout_s: 1, verify_window_s: 2 } }, null, 2));
    chmod(h.paths.endpointsFile, 0o644);

    // The provider echoes the key back in its error bodies, as some do.
    provider.otherwise({ kind: "dynamic", reply: (body): Reply => {
      const text = JSON.stringify(body);
      if (text.includes("echo-401")) return { kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, code: "invalid_api_key" } } };
      if (text.includes("echo-500")) return { kind: "status", status: 500, body: `internal error while serving key ${KEY}; try again` };
      // A 400 that names no parameter: a failure no Tier 1 rule covers, so the watchdog asks its AI.
      if (text.includes("echo-400")) return { kind: "status", status: 400, body: { error: { message: `Request rejected for ${KEY}: prompt malformed` } } };
      return { kind: "text", text: "served" };
    } });
    ai.otherwise({ kind: "json", body: { choices: [{ message: { role: "assistant",
      content: "{\"action\": \"restart_proxy\", \"reason\": \"the upstream rejected the prompt; a fresh proxy resets its state\", \"confidence\": 0.8}" } }],
    usage: { prompt_tokens: 400, completion_tokens: 30 } } });

    running = await startHeadless(h);
    const { app, port } = running;
    const token = clientToken(h);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const secrets: Record<string, string[]> = {
      "provider key": [KEY, KEY_CORE.slice(0, 12), KEY_CORE.slice(-12)],
      "monitoring key": [AI_KEY, AI_KEY_CORE.slice(0, 12), AI_KEY_CORE.slice(-12)],
      "client token": [token, token.slice(0, 16), token.slice(-16)],
    };
    const found = (text: string) => Object.keys(secrets).filter((name) => secrets[name].some((n) => text.includes(n)));
    const monitoringLog = () => read(h.paths.monitoringLog);
    const base = `http://127.0.0.1:${port}`;
    const auth = { Authorization: `Bearer ${token}` };
    const post = (input: string) => request("POST", `${base}/v1/responses`, JSON.stringify({ model: "m", input, stream: false }), auth);
    const health = async () => (await request("GET", `${base}/health`).catch(() => null))?.json() ?? null;

    // Command lines of the launcher and everything below it (the proxy, each time it is a new one).
    const proxies: number[] = [];
    let processesChecked = 0;
    const checkCommandLines = (when: string) => {
      const tree = processTree(app.pid);
      const pid = proxyPid(h);
      expect(tree).withContext(`the proxy (pid ${pid}) is the launcher's child ${when}`).toContain(pid);
      if (!proxies.includes(pid)) proxies.push(pid);
      for (const p of tree) {
        const line = cmdline(p);
        if (!line) continue;
        processesChecked++;
        expect(found(line)).withContext(`/proc/${p}/cmdline ${when}: ${line}`).toEqual([]);
      }
    };
    checkCommandLines("at start");

    // A 401 and a 500 whose bodies carry the key, and a request that works.
    const unauthorized = await post("echo-401");
    expect(unauthorized.status).toBe(401);
    const failed = await post("echo-500");
    expect(failed.status).toBeGreaterThanOrEqual(500);
    for (const reply of [unauthorized, failed]) {
      expect(found(reply.text)).withContext(reply.text).toEqual([]);
      expect(reply.text).toContain("[redacted]");
    }
    expect((await post("hello")).status).toBe(200);
    await waitFor(() => /trigger=upstream_401_403/.test(monitoringLog()), 10000, "the watchdog to see the 401");
    await waitFor(() => /signal B2 server_error|trigger=upstream_502_503/.test(monitoringLog()), 10000, "the watchdog to see the 500");
    // The provider did get the key, each time (nothing else would make its echo a test).
    expect(provider.chatRequests().every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBeTrue();

    // The proxy killed: the supervisor brings it back (the watchdog records it).
    const first = proxyPid(h);
    GLib.spawn_command_line_sync(`kill -KILL ${first}`);
    await app.waitForLine(new RegExp(`proxy back on port ${port} \\(pid \\d+\\) \\d+ ms after: the proxy \\(pid ${first}\\) exited: signal 9`), 15000);
    await waitFor(async () => (await health())?.pid === proxyPid(h) && proxyPid(h) !== first, 10000, "the new proxy to answer");
    await waitFor(() => /Tier 1: trigger=proxy_crashed action=supervise/.test(monitoringLog()), 10000, "the watchdog's record of the crash");
    checkCommandLines("after the supervisor's restart");

    // A failure no rule covers: Tier 3 asks the diagnostic model, which says restart; the watchdog does.
    const second = proxyPid(h);
    const rejected = await post("echo-400");
    expect(rejected.status).toBe(400);
    expect(found(rejected.text)).toEqual([]);
    await waitFor(() => ai.chatRequests().length === 1, 15000, "the Tier 3 call").catch((e) => { throw new Error(`${e.message}\n${monitoringLog()}`); });
    await waitFor(() => /Tier 3 AI: action=restart_proxy/.test(monitoringLog()), 10000, "the AI's verdict");
    await waitFor(async () => proxyPid(h) !== second && (await health())?.pid === proxyPid(h), 15000, "the watchdog's restart")
      .catch((e) => { throw new Error(`${e.message}\n${monitoringLog()}`); });
    checkCommandLines("after the watchdog's restart");
    const sent = ai.chatRequests()[0];
    expect(sent.headers.authorization).toBe(`Bearer ${AI_KEY}`);
    const prompt = JSON.stringify(sent.body);
    expect(prompt).toContain("INCIDENT REPORT");
    expect(prompt).toContain("bad_request");
    expect(found(prompt)).withContext(prompt).toEqual([]);
    // And the new proxy serves.
    expect((await post("after the restarts")).status).toBe(200);

    // What the proxy shows: /health to anyone local, /monitoring to the token's holder.
    const healthText = (await request("GET", `${base}/health`)).text;
    const monitoring = await request("GET", `${base}/monitoring`, undefined, auth);
    expect(monitoring.status).toBe(200);
    expect(found(healthText)).withContext(healthText).toEqual([]);
    expect(found(monitoring.text)).withContext(monitoring.text).toEqual([]);

    // Where each secret is allowed to be. The client token: proxy-config.json (for Codex sessions and
    // other terminals) and the launcher's Codex profile (experimental_bearer_token), nowhere else.
    const rel = (f: ScannedFile) => f.path.slice(h.home.length + 1);
    const allowed: Record<string, string[]> = {
      "provider key": [".codex/codex-launcher-keys.json"],
      "monitoring key": [".codex/codex-launcher-keys.json"],
      "client token": [".cache/codex-proxy/proxy-config.json", ".codex/codex-launcher.config.toml"],
    };
    const check = (files: ScannedFile[], when: string) => {
      const holders: Record<string, string[]> = { "provider key": [], "monitoring key": [], "client token": [] };
      for (const f of files) {
        const names = found(f.text);
        for (const name of names) holders[name].push(rel(f));
        if (names.length) {
          expect(f.kind).withContext(`${rel(f)} ${when}`).toBe("file");
          expect(octal(f.mode)).withContext(`mode of ${rel(f)} ${when}`).toBe("0600");
          expect(octal(f.dirMode)).withContext(`mode of the directory of ${rel(f)} ${when}`).toBe("0700");
        }
      }
      for (const name of Object.keys(allowed)) expect(holders[name].sort()).withContext(`files holding the ${name} ${when}`).toEqual(allowed[name].sort());
      return holders;
    };
    const duringRun = scanTree(h.home);
    check(duringRun, "while running");

    // Stopped as a terminal user stops it; then everything it left behind.
    app.signal(15);
    expect(await app.exited).toBe(0);
    await waitFor(() => !GLib.file_test(`/proc/${proxies.at(-1)}`, GLib.FileTest.EXISTS), 5000, "the proxy to stop with it");
    const afterRun = scanTree(h.home);
    const holders = check(afterRun, "after the run");
    const output = [...app.lines, ...app.errLines].join("\n");
    expect(found(output)).withContext("the launcher's stdout and stderr").toEqual([]);
    expect(app.errLines.some((l) => l.includes("ALERT: The provider rejected the API key"))).toBeTrue();
    // The alert ran to its end (with or without notify-send on the machine), and nothing failed unseen.
    expect(monitoringLog()).toContain("alert: The provider rejected the API key");
    expect(output).not.toContain("Unhandled promise rejection");

    // Outside the home: nothing under /tmp or /var/tmp that changed during the run holds a secret.
    const needles = Object.values(secrets).flat();
    const outside = await run(["sh", "-c", `find /tmp /var/tmp -xdev -path ${GLib.shell_quote(h.home)} -prune -o -type f -newermt @${startedAt} -size -20M -print0 2>/dev/null` +
      ` | xargs -0 -r grep -lF ${needles.map((n) => `-e ${n}`).join(" ")} 2>/dev/null; true`]);
    expect(outside.stdout.trim()).withContext("files outside the home holding a secret").toBe("");

    const files = afterRun.filter((f) => f.kind === "file");
    print(`        (scanned ${duringRun.length} files while running, ${files.length} after; ${processesChecked} command lines of ${proxies.length} proxies ` +
      `(pids ${proxies.join(", ")}) and the launcher; provider key in ${holders["provider key"].join(", ")}; monitoring key in ` +
      `${holders["monitoring key"].join(", ")}; token in ${holders["client token"].join(", ")})`);
    print(`        (modes: ${files.map((f) => `${rel(f)} ${octal(f.mode)}`).join(", ")}; ~/.codex ${octal(afterRun.find((f) => rel(f).startsWith(".codex/"))!.dirMode)}, ` +
      `~/.cache/codex-proxy ${octal(afterRun.find((f) => rel(f).startsWith(".cache/codex-proxy/"))!.dirMode)})`);
  }, 90000);

  it("keeps the key store's directory private when Codex's profile is not written (--no-config)", async () => {
    // ~/.codex as Codex leaves it (0755), a plain-text key in endpoints.json: the key store the key
    // moves to is the only file that holds it, and its directory is made private for it.
    GLib.mkdir_with_parents(h.paths.codexHome, 0o755);
    chmod(h.paths.codexHome, 0o755);
    GLib.file_set_contents(h.paths.endpointsFile, JSON.stringify({ default: "Main", endpoints: [{ name: "Main", backend_type: "openai-compat",
      base_url: provider.url, api_key: KEY, default_model: "m", models: ["m"] }], ai_monitoring: { enabled: false } }));
    running = await startHeadless(h, ["--no-config"]);
    const token = clientToken(h);
    const reply = await request("POST", `http://127.0.0.1:${running.port}/v1/responses`, JSON.stringify({ model: "m", input: "hi", stream: false }),
      { Authorization: `Bearer ${token}` });
    expect(reply.status).toBe(200);
    expect(provider.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEY}`);
    running.app.signal(15);
    expect(await running.app.exited).toBe(0);
    const files = scanTree(h.home);
    const holding = (needle: string) => files.filter((f) => f.text.includes(needle)).map((f) => f.path.slice(h.home.length + 1));
    expect(holding(KEY_CORE)).toEqual([".codex/codex-launcher-keys.json"]);
    expect(holding(token)).toEqual([".cache/codex-proxy/proxy-config.json"]);
    for (const f of files.filter((x) => x.text.includes(KEY_CORE) || x.text.includes(token))) {
      expect(octal(f.mode)).withContext(f.path).toBe("0600");
      expect(octal(f.dirMode)).withContext(`the directory of ${f.path}`).toBe("0700");
    }
    expect(GLib.file_test(h.paths.codexProfile, GLib.FileTest.EXISTS)).toBeFalse();
  }, 60000);
});
