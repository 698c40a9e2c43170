// The pure parts of the proxy's streaming path: HTTP/1.1 framing of the upstream client and the write
// budget that bounds what waits for a slow client.
import { bodyDecoder, ChunkedBody, findHeadEnd, formatRequestHead, HttpProtocolError, keepsAlive, parseHttpUrl, parseResponseHead }
  from "../../src/proxy/http1.js";
import { WriteBudget } from "../../src/proxy/write-budget.js";
import { encodeJoined, encodeTransient } from "../../src/lib/utf8-encode.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `wire` to a fresh chunked decoder cut at the given offsets; returns the decoded text. */
function dechunk(wire: string, cuts: number[]): { text: string; done: boolean; trailing: number } {
  const bytes = enc.encode(wire);
  const d = new ChunkedBody();
  let text = "";
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    // A copy per piece: the decoder owns (and rewrites) what it is given.
    text += dec.decode(d.decode(bytes.slice(at, cut)));
    at = cut;
  }
  return { text, done: d.done, trailing: d.trailing };
}

describe("HTTP/1.1 chunked bodies", () => {
  const wire = "5\r\nhello\r\n7;name=value\r\n, world\r\n1\r\n!\r\n0\r\nX-Trailer: yes\r\n\r\n";

  it("decodes a body in one piece, with extensions and trailers", () => {
    expect(dechunk(wire, [])).toEqual({ text: "hello, world!", done: true, trailing: 0 });
  });

  it("decodes the same body cut at every possible place (a read may end anywhere)", () => {
    for (let i = 1; i < wire.length; i++) {
      for (const j of [i + 1, i + 3, i + 7]) {
        if (j >= wire.length) continue;
        expect(dechunk(wire, [i, j])).withContext(`cut at ${i} and ${j}`).toEqual({ text: "hello, world!", done: true, trailing: 0 });
      }
    }
  });

  it("keeps multi-byte characters whole across chunks (framing counts bytes)", () => {
    const word = "héllo wörld ✓";
    const bytes = enc.encode(word);
    const first = bytes.slice(0, 2); // ends inside "é"
    const rest = bytes.slice(2);
    const wireBytes = new Uint8Array([...enc.encode(`${first.length.toString(16)}\r\n`), ...first, ...enc.encode(`\r\n${rest.length.toString(16)}\r\n`),
      ...rest, ...enc.encode("\r\n0\r\n\r\n")]);
    const d = new ChunkedBody();
    expect(dec.decode(d.decode(wireBytes))).toBe(word);
    expect(d.done).toBeTrue();
  });

  it("counts bytes after the last chunk (the connection is then not reused) and refuses broken framing", () => {
    expect(dechunk("1\r\na\r\n0\r\n\r\nHTTP/1.1", []).trailing).toBe(8);
    expect(() => new ChunkedBody().decode(enc.encode("zz\r\n"))).toThrowError(HttpProtocolError);
    expect(() => new ChunkedBody().decode(enc.encode("\r\n"))).toThrowError(HttpProtocolError);
    expect(() => new ChunkedBody().decode(enc.encode("2\r\nabX"))).toThrowError(HttpProtocolError);
    expect(() => new ChunkedBody().decode(enc.encode(`${"1".repeat(13)}\r\n`))).toThrowError(HttpProtocolError);
    const cut = new ChunkedBody();
    cut.decode(enc.encode("5\r\nhel"));
    expect(() => cut.end()).toThrowError(HttpProtocolError);
  });
});

describe("HTTP/1.1 response heads and framing", () => {
  it("finds the end of a head split anywhere, CRLF or bare LF", () => {
    const head = enc.encode("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody");
    expect(findHeadEnd(head)).toBe(head.length - 4);
    expect(findHeadEnd(head.subarray(0, 20))).toBe(-1);
    expect(findHeadEnd(enc.encode("HTTP/1.0 200 OK\nA: b\n\nx"))).toBe(22);
  });

  it("parses status, reason and repeated headers", () => {
    const head = parseResponseHead("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nX-A: 1\r\nx-a: 2");
    expect([head.status, head.reason, head.version]).toEqual([429, "Too Many Requests", "1.1"]);
    expect(head.headers.get_one("retry-after")).toBe("2");
    expect(head.headers.get_one("X-A")).toBe("1, 2");
    expect(() => parseResponseHead("SSH-2.0-OpenSSH")).toThrowError(HttpProtocolError);
  });

  it("delimits bodies as RFC 9112 says and knows when a connection may be reused", () => {
    const head = (text: string) => parseResponseHead(`HTTP/1.1 200 OK\r\n${text}`);
    expect(bodyDecoder("POST", head("Transfer-Encoding: chunked")) instanceof ChunkedBody).toBeTrue();
    const length = bodyDecoder("POST", head("Content-Length: 3"));
    expect(dec.decode(length.decode(enc.encode("abcdef")))).toBe("abc");
    expect([length.done, length.trailing]).toEqual([true, 3]);
    expect(bodyDecoder("POST", head("Content-Length: 0")).done).toBeTrue();
    expect(bodyDecoder("POST", parseResponseHead("HTTP/1.1 204 No Content")).done).toBeTrue();
    expect(bodyDecoder("POST", head("Content-Type: text/event-stream")).untilClose).toBeTrue();
    expect(() => bodyDecoder("POST", head("Content-Length: 3, 4"))).toThrowError(HttpProtocolError);
    expect(keepsAlive(head("A: b"))).toBeTrue();
    expect(keepsAlive(head("Connection: close"))).toBeFalse();
    expect(keepsAlive(parseResponseHead("HTTP/1.0 200 OK\r\nA: b"))).toBeFalse();
    expect(keepsAlive(parseResponseHead("HTTP/1.0 200 OK\r\nConnection: keep-alive"))).toBeTrue();
  });
});

describe("HTTP/1.1 requests", () => {
  it("splits upstream URLs for the pool and the request line", () => {
    expect(parseHttpUrl("http://127.0.0.1:8080/v1/chat/completions?x=1")).toEqual({ tls: false, host: "127.0.0.1", port: 8080,
      authority: "127.0.0.1:8080", target: "/v1/chat/completions?x=1" });
    expect(parseHttpUrl("https://api.example.com/v1")).toEqual({ tls: true, host: "api.example.com", port: 443, authority: "api.example.com",
      target: "/v1" });
    expect(parseHttpUrl("http://[::1]:11434")?.host).toBe("[::1]");
    expect(parseHttpUrl("http://user:pw@host/")?.host).toBe("host");
    expect(parseHttpUrl("ftp://host/")).toBeNull();
    expect(parseHttpUrl("http://host:99999/")).toBeNull();
  });

  it("writes one head with Host, Content-Length and a default User-Agent, and refuses header injection", () => {
    const target = parseHttpUrl("http://localhost:3000/v1/messages")!;
    const head = formatRequestHead("POST", target, { "Content-Type": "application/json", "Content-Length": "999", Connection: "close" }, 42, "agent/1");
    expect(head).toBe("POST /v1/messages HTTP/1.1\r\nHost: localhost:3000\r\nContent-Type: application/json\r\nUser-Agent: agent/1\r\n" +
      "Content-Length: 42\r\n\r\n");
    expect(formatRequestHead("GET", target, { "User-Agent": "own" }, null, "agent/1")).not.toContain("agent/1");
    expect(() => formatRequestHead("GET", target, { "X-Evil": "a\r\nX-Injected: 1" }, null, "")).toThrowError(HttpProtocolError);
    expect(() => formatRequestHead("GET", target, { "Bad Name": "x" }, null, "")).toThrowError(HttpProtocolError);
  });
});

describe("write budget (backpressure without a JS call per written chunk)", () => {
  it("asks whether libsoup's queue is empty only every checkEvery bytes, and starts over when it is", () => {
    const budget = new WriteBudget(8000, 1000);
    expect(budget.appended(600)).toBeFalse();
    expect(budget.appended(600)).toBeTrue(); // 1200 ≥ 1000: time to ask
    budget.checked(true);
    expect(budget.bound).toBe(0);
    expect(budget.appended(900)).toBeFalse();
  });

  it("makes the writer wait only when more than maxQueued may be queued, and bounds what can be", () => {
    const budget = new WriteBudget(8000, 1000);
    // A stalled client: libsoup never empties its queue.
    let appended = 0;
    let waited = false;
    while (!waited) {
      appended += 700;
      if (budget.appended(700)) {
        budget.checked(false);
        waited = budget.mustWait;
      }
    }
    expect(appended).toBeGreaterThan(8000);
    expect(appended).toBeLessThanOrEqual(8000 + 1000 + 700); // the bound, one check interval and one batch
    expect(budget.bound).toBe(appended);
    budget.checked(true); // the client read everything: writing goes on from zero
    expect(budget.mustWait).toBeFalse();
    expect(budget.bound).toBe(0);
  });

  it("never waits for a fast client, however much goes through", () => {
    const budget = new WriteBudget(8 * 1024 * 1024);
    for (let i = 0; i < 100_000; i++) {
      if (budget.appended(4096)) budget.checked(true);
      expect(budget.mustWait).toBeFalse();
    }
  });
});

describe("UTF-8 encoding into a reused buffer", () => {
  it("encodes like TextEncoder, joined parts, any size, multi-byte and surrogate pairs included", () => {
    const parts = ["event: x\n", "data: {\"delta\":\"é ü 中文 😀\"}\n\n", "", "x".repeat(100_000)];
    const expected = enc.encode(parts.join(""));
    expect(Array.from(encodeTransient(...parts))).toEqual(Array.from(expected));
    expect(Array.from(encodeJoined("😀".repeat(50_000)))).toEqual(Array.from(enc.encode("😀".repeat(50_000))));
    expect(encodeTransient("").length).toBe(0);
  });

  it("hands out a view that the next call reuses, and a copy that stays", () => {
    const kept = encodeJoined("first");
    const view = encodeTransient("AAAAA");
    encodeTransient("BBBBB");
    expect(dec.decode(view)).toBe("BBBBB"); // transient: valid until the next call only
    expect(dec.decode(kept)).toBe("first");
  });
});
