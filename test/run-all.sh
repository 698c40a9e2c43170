#!/usr/bin/env bash
# The project's test command (npm test): type-check, build, package and install the .deb, then run
# every spec (unit, proxy, UI, end-to-end with the real Codex CLI, installed package) under gjs + Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

echo "== type-check"
npx tsc --noEmit
echo "== build"
node esbuild.config.mjs
echo "== package"
deb=$(scripts/build-deb.sh)
$sudo apt-get install -y -qq --reinstall "./$deb" >/dev/null
echo "installed $deb ($(du -k "$deb" | cut -f1) kB)"
echo "== specs"
# The Codex CLI the end-to-end specs drive comes from node_modules, like a user's `npm i -g @openai/codex`.
export PATH="$PWD/node_modules/.bin:$PATH"
mapfile -t specs < <(find build/test -name '*.spec.js' | sort)
# stdbuf keeps gjs output line-buffered, so a hung spec still shows what ran before it.
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- stdbuf -oL gjs -m test/runner.js "${specs[@]}" "$@"
