// The proxy supervisor on real processes: start/stop races, restarts on the same port, exit notices.
import GLib from "gi://GLib";
import { ProxySupervisor, type ProxySpec } from "../../src/launcher/proxy-supervisor.js";
import { makeTestHome, type TestHome } from "../helpers/app-context.js";
import { gjs, waitFor } from "../helpers/process.js";
import { PROXY_JS, removeTree } from "../helpers/repo.js";

const spec: ProxySpec = { endpointName: "T", backend: "openai-compat", targetUrl: "http://127.0.0.1:9/v1", apiKey: "k", models: ["m"], model: "m" };
const alive = (pid: number) => pid > 0 && GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);

describe("ProxySupervisor", () => {
  let home: TestHome;
  let supervisor: ProxySupervisor;

  beforeEach(() => {
    home = makeTestHome("supervisor");
    supervisor = new ProxySupervisor(home.paths, () => {}, [gjs(), "-m", PROXY_JS]);
  });

  afterEach(async () => {
    await supervisor.dispose();
    removeTree(home.home);
  });

  it("leaves no process behind when stopped while still starting", async () => {
    const starting = supervisor.start(spec);
    await supervisor.stop();
    const port = await starting.catch(() => 0);
    expect(supervisor.running).toBeFalse();
    expect(alive(supervisor.pid)).toBeFalse();
    expect(port).toBeGreaterThan(0);
  });

  it("restarts on the same port and tells listeners about unexpected exits only, then brings the proxy back", async () => {
    const exits: boolean[] = [];
    supervisor.onEvent((e) => e.kind === "exited" && exits.push(e.exit.requested));
    const port = await supervisor.start(spec);
    const first = supervisor.pid;
    expect(await supervisor.restart()).toBe(port);
    expect(supervisor.pid).not.toBe(first);
    expect(alive(first)).toBeFalse();
    expect(exits).toEqual([]);
    const killed = supervisor.pid;
    GLib.spawn_command_line_sync(`kill -KILL ${killed}`);
    await waitFor(() => exits.length === 1, 5000, "the exit notice");
    expect(exits).toEqual([false]);
    await waitFor(() => supervisor.state === "running" && supervisor.pid !== killed, 5000, "the proxy back");
    expect(supervisor.port).toBe(port);
  });

  it("refuses to start once disposed", async () => {
    await supervisor.dispose();
    await expectAsync(supervisor.start(spec)).toBeRejectedWithError(/shutting down/);
  });

  it("falls back to a free port when its port is taken by another program, unless told not to", async () => {
    const port = await supervisor.start(spec);
    const other = new ProxySupervisor(home.paths, () => {}, [gjs(), "-m", PROXY_JS]);
    try {
      expect(await other.start(spec, port)).not.toBe(port);
      await other.stop();
      await expectAsync(other.start(spec, port, false)).toBeRejectedWithError(/port \d+ is taken/);
    } finally {
      await other.dispose();
    }
  });
});
