// Bundles the two programs (GUI + proxy) and the test specs for GJS 1.74 (SpiderMonkey 102).
// Usage: node esbuild.config.mjs [--outdir DIR] [--no-tests]
import * as esbuild from "esbuild";
import { readFileSync, readdirSync, statSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const outdirArg = args.indexOf("--outdir");
// Paths below are relative to the checkout, wherever this runs from (meson runs it in its build dir).
const appOutdir = resolve(outdirArg >= 0 ? args[outdirArg + 1] : "build/app");
const root = dirname(fileURLToPath(import.meta.url));
process.chdir(root);
const withTests = !args.includes("--no-tests");

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

const common = {
  bundle: true,
  format: "esm",
  target: "firefox102",
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["import", "default"],
  external: ["gi://*", "resource://*", "system", "gettext", "cairo", "console"],
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  logLevel: "warning",
  legalComments: "none",
  absWorkingDir: root,
};

await esbuild.build({
  ...common,
  entryPoints: { main: "src/app/main.ts", proxy: "src/proxy/main.ts" },
  outdir: appOutdir,
});

function specFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...specFiles(path));
    else if (name.endsWith(".spec.ts")) found.push(path);
  }
  return found.sort();
}

if (withTests) {
  // One spec module per file, shared code split into chunks so that a GObject class
  // is registered once even when several specs import it.
  rmSync("build/test", { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: specFiles("test").map((file) => ({ in: file, out: file.replace(/^test\//, "").replace(/\.ts$/, "") })),
    outdir: "build/test",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  });
  // The fuzz corpus, for the node process that replays it (test/helpers/raw-http-batch.mjs).
  await esbuild.build({ ...common, platform: "node", entryPoints: ["test/helpers/fuzz-corpus.ts"], outfile: "build/test/helpers/fuzz-corpus.mjs" });
}
