#!/usr/bin/env bash
# Drift check: runs the Codex conformance matrix (test/conformance/) against another Codex release, installed
# from the npm registry into a scratch directory, and prints the matrix for it. The pinned Codex (package.json)
# is what CI runs; this tells whether a newer one still passes before the pin moves.
#
#   CODEX_VERSION=0.171.0 scripts/codex-drift.sh            # or CODEX_VERSION=latest
#   CODEX_DRIFT_DIR=/var/tmp/codex-drift (default)           # where versions are installed, one folder each
#
# Exit status: 0 when every row passed. Needs what the specs need (gjs, node; see README) and a build
# (node esbuild.config.mjs), which it runs when build/test is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${CODEX_VERSION:?set CODEX_VERSION, e.g. CODEX_VERSION=0.171.0 scripts/codex-drift.sh}"
if [ "$version" = latest ]; then version=$(npm view @openai/codex version); fi
scratch="${CODEX_DRIFT_DIR:-/var/tmp/codex-drift}/$version"

find_bin() { find "$scratch/node_modules/@openai" -path '*/vendor/*-linux-*/bin/codex' -type f 2>/dev/null | head -1; }
if [ -z "$(find_bin)" ]; then
  echo "== installing @openai/codex@$version into $scratch" >&2
  mkdir -p "$scratch"
  npm install --prefix "$scratch" --no-save --no-audit --no-fund --loglevel=error "@openai/codex@$version" >&2
fi
bin=$(find_bin)
[ -n "$bin" ] || { echo "error: no Linux codex binary in $scratch (unsupported platform?)" >&2; exit 1; }
echo "== $("$bin" --version) ($bin)" >&2
[ -d build/test/conformance ] || node esbuild.config.mjs >&2

log="$scratch/conformance.log"
set +e
CODEX_BIN="$bin" stdbuf -oL gjs -m test/runner.js build/test/conformance/*.spec.js > "$log" 2>&1
status=$?
set -e
# The matrix: one row per spec, by its [tag].
echo "| row | codex $version |"
echo "|---|---|"
sed -n -E 's/^  (ok|FAIL) +[^[]*\[([^]]+)\].*/\1 \2/p' "$log" |
  while read -r result row; do echo "| $row | $([ "$result" = ok ] && echo pass || echo FAIL) |"; done
tail -1 "$log"
[ $status -eq 0 ] || echo "failures: see $log" >&2
exit $status
