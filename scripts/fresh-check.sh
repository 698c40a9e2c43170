#!/usr/bin/env bash
# Proves the README's Quick start on a truly fresh Debian 12: builds a minbase root with debootstrap
# (from the Debian archive this machine's apt uses), clones this repository's committed HEAD into it,
# and runs the README's two commands there as root:
#   1. scripts/bootstrap.sh && npm start          (passes when the app's window appears)
#   2. scripts/bootstrap.sh --test && npm test    (prints the closing "N passed, N failed")
# The root is entered with pivot_root inside private mount and pid namespaces, not a bare chroot:
# the kernel refuses user namespaces to chrooted processes, and the real Codex CLI's own sandbox
# (bubblewrap) needs them, as it has on a real machine. Needs root, debootstrap (installed when
# missing) and Xvfb + xdotool on this machine (scripts/bootstrap.sh --test installs them).
# Not part of CI: it takes 10-20 minutes.
#
# Usage: scripts/fresh-check.sh [--keep] [ROOT_DIR]     (default ROOT_DIR: /var/tmp/codex-launcher-fresh)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[ "${1:-}" = "--keep" ] && { keep=true; shift; }
root=${1:-/var/tmp/codex-launcher-fresh}
started=$(date +%s)

die() { echo "fresh-check: error: $*" >&2; exit 1; }
say() { echo "fresh-check: $*"; }
[ "$(id -u)" -eq 0 ] || die "run as root (it builds a root file system and enters it)"
command -v Xvfb >/dev/null && command -v xdotool >/dev/null || die "needs Xvfb and xdotool (scripts/bootstrap.sh --test)"
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# The archive this machine's apt is configured with (deb822 .sources or a one-line sources.list).
mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | grep -v security | awk '{print $2}' | head -1)
[ -n "$mirror" ] || die "cannot tell which Debian archive apt uses (no URIs in /etc/apt/sources.list*)"

unmount_all() {
  # Mounts live in the namespace and vanish with it; this only covers a run that was interrupted.
  { grep -o " $root/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
unmount_all
rm -rf "$root"
mkdir -p "$root"

say "debootstrap --variant=minbase bookworm from $mirror (with ca-certificates and git, nothing else)"
debootstrap --variant=minbase --include=ca-certificates,git bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log" >&2; die "debootstrap failed (log: $root.debootstrap.log)"; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
# When this machine reaches the registries through a TLS-inspecting proxy, the root trusts the same
# local CA certificates (as a real machine behind that proxy would); nothing else is carried over.
local_cas=$(ls /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
if [ -n "$local_cas" ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp $local_cas "$root/usr/local/share/ca-certificates/"
  say "carrying this machine's local CA certificates into the root: $(echo $local_cas | xargs -n1 basename | tr '\n' ' ')"
fi

say "cloning $(git -C "$repo" rev-parse --short HEAD) (committed HEAD only) into the root"
git clone -q --no-local "$repo" "$root/root/codex-launcher"

# A display for command 1: an Xvfb on this machine, reached from inside through the shared network
# namespace (X's abstract socket) and a bind mount of its socket directory.
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
inner_pid=""
cleanup() {
  [ -n "$inner_pid" ] && kill "$inner_pid" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  unmount_all
  $keep || rm -rf "$root"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

cat >"$root/root/run-readme.sh" <<EOF
#!/bin/bash
# Runs inside the fresh root, as a new user would.
set -uo pipefail
cd /root/codex-launcher
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  update-ca-certificates >/dev/null 2>&1
  # Node keeps its own CA list; it reads the system bundle only when told to.
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
echo "== README command 1: scripts/bootstrap.sh && npm start"
export DISPLAY=$display
# Its own session (setsid), so the whole command can be stopped once the window was seen.
setsid bash -c 'scripts/bootstrap.sh && npm start' >/root/command1.log 2>&1 &
app=\$!
# The outside watches the display for the window and leaves a flag here when it saw it.
for _ in \$(seq 900); do
  [ -e /root/window-seen ] && break
  kill -0 \$app 2>/dev/null || break
  sleep 1
done
if [ -e /root/window-seen ]; then echo "command 1: the Codex Launcher window opened"; else
  echo "command 1 FAILED (no window); its output:"; tail -30 /root/command1.log; fi
kill -TERM -- -\$app 2>/dev/null; wait \$app 2>/dev/null
unset DISPLAY
echo "== README command 2: scripts/bootstrap.sh --test && npm test"
scripts/bootstrap.sh --test && npm test
echo "command 2 exit: \$?"
EOF
chmod +x "$root/root/run-readme.sh"

say "entering the root (pivot_root in private mount + pid namespaces); this takes 10-20 minutes"
unshare --mount --pid --fork --kill-child --propagation private bash -c '
  set -e
  root=$1
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mkdir -p "$root/tmp/.X11-unix" && mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
  mount -t tmpfs -o mode=0755 tmpfs "$root/run"
  cd "$root"
  mkdir -p .oldroot
  pivot_root . .oldroot
  cd /
  umount -l /.oldroot
  rmdir /.oldroot
  exec env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /root/run-readme.sh
' fresh-check "$root" >"$root.run.log" 2>&1 &
inner_pid=$!

# Watch for command 1's window on the shared display.
seen=false
while kill -0 "$inner_pid" 2>/dev/null; do
  if ! $seen && DISPLAY=$display xdotool search --name "Codex Launcher" >/dev/null 2>&1; then
    seen=true
    say "command 1: window seen after $(( $(date +%s) - started )) s"
    sleep 2 # let it finish drawing before it is closed
    touch "$root/root/window-seen"
  fi
  sleep 1
done
wait "$inner_pid" || true
inner_pid=""

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$root.run.log" | tail -1 || true)
deb=$(ls "$root"/root/codex-launcher/dist/*.deb 2>/dev/null | head -1 || true)
echo "----- the run inside (full log: $root.run.log) -----"
grep -E '^(==|command |installed |error:|Installing)|^ *(FAIL|failed)' "$root.run.log" || true
echo "----------------------------------------------------"
say "wall time $(( $(date +%s) - started )) s${deb:+; .deb $(du -k "$deb" | cut -f1) kB}"
$seen || die "command 1 (scripts/bootstrap.sh && npm start) never showed the window"
[ -n "$summary" ] || die "command 2 printed no closing 'N passed, N failed' line"
echo "$summary"
[[ "$summary" =~ ^[0-9]+\ passed,\ 0\ failed ]] || exit 1
