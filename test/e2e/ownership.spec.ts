// Ownership (issue 9), on real processes: the user's Codex setup stays theirs, clean-up touches only
// what this app registered (by identity), one owner per user, and nothing we started is left
// unregistered after launcher crashes.
import Gio from "gi://Gio";
import GLib from "gi://GLib";
import { writeFileAtomic } from "../../src/lib/files.js";
import { readIdentity } from "../../src/lib/processes.js";
import { resolvePaths } from "../../src/lib/paths.js";
import { sameProcess } from "../../src/lib/process-identity.js";
import { LauncherSession } from "../../src/launcher/session.js";
import { makeTestContext, type TestHome } from "../helpers/app-context.js";
import { CODEX_BIN } from "../helpers/codex.js";
import { FakeProvider } from "../helpers/fake-provider.js";
import { getJson, postSse } from "../helpers/http.js";
import { Child, delay, gjs, run, waitFor } from "../helpers/process.js";
import { MAIN_JS, makeTempDir, removeTree, REPO_ROOT } from "../helpers/repo.js";

function read(path: string): string {
  try {
    return new TextDecoder().decode(GLib.file_get_contents(path)[1]);
  } catch {
    return "";
  }
}

const alive = (pid: number) => GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);

/** Proxy processes started for this home (their argv names its registry directory). */
function proxiesOf(registryDir: string): number[] {
  const [, out] = GLib.spawn_command_line_sync("ps -eo pid=,args=");
  return new TextDecoder().decode(out!).split("\n").filter((l) => l.includes(`--registry-dir ${registryDir}`) && !l.includes("ps -eo"))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** A config.toml with every shape the user may have, written CRLF, as a symlink into a dotfiles folder. */
function userConfig(ownUrl: string): string {
  return [
    "# my Codex settings — the launcher must not touch a line",
    "model = \"my-model\"",
    "model_provider = \"mine\"",
    "approval_policy = \"never\"",
    "model_providers = { mine = { name = \"mine\", base_url = \"" + ownUrl + "\", wire_api = \"responses\" } }",
    "",
    "[analytics]",
    "enabled = false",
    "[features]",
    "plugins = false",
    "unbounded_connection_retries = false",
    "",
    "[profiles.work]",
    "model = \"gpt-5.5\" # for work",
    "",
    "[mcp_servers.x]",
    "command = \"x-server\"",
    "",
  ].join("\r\n");
}

describe("ownership", () => {
  let home: string;
  let env: Record<string, string>;
  let provider: FakeProvider;
  let own: FakeProvider;
  const cache = () => `${home}/.cache/codex-proxy`;

  beforeEach(() => {
    home = makeTempDir("ownership");
    provider = new FakeProvider();
    own = new FakeProvider();
    GLib.mkdir_with_parents(`${home}/.codex`, 0o700);
    GLib.file_set_contents(`${home}/.codex/endpoints.json`, JSON.stringify({ default: "Fake", endpoints: [{ name: "Fake",
      backend_type: "openai-compat", base_url: provider.url, default_model: "fake-model", models: ["fake-model"] }] }));
    env = { HOME: home, CODEX_HOME: `${home}/.codex`, XDG_CACHE_HOME: `${home}/.cache`, CODEX_LAUNCHER_SECRETS: "file" };
  });

  afterEach(() => {
    for (const pid of proxiesOf(`${cache()}/proxies`)) GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
    provider.stop();
    own.stop();
    removeTree(home);
  });

  it("leaves every line of the user's config.toml (CRLF, inline tables, a dotfiles symlink) as it was: after a stop, a SIGTERM and a SIGKILL + restart", async () => {
    const captured = read(`${REPO_ROOT}/test/fixtures/codex-captures/fake-sse-text.txt`);
    own.otherwise({ kind: "sse", frames: captured.split(/\n\n/).filter((f) => f.trim()).map((f) => `${f}\n\n`) });
    provider.otherwise({ kind: "text", text: "through the launcher" });
    GLib.mkdir_with_parents(`${home}/dotfiles`, 0o700);
    const original = userConfig(own.url);
    GLib.file_set_contents(`${home}/dotfiles/codex.toml`, original);
    Gio.File.new_for_path(`${home}/.codex/config.toml`).make_symbolic_link(`${home}/dotfiles/codex.toml`, null);
    const workdir = makeTempDir("ownership-work");
    const codexRun = (args: string[]) => run([CODEX_BIN, "exec", ...args, "--skip-git-repo-check", "--ephemeral", "--color", "never", "-C", workdir, "say hi"],
      { env: { CODEX_HOME: `${home}/.codex` }, stdin: "", timeoutMs: 60000 });
    const unchanged = () => {
      expect(read(`${home}/dotfiles/codex.toml`)).toBe(original);
      expect(GLib.file_test(`${home}/.codex/config.toml`, GLib.FileTest.IS_SYMLINK)).toBeTrue();
      const [, out] = GLib.spawn_command_line_sync(`ls -a ${home}/.codex ${home}/dotfiles`);
      expect(new TextDecoder().decode(out!)).not.toMatch(/\.tmp-|goutputstream/);
    };
    try {
      // 1. --headless, the real Codex through the launcher's profile meanwhile, then SIGTERM.
      let app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
      await app.waitForLine(/run `codex --profile codex-launcher`/, 20000);
      const through = await codexRun(["--profile", "codex-launcher"]);
      expect(through.exitCode).withContext(through.stderr).toBe(0);
      expect(through.stdout).toContain("through the launcher");
      app.signal(15);
      expect(await app.exited).toBe(0);
      unchanged();
      // 2. SIGKILL the launcher, start again (it adopts the proxy left running), stop it.
      app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
      await app.waitForLine(/run `codex --profile codex-launcher`/, 20000);
      const orphan = JSON.parse(read(`${cache()}/proxy-config.json`)).pid;
      app.signal(9);
      await app.exited;
      app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
      await app.waitForLine(new RegExp(`adopted the proxy left running on port \\d+ \\(pid ${orphan}`), 20000);
      app.signal(15);
      expect(await app.exited).toBe(0);
      await waitFor(() => !alive(orphan), 10000, "the adopted proxy to stop with its new owner");
      unchanged();
      // 3. Plain codex afterwards is the user's own: their provider and model, no word of the launcher.
      const plain = await codexRun([]);
      expect(plain.exitCode).withContext(plain.stderr).toBe(0);
      expect(plain.stdout).toContain("Hi! This is the fake upstream speaking.");
      expect(`${plain.stdout}${plain.stderr}`).not.toMatch(/codex-launcher|CODEX_LAUNCHER/i);
      expect(own.requests.at(-1)!.body.model).toBe("my-model");
    } finally {
      removeTree(workdir);
    }
  }, 120000);

  it("repairs what version 4.0.0 wrote into config.toml once, restoring the user's own model and provider", async () => {
    const before = "# mine\nmodel = \"o3\"\nmodel_provider = \"openai\"\n\n[profiles.work]\nmodel = \"gpt-5.5\"\n";
    const edited = "# mine\nmodel = \"fake-model\"\nmodel_provider = \"codex-launcher\"\n\n[profiles.work]\nmodel = \"gpt-5.5\"\n\n" +
      "[model_providers.codex-launcher]\nname = \"Fake (Codex Launcher)\"\nbase_url = \"http://127.0.0.1:1/v1\"\nwire_api = \"responses\"\nenv_key = \"CODEX_LAUNCHER_TOKEN\"\n";
    GLib.file_set_contents(`${home}/.codex/config.toml.bak-20261120-101010`, before);
    GLib.file_set_contents(`${home}/.codex/config.toml`, edited);
    const app = new Child([gjs(), "-m", MAIN_JS, "--headless"], { env });
    try {
      await app.waitForLine(/config\.toml: removed the settings an older Codex Launcher wrote there and restored your own model and provider/, 20000);
      expect(read(`${home}/.codex/config.toml`)).toBe(before);
    } finally {
      await app.stop();
    }
  }, 40000);

  it("clean-up at start stops only registered proxies that are still themselves, never decoys, Codex, or a proxy with live streams", async () => {
    const decoyDir = makeTempDir("decoys");
    GLib.file_set_contents(`${decoyDir}/proxy.js`, "setInterval(() => {}, 1 << 30);\n");
    const decoys = [
      new Child(["bash", "-c", "exec -a /usr/bin/codex sleep 600"]), // "codex" in its command line
      new Child(["node", `${decoyDir}/proxy.js`]), // any `node …/proxy.js`
      new Child(["bash", "-c", `exec -a "vim ${home}/.codex/config.toml" sleep 600`]), // an editor on the user's file
      new Child(["sleep", "600"]), // a 4.0.0 entry with an empty marker
      new Child(["sleep", "601"]), // a registration whose pid was reused by another program
    ];
    try {
      await delay(200);
      const [codexDecoy, nodeDecoy, editorDecoy, emptyMarker, reused] = decoys.map((d) => d.pid);
      GLib.mkdir_with_parents(`${cache()}/proxies`, 0o700);
      // The original app's pids.json naming two decoys, and 4.0.0's shape with an empty marker.
      GLib.file_set_contents(`${cache()}/pids.json`, JSON.stringify({ proxy: { pid: nodeDecoy, pgid: nodeDecoy, ts: 1 }, codex: { pid: codexDecoy, ts: 1 } }));
      const legacy = `${cache()}/pids.json`;
      // A registration of ours whose identity no longer matches (the pid now runs something else).
      const reusedIdentity = readIdentity(reused)!;
      writeFileAtomic(`${cache()}/proxies/${reused}.json`, JSON.stringify({ ...reusedIdentity, start_time: reusedIdentity.start_time - 1, port: 9 }), 0o600);
      writeFileAtomic(`${cache()}/proxies/${editorDecoy}.json`, JSON.stringify({ pid: editorDecoy, start_time: 1, exe: "/usr/bin/gjs", argv: ["gjs"], port: 9 }), 0o600);
      // Two real proxies a crashed launcher left: one idle, one serving a live stream.
      const t: TestHome = { home, paths: resolvePaths({ home, xdgCacheHome: `${home}/.cache`, codexHome: `${home}/.codex` }) };
      const previous = await makeTestContext(t);
      const spec = { endpointName: "Fake", backend: "openai-compat" as const, targetUrl: provider.url, apiKey: "", models: ["fake-model"], model: "fake-model" };
      const idle = await previous.supervisor.start(spec);
      const idlePid = previous.supervisor.pid;
      await previous.supervisor.release(); // let go without stopping, as a killed launcher would
      await run(["curl", "-s", "-X", "POST", "-H", `Authorization: Bearer ${previous.clientToken}`, "-d", "{\"keep\":false}", `http://127.0.0.1:${idle}/admin/keep`]);
      const busyCtx = await makeTestContext(t);
      provider.then({ kind: "text", text: "a stream that outlives its launcher ".repeat(4), chunkSize: 6, delayMs: 80 });
      const busyPort = await busyCtx.supervisor.start(spec, 0);
      const busyPid = busyCtx.supervisor.pid;
      const live = postSse(`http://127.0.0.1:${busyPort}/v1/responses`, { model: "fake-model", input: "hi", stream: true },
        { headers: { Authorization: `Bearer ${busyCtx.clientToken}` } });
      await waitFor(() => provider.requests.length === 1, 5000, "the live stream");
      await busyCtx.supervisor.release();
      // The "kept" flag was set by release(): clear it so only the live stream protects the busy proxy.
      await run(["curl", "-s", "-X", "POST", "-H", `Authorization: Bearer ${busyCtx.clientToken}`, "-d", "{\"keep\":false}", `http://127.0.0.1:${busyPort}/admin/keep`]);
      GLib.file_set_contents(`${cache()}/proxy-config.json`, JSON.stringify({ client_token: busyCtx.clientToken }));
      // The next launcher starts up.
      const next = await makeTestContext(t);
      const report = await new LauncherSession(next).startUp();
      expect(report.join("\n")).toContain(`stopped stale proxy pid ${idlePid} (port ${idle})`);
      expect(report.join("\n")).toContain(`proxy pid ${busyPid} (port ${busyPort}) still serves 1 stream(s); it exits by itself once idle`);
      expect(alive(idlePid)).toBeFalse();
      expect(alive(busyPid)).toBeTrue();
      for (const pid of [codexDecoy, nodeDecoy, editorDecoy, emptyMarker, reused]) expect(alive(pid)).withContext(`decoy ${pid}`).toBeTrue();
      expect(read(legacy)).toContain(String(nodeDecoy)); // the original's file is read, never rewritten
      const done = await live;
      expect(done.events.at(-1)!.data.type).toBe("response.completed");
      GLib.spawn_command_line_sync(`kill -TERM ${busyPid}`);
    } finally {
      for (const d of decoys) await d.stop();
      removeTree(decoyDir);
    }
  }, 60000);

  it("a window opened while --headless runs attaches to its proxy without cutting a live stream", async () => {
    provider.then({ kind: "text", text: "streaming while a window opens ".repeat(5), chunkSize: 6, delayMs: 80 });
    const headless = new Child([gjs(), "-m", MAIN_JS, "--headless", "--no-config"], { env });
    let gui: Child | null = null;
    try {
      const [, port] = await headless.waitForLine(/proxy for Fake \/ fake-model on http:\/\/127\.0\.0\.1:(\d+)/, 20000);
      const before = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      const token = JSON.parse(read(`${cache()}/proxy-config.json`)).client_token;
      const live = postSse(`http://127.0.0.1:${port}/v1/responses`, { model: "fake-model", input: "hi", stream: true }, { headers: { Authorization: `Bearer ${token}` } });
      await waitFor(() => provider.requests.length === 1, 5000, "the live stream");
      gui = new Child([gjs(), "-m", MAIN_JS], { env });
      await waitFor(async () => (await run(["xdotool", "search", "--onlyvisible", "--name", "^Codex Launcher$"])).stdout.trim() !== "", 20000, "the window");
      const done = await live;
      expect(done.events.at(-1)!.data.type).toBe("response.completed");
      const after = (await getJson(`http://127.0.0.1:${port}/health`)).json();
      expect(after.pid).toBe(before.pid);
      expect(JSON.parse(read(`${cache()}/owner.json`)).kind).toBe("headless");
    } finally {
      await gui?.stop();
      await headless.stop();
    }
  }, 60000);

  it("leaves no unregistered proxy after 50 launcher SIGKILLs at random moments, and the next owner cleans up", async () => {
    const registryDir = `${cache()}/proxies`;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 50; i++) {
      const app = new Child([gjs(), "-m", MAIN_JS, "--headless", "--no-config"], { env });
      await delay(Math.floor(random() * 900));
      app.signal(9);
      await app.exited;
    }
    await delay(1500); // a proxy that was spawned just before its launcher died finishes starting
    const running = proxiesOf(registryDir);
    for (const pid of running) {
      const registration = JSON.parse(read(`${registryDir}/${pid}.json`) || "null");
      expect(registration).withContext(`proxy ${pid} is registered`).not.toBeNull();
      expect(sameProcess(registration, readIdentity(pid))).withContext(`proxy ${pid}'s registration is its identity`).toBeTrue();
    }
    print(`        (${running.length} proxies running after 50 kills, all registered)`);
    // The next launcher adopts one and stops the rest; when it stops, nothing is left.
    const app = new Child([gjs(), "-m", MAIN_JS, "--headless", "--no-config"], { env });
    await app.waitForLine(/proxy for Fake/, 20000);
    app.signal(15);
    expect(await app.exited).toBe(0);
    await waitFor(() => proxiesOf(registryDir).length === 0, 15000, "no proxy left");
  }, 180000);
});
