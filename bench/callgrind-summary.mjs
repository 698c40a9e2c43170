// Summarises a callgrind.out file (instruction counts are repeatable, unlike timings on a shared
// machine): self instructions per library and per function, and how often GI/GLib/libsoup entry
// points were called. `--per N` divides every figure by N (e.g. the tokens streamed while recording).
// Usage: node bench/callgrind-summary.mjs callgrind.out [--per N] [--top 25]
import { readFileSync } from "node:fs";

const file = process.argv[2];
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const per = arg("per", 1);
const top = arg("top", 25);

// The crossings that matter per token: each is a trip between JS and C through GObject introspection
// or a GLib object made for one chunk.
const WATCHED = [
  "g_signal_emit", "g_signal_emit_valist", "g_signal_emit_by_name", "g_closure_invoke", "g_bytes_new", "g_bytes_new_take",
  "g_bytes_unref", "soup_message_body_append_bytes", "soup_server_message_unpause", "soup_server_message_pause",
  "g_timeout_add_full", "g_source_attach", "g_source_destroy", "g_cancellable_connect", "g_cancellable_disconnect",
  "g_object_new", "g_object_new_with_properties", "g_buffered_input_stream_fill_async", "g_buffered_input_stream_peek_buffer",
  "g_input_stream_skip", "g_task_new", "g_main_context_dispatch", "g_main_context_iteration", "g_callable_info_invoke", "ffi_call", "recv", "send", "__send",
  "sendmsg", "writev", "malloc", "free", "g_socket_receive_with_blocking", "g_socket_send_with_blocking",
  // Promise jobs (gjs 1.74 captures the JS stack for each), exceptions, and symbol look-ups GI makes per call.
  "JSRuntime::enqueuePromiseJob(JSContext*, JS::Handle<JSFunction*>, JS::Handle<JSObject*>, JS::Handle<js::GlobalObject*>)",
  "JS::CaptureCurrentStack(JSContext*, JS::MutableHandle<JSObject*>, mozilla::Variant<JS::AllFrames, JS::MaxFrames, JS::FirstSubsumedFrame>&&)",
  "JS_SetPendingException(JSContext*, JS::Handle<JS::Value>, JS::ExceptionStackBehavior)", "JS_GC(JSContext*, JS::GCReason)",
  "g_typelib_symbol", "g_signal_connect_data", "g_signal_connect_object", "g_signal_handler_disconnect", "g_object_unref",
];

const names = { ob: new Map(), fn: new Map() };
const selfByFn = new Map();
const selfByOb = new Map();
const calls = new Map();
let total = 0;
let ob = "";
let fn = "";
let cfn = "";
let pendingCalls = 0;
let skipNext = false;

function named(kind, raw) {
  const m = /^\((\d+)\)(?: (.*))?$/.exec(raw.trim());
  if (!m) return raw.trim();
  const map = kind === "fn" || kind === "cfn" ? names.fn : names.ob;
  if (m[2] !== undefined) map.set(m[1], m[2]);
  return map.get(m[1]) ?? `(${m[1]})`;
}

for (const line of readFileSync(file, "utf8").split("\n")) {
  if (line.startsWith("summary:")) total = Number(line.slice(8));
  const eq = line.indexOf("=");
  const key = eq > 0 ? line.slice(0, eq) : "";
  if (key === "ob") ob = named("ob", line.slice(eq + 1));
  else if (key === "cob") named("ob", line.slice(eq + 1));
  else if (key === "fn") fn = named("fn", line.slice(eq + 1));
  else if (key === "cfn") cfn = named("cfn", line.slice(eq + 1));
  else if (key === "calls") {
    pendingCalls = Number(line.slice(6).split(" ")[0]);
    calls.set(cfn, (calls.get(cfn) ?? 0) + pendingCalls);
    skipNext = true; // the next cost line is the callee's inclusive cost, not our own
  } else if (/^[+\-*\d]/.test(line)) {
    if (skipNext) {
      skipNext = false;
      continue;
    }
    const cost = Number(line.trim().split(/\s+/)[1] ?? 0);
    if (!Number.isFinite(cost)) continue;
    const k = `${fn} [${ob.split("/").pop()}]`;
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + cost);
    const o = ob.split("/").pop();
    selfByOb.set(o, (selfByOb.get(o) ?? 0) + cost);
  }
}

const fmt = (n) => (n / per).toLocaleString("en-US", { maximumFractionDigits: per === 1 ? 0 : 1 });
console.log(`total instructions ${fmt(total)}${per !== 1 ? ` per unit (÷ ${per})` : ""}`);
console.log("\nself instructions by library:");
for (const [o, c] of [...selfByOb].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${((100 * c) / total).toFixed(1).padStart(5)} %  ${fmt(c).padStart(12)}  ${o}`);
console.log("\nself instructions by function:");
for (const [f, c] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${((100 * c) / total).toFixed(1).padStart(5)} %  ${fmt(c).padStart(12)}  ${f}`);
console.log("\ncalls:");
for (const name of WATCHED) if (calls.has(name)) console.log(`  ${fmt(calls.get(name)).padStart(10)}  ${name}`);
