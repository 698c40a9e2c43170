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

  it("restarts on the same port and tells listeners about unexpected exits only", async () => {
    const exits: boolean[] = [];
    supervisor.onExit((e) => exits.push(e.requested));
    const port = await supervisor.start(spec);
    const first = supervisor.pid;
    expect(await supervisor.restart()).toBe(port);
    expect(supervisor.pid).not.toBe(first);
    expect(alive(first)).toBeFalse();
    expect(exits).toEqual([]);
    GLib.spawn_command_line_sync(`kill -KILL ${supervisor.pid}`);
    await waitFor(() => exits.length === 1, 5000, "the exit notice");
    expect(exits).toEqual([false]);
    expect(supervisor.state).toBe("exited");
  });

  it("refuses to start once disposed", async () => {
    await supervisor.dispose();
    await expectAsync(supervisor.start(spec)).toBeRejectedWithError(/shutting down/);
  });

  it("falls back to a free port for a user start, but not for a restart, when its port is taken", async () => {
    const port = await supervisor.start(spec);
    const other = new ProxySupervisor(home.paths, () => {}, [gjs(), "-m", PROXY_JS]);
    try {
      expect(await other.start(spec, port)).not.toBe(port);
      await other.stop();
      await expectAsync(other.start(spec, port, false)).toBeRejectedWithError(/address already in use/);
    } finally {
      await other.dispose();
    }
  });
});
