#!/usr/bin/env bash
# The project's test command (npm test): type-check, build, run every spec under gjs + Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== type-check"
npx tsc --noEmit
echo "== build"
node esbuild.config.mjs
echo "== specs"
mapfile -t specs < <(find build/test -name '*.spec.js' | sort)
# stdbuf keeps gjs output line-buffered, so a hung spec still shows what ran before it.
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- stdbuf -oL gjs -m test/runner.js "${specs[@]}" "$@"
