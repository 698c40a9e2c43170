#!/usr/bin/env bash
# Installs what Codex Launcher needs on Debian 12 / Ubuntu 22.04+ (apt, with sudo when not root),
# then the npm packages (npm ci). `--test` adds what the test suite and packaging need.
set -euo pipefail
cd "$(dirname "$0")/.."

runtime=(gjs gir1.2-gtk-3.0 gir1.2-soup-3.0 gir1.2-glib-2.0 gir1.2-secret-1 xdg-utils)
testing=(xvfb xauth dbus x11-utils xdotool imagemagick desktop-file-utils appstream debhelper meson
  dpkg-dev lintian fakeroot iproute2 gnome-keyring libsecret-tools curl procps xterm)

want=("${runtime[@]}")
[ "${1:-}" = "--test" ] && want+=("${testing[@]}")

node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ]
}
node_ok || want+=(nodejs npm)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! node_ok; then
  echo "error: Node.js 18 or newer is needed to build; this system has $(node --version 2>/dev/null || echo none)." >&2
  echo "On Ubuntu 22.04, install a newer Node.js (for example from NodeSource) and run this again." >&2
  exit 1
fi

npm ci --no-audit --no-fund --loglevel=error
