#!/usr/bin/env bash
# Builds dist/codex-launcher_<version>_all.deb with debhelper + meson (needs `npm ci` first).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(dpkg-parsechangelog -S Version)
dpkg-buildpackage -b -us -uc --no-sign >build-deb.log 2>&1 || { tail -40 build-deb.log; exit 1; }
mkdir -p dist
# dpkg-buildpackage writes next to the source tree; keep the results inside it instead.
mv -f "../codex-launcher_${version}_all.deb" dist/
rm -f "../codex-launcher_${version}_"*.buildinfo "../codex-launcher_${version}_"*.changes
rm -f build-deb.log
echo "dist/codex-launcher_${version}_all.deb"
