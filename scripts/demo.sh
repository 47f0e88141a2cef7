#!/bin/bash
# The main job's last step: a busybox-static bundle, and a command run in a rune container.
set -euo pipefail
RUNE=$(realpath "${1:?usage: demo.sh RUNE}")
[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers need it)" >&2; exit 1; }
B=$(mktemp -d /tmp/rune-demo.XXXXXX)
ROOT=$B/state
trap '"$RUNE" --root "$ROOT" delete -f demo >/dev/null 2>&1; rm -rf "$B"' EXIT
mkdir -p "$B/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$B/rootfs/bin/busybox"
chroot "$B/rootfs" /bin/busybox --install -s /bin
(cd "$B" && "$RUNE" spec)
jq '.process.terminal=false | .hostname="rune-demo"
    | .process.args=["/bin/sh","-c","echo \"hello from inside a rune container: hostname=$(hostname) pid=$$ uid=$(id -u)\"; echo \"its mounts: $(awk '"'"'{print $2}'"'"' /proc/mounts | tr \"\\n\" \" \")\""]' \
  "$B/config.json" > "$B/c.json" && mv "$B/c.json" "$B/config.json"
echo "# $RUNE run --bundle $B demo"
"$RUNE" --root "$ROOT" run --bundle "$B" demo </dev/null
