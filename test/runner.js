// Runs Jasmine specs under gjs with npm jasmine-core 5.x (jasmine-gjs is not installable here).
// Usage: gjs -m test/runner.js [--filter TEXT] SPEC.js...
// Prints a closing line "N passed, N failed" and exits non-zero on any failure.
import GLib from "gi://GLib";
import Gio from "gi://Gio";
import System from "system";

// gjs 1.74 lacks these browser globals that jasmine-core looks for.
globalThis.queueMicrotask ??= (fn) => Promise.resolve().then(fn);
globalThis.addEventListener ??= () => {};
globalThis.removeEventListener ??= () => {};

const root = GLib.path_get_dirname(GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]));
const jasminePath = `${root}/node_modules/jasmine-core/lib/jasmine-core/jasmine.js`;
const [, source] = GLib.file_get_contents(jasminePath);
// Indirect eval defines the global `getJasmineRequireObj`, as a <script> tag would.
(0, eval)(new TextDecoder().decode(source));

const jasmineRequire = globalThis.getJasmineRequireObj();
const j$ = jasmineRequire.core(jasmineRequire);
const env = j$.getEnv();
Object.assign(globalThis, jasmineRequire.interface(j$, env));
globalThis.jasmine = j$;

const args = [...System.programArgs];
let filter = null;
const specFiles = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--filter") filter = args[++i];
  else specFiles.push(args[i]);
}
env.configure({ random: false, stopOnSpecFailure: false, ...(filter ? { specFilter: (spec) => spec.getFullName().includes(filter) } : {}) });
j$.DEFAULT_TIMEOUT_INTERVAL = 20000;

let passed = 0;
let failed = 0;
let pending = 0;
let exitCode = 1;
const failures = [];
const loop = new GLib.MainLoop(null, false);
const started = Date.now();

env.addReporter({
  specStarted(result) {
    if (GLib.getenv("RUNNER_DEBUG")) printerr(`start ${result.fullName}`);
  },
  specDone(result) {
    // Small full collections between specs: gjs 1.74 drops main-loop callbacks that arrive during
    // an incremental GC sweep, which would hang an async spec (see src/lib/gc-policy.ts).
    System.gc();
    const ms = result.duration ?? 0;
    if (result.status === "passed") {
      passed++;
      print(`  ok   ${result.fullName} (${ms} ms)`);
    } else if (result.status === "failed") {
      failed++;
      print(`  FAIL ${result.fullName} (${ms} ms)`);
      for (const f of result.failedExpectations) print(`         ${f.message}\n${indent(f.stack)}`);
      failures.push(result.fullName);
    } else {
      pending++;
      print(`  skip ${result.fullName}${result.pendingReason ? `: ${result.pendingReason}` : ""}`);
    }
  },
  suiteDone(result) {
    // Errors in beforeAll/afterAll belong to the suite, not to a spec: they must still fail the run.
    for (const f of result.failedExpectations ?? []) {
      failed++;
      failures.push(`${result.fullName} (suite)`);
      print(`  FAIL ${result.fullName} (suite-level): ${f.message}\n${indent(f.stack)}`);
    }
  },
  jasmineDone(result) {
    for (const f of result.failedExpectations ?? []) {
      failed++;
      failures.push("(top level)");
      print(`  FAIL top-level: ${f.message}\n${indent(f.stack)}`);
    }
    if (failures.length) print(`\nFailed:\n${failures.map((n) => `  - ${n}`).join("\n")}`);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    print(`\n${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ""} (${secs} s)`);
    exitCode = failed === 0 && passed > 0 ? 0 : 1;
    loop.quit();
  },
});

function indent(stack) {
  return (stack ?? "").split("\n").filter(Boolean).slice(0, 8).map((l) => `           ${l}`).join("\n");
}

async function loadSpecsAndRun() {
  for (const file of specFiles) {
    const path = Gio.File.new_for_commandline_arg(file).get_path();
    await import(`file://${path}`);
  }
  await env.execute();
}

// Nothing may be awaited at the top level before loop.run(): a main loop started from inside a
// promise job would never get to run the jobs jasmine queues, and the run would hang.
GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
  loadSpecsAndRun().catch((e) => {
    print(`runner error: ${e}\n${e?.stack ?? ""}`);
    print("0 passed, 1 failed");
    exitCode = 1;
    loop.quit();
  });
  return GLib.SOURCE_REMOVE;
});
loop.run();
System.exit(exitCode);
