// The proxy's streaming path against raw providers and clients on loopback: batching of what one socket
// read brings, no timer holding a batch, the backpressure bound, 64 concurrent streams, pooled
// connections the provider closed. The proxy is the real program; peers are plain Gio sockets so each
// TCP write is what the spec says.
import { startProxy, type RunningProxy } from "../helpers/proxy.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";
import { chatFrame, httpChunk, rawStream, RawProvider, rssMb, SSE_HEAD, type ProviderScript } from "../helpers/stream-peers.js";

const turn = { model: "raw-model", stream: true, store: false, input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "go" }] }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ending = () => httpChunk(chatFrame({}, "stop")) + httpChunk("data: [DONE]\n\n") + "0\r\n\r\n";

describe("proxy streaming path (raw provider and client)", () => {
  let provider: RawProvider;
  let proxy: RunningProxy;
  let dir: string;

  async function start(script: ProviderScript, args: string[] = []): Promise<void> {
    provider = new RawProvider(script);
    proxy = await startProxy(["--target-url", provider.url, "--log-dir", dir, ...args]);
  }

  beforeEach(() => {
    dir = makeTempDir("proxy-streaming");
  });

  afterEach(async () => {
    await proxy?.child.stop();
    provider?.stop();
    removeTree(dir);
  });

  it("translates every message one socket read brings and writes them to the client as one chunk, in order", async () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i} `);
    await start(async (x) => {
      // The head and the whole answer in one TCP write: the proxy receives them in one read.
      await x.write(SSE_HEAD + httpChunk(chatFrame({ role: "assistant", content: "" })) + words.map((w) => httpChunk(chatFrame({ content: w }))).join("") + ending());
    });
    const reply = await rawStream(proxy.port, turn);
    expect(reply.head.status).toBe(200);
    expect(reply.inOrder).toBeTrue();
    expect(reply.text).toBe(words.join(""));
    const deltaChunks = reply.chunks.filter((c) => c.events.some((e) => e.type === "response.output_text.delta"));
    // All 40 deltas of that read leave in one write (not one write per token).
    expect(deltaChunks.length).toBe(1);
    expect(deltaChunks[0].events.filter((e) => e.type === "response.output_text.delta").length).toBe(40);
    expect(reply.events[reply.events.length - 1].type).toBe("response.completed");
    expect(reply.chunks.length).toBeLessThanOrEqual(4); // head events, the batch, the closing events
  });

  it("sends a batch as soon as its read is handled: nothing waits for a timer or for the next read", async () => {
    let secondWriteAtMs = 0;
    await start(async (x) => {
      await x.write(SSE_HEAD + httpChunk(chatFrame({ role: "assistant", content: "" })) + httpChunk(chatFrame({ content: "first " })));
      await sleep(1500);
      secondWriteAtMs = Date.now();
      await x.write(httpChunk(chatFrame({ content: "second" })) + ending());
    }, ["--idle-timeout", "10"]);
    const reply = await rawStream(proxy.port, turn);
    const first = reply.chunks.find((c) => c.events.some((e) => e.type === "response.output_text.delta"))!;
    expect(first.events.find((e) => e.type === "response.output_text.delta").delta).toBe("first ");
    // The first delta reached the client long before the provider wrote again.
    expect(reply.startedMs + first.atMs).toBeLessThan(secondWriteAtMs - 1000);
    expect(reply.text).toBe("first second");
  });

  it("bounds what waits for a slow client, stops reading the provider meanwhile, and delivers everything once the client reads", async () => {
    const frames = 32 * 1024; // 32 K deltas of about 1 KB: about 35 MB through the proxy
    const content = "x".repeat(960);
    await start(async (x) => {
      await x.write(SSE_HEAD + httpChunk(chatFrame({ role: "assistant", content: "" })));
      for (let i = 0; i < frames; i += 64) {
        let batch = "";
        for (let k = 0; k < 64; k++) batch += httpChunk(chatFrame({ content }));
        await x.write(batch);
      }
      await x.write(ending());
    });
    const total = frames * (content.length + 150);
    const before = rssMb(proxy.child.pid);
    const stallMs = 4000;
    let writtenWhileStalled = 0;
    let rssWhileStalled = 0;
    const reply = await rawStream(proxy.port, turn, {
      countOnly: true,
      pauseMs: stallMs,
      // Sampled near the end of the stall, once the provider had all the time it needed to fill what it can.
      onHead: () => void setTimeout(() => {
        writtenWhileStalled = provider.bytesWritten;
        rssWhileStalled = rssMb(proxy.child.pid);
      }, stallMs - 300),
    });
    print(`backpressure: provider wrote ${(writtenWhileStalled / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(0)} MB while the client ` +
      `was stalled; proxy RSS ${before.toFixed(1)} → ${rssWhileStalled.toFixed(1)} MB`);
    expect(reply.inOrder).toBeTrue();
    expect(reply.deltaChars).toBe(frames * content.length);
    // While the client read nothing, the provider could only fill the socket buffers on both sides and
    // the proxy's bounded queue (8 MB), far from the whole answer; the proxy's memory grew by about the
    // queue, not by the answer.
    expect(writtenWhileStalled).toBeLessThan(total / 2);
    expect(rssWhileStalled - before).toBeLessThan(30);
  }, 60_000);

  it("serves 64 concurrent streams at once: none waits for another to finish", async () => {
    const clients = 64;
    let arrived = 0;
    let release: () => void = () => {};
    const allThere = new Promise<void>((resolve) => (release = resolve));
    await start(async (x) => {
      await x.write(SSE_HEAD + httpChunk(chatFrame({ role: "assistant", content: "" })));
      // Each answer waits until all 64 requests reached the provider: with fewer upstream connections
      // than streams, the ones beyond the pool would never arrive and this would time out.
      if (++arrived === clients) release();
      await allThere;
      for (let i = 0; i < 5; i++) await x.write(httpChunk(chatFrame({ content: `t${i} ` })));
      await x.write(ending());
    });
    const replies = await Promise.all(Array.from({ length: clients }, () => rawStream(proxy.port, turn)));
    expect(provider.maxOpen).toBe(clients);
    for (const r of replies) {
      expect(r.head.status).toBe(200);
      expect(r.inOrder).toBeTrue();
      expect(r.text).toBe("t0 t1 t2 t3 t4 ");
    }
  }, 30_000);

  it("keeps upstream connections alive, and replays on a fresh one when the provider closed the pooled connection", async () => {
    await start(async (x, index) => {
      await x.write(SSE_HEAD + httpChunk(chatFrame({ content: `answer ${index}` })) + ending());
      // The first two answers leave their connection open for reuse; then the provider drops it
      // without saying so (as an idle timeout on its side would).
      if (index === 1) x.close();
    });
    for (let i = 0; i < 4; i++) {
      const reply = await rawStream(proxy.port, turn);
      expect(reply.text).toBe(`answer ${i}`);
    }
    expect(provider.requests.length).toBe(4);
    expect(provider.connections).toBe(2);
  });

  it("reads a body delimited by the connection's end (no length, not chunked)", async () => {
    await start(async (x) => {
      await x.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + chatFrame({ content: "until close" }) +
        chatFrame({}, "stop") + "data: [DONE]\n\n");
      x.close();
    });
    const reply = await rawStream(proxy.port, turn);
    expect(reply.text).toBe("until close");
    expect(reply.events[reply.events.length - 1].type).toBe("response.completed");
  });
});
