#!/usr/bin/env bash
# Installs what Codex Launcher needs on Debian 12 / Ubuntu 22.04+ (apt, with sudo when not root),
# then the npm packages (npm ci). `--test` adds what the test suite needs and every build dependency
# of the .deb, read from debian/control (so the two lists cannot drift apart).
set -euo pipefail
cd "$(dirname "$0")/.."

runtime=(gjs gir1.2-gtk-3.0 gir1.2-soup-3.0 gir1.2-glib-2.0 gir1.2-secret-1 xdg-utils)
testing=(xvfb xauth dbus x11-utils xdotool imagemagick dpkg-dev lintian fakeroot iproute2 gnome-keyring
  libsecret-tools curl procps xterm)

testing_wanted=false
[ "${1:-}" = "--test" ] && testing_wanted=true

want=("${runtime[@]}")
$testing_wanted && want+=("${testing[@]}")

node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ]
}
node_ok || want+=(nodejs npm)

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
updated=false
apt_install() {
  $updated || { $sudo apt-get update -qq; updated=true; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  apt_install "${missing[@]}"
fi

# The .deb's build dependencies (Build-Depends in debian/control, plus build-essential, which
# dpkg-buildpackage always requires): dpkg-checkbuilddeps says whether they are met, apt installs them.
if $testing_wanted && ! dpkg-checkbuilddeps >/dev/null 2>&1; then
  echo "Installing the build dependencies of the package (debian/control)"
  $updated || { $sudo apt-get update -qq; updated=true; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get build-dep -y -qq --no-install-recommends ./ >/dev/null
  dpkg-checkbuilddeps || { echo "error: the build dependencies in debian/control are still not met" >&2; exit 1; }
fi

if ! node_ok; then
  echo "error: Node.js 18 or newer is needed to build; this system has $(node --version 2>/dev/null || echo none)." >&2
  echo "On Ubuntu 22.04, install a newer Node.js (for example from NodeSource) and run this again." >&2
  exit 1
fi

# The lockfile is kept installable by Debian 12's own npm 9 as well as by newer npm (no overrides).
npm ci --no-audit --no-fund --loglevel=error
