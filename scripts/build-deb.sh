#!/usr/bin/env bash
# Builds dist/codex-launcher_<version>_all.deb with debhelper + meson (needs `npm ci` first).
# Prints the .deb's path on stdout and nothing else; every failure goes to stderr, so a caller that
# captures stdout (`deb=$(scripts/build-deb.sh)`) still shows the user what went wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(dpkg-parsechangelog -S Version)
if ! dpkg-buildpackage -b -us -uc --no-sign >build-deb.log 2>&1; then
  echo "error: dpkg-buildpackage failed; the end of build-deb.log:" >&2
  tail -40 build-deb.log >&2
  exit 1
fi
mkdir -p dist
# dpkg-buildpackage writes next to the source tree; keep the results inside it instead.
mv -f "../codex-launcher_${version}_all.deb" dist/
rm -f "../codex-launcher_${version}_"*.buildinfo "../codex-launcher_${version}_"*.changes
rm -f build-deb.log
echo "dist/codex-launcher_${version}_all.deb"
