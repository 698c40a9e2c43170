// Sends a raw HTTP request (the bytes of a file) to 127.0.0.1:PORT and prints the raw answer, read until
// the server closes (with "hold", the client keeps its side open after sending, like one that has
// more to send). Runs in node, outside the gjs test process (whose own fake provider must keep
// serving while the request is in flight). Usage: node raw-http-client.mjs PORT FILE [TIMEOUT_MS] [hold]
import net from "node:net";
import { readFileSync } from "node:fs";

const [port, file, timeout = "15000", mode = ""] = process.argv.slice(2);
const socket = net.connect(Number(port), "127.0.0.1");
const chunks = [];
socket.setTimeout(Number(timeout), () => socket.destroy());
socket.on("connect", () => (mode === "hold" ? socket.write(readFileSync(file)) : socket.end(readFileSync(file))));
socket.on("data", (d) => chunks.push(d));
socket.on("error", () => {}); // a reset ends the answer; what arrived before it counts
socket.on("close", () => process.stdout.write(Buffer.concat(chunks)));
