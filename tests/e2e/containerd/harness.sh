# A private containerd for the shim's tests and benchmarks (sourced; bash):
#   SHIM_DIR=<dir holding containerd-shim-rune-v2> PAL=<liberpal-sim.so> . harness.sh
#   harness_start        containerd with its own root, state, sockets, config and `opt` path,
#                        the CRI plugin off, SHIM_DIR first on its PATH; a busybox image
#                        (umoci) imported as $IMG, with the sim PAL at $SIM_PAL
#   C ARGS...            ctr on it, in namespace $NS
#   RUN RUNTIME ARGS...  ctr run with `--runtime RUNTIME --fifo-dir $WORK/fifo`
#   shim_config NAME TEXT  writes $WORK/NAME.toml (for --runtime-config-path)
#   harness_stop         tasks, containers, shims, containerd, cgroups and /run/containerd
#                        entries this harness made, its directory
# Everything lives in $WORK (mktemp) but what containerd and the shims put elsewhere: the
# containers' cgroups (/<namespace>/<id>) and shim sockets, removed by harness_stop.
set -u
SHIM_DIR=${SHIM_DIR:?set SHIM_DIR to the directory of containerd-shim-rune-v2}
PAL=${PAL:?set PAL to the built liberpal-sim.so}
SHIM_DIR=$(realpath "$SHIM_DIR")
PAL=$(realpath "$PAL")
[ "$(id -u)" = 0 ] || { echo "the containerd harness must run as root" >&2; exit 2; }
for tool in containerd ctr umoci jq; do
  command -v $tool >/dev/null || { echo "$tool is required (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x /bin/busybox ] || { echo "busybox-static is required (scripts/install-deps.sh)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/shim-e2e.XXXXXX)
chmod 755 "$WORK"
NS=shim-e2e-$$
ADDR=$WORK/containerd.sock
IMG=localhost/shim-e2e/busybox:latest
SIM_PAL=/opt/pal/liberpal-sim.so
CONTAINERD_PID=
RUN_CONTAINERD_EXISTED=0
[ -e /run/containerd ] && RUN_CONTAINERD_EXISTED=1
CGROUP_ROOTS=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) ~ /^cgroup2?$/) print $5; break } }' /proc/self/mountinfo | sort -u)

C() { ctr -a "$ADDR" -n "$NS" "$@"; }
RUN() { local rt=$1; shift; C run --runtime "$rt" --fifo-dir "$WORK/fifo" "$@"; }
shim_config() { printf '%s\n' "$2" >"$WORK/$1.toml"; echo "$WORK/$1.toml"; }

harness_image() {
  local r=$WORK/image/rootfs
  mkdir -p "$r"/{bin,proc,sys,dev,tmp,etc,root,opt/pal} || return 1
  cp /bin/busybox "$r/bin/busybox" && chroot "$r" /bin/busybox --install -s /bin || return 1
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  cp "$PAL" "$r$SIM_PAL"
  (cd "$WORK/image" && umoci init --layout oci && umoci new --image oci:latest &&
    umoci insert --image oci:latest rootfs / &&
    umoci config --image oci:latest --os linux --architecture amd64 \
      --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.cmd sh &&
    umoci gc --layout oci && tar -C oci -cf busybox.tar .) >"$WORK/umoci.log" 2>&1 ||
    { cat "$WORK/umoci.log" >&2; return 1; }
}

harness_start() {
  cat >"$WORK/config.toml" <<TOML
version = 2
root = "$WORK/root"
state = "$WORK/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ADDR"
[ttrpc]
  address = "$ADDR.ttrpc"
[debug]
  address = "$WORK/debug.sock"
  level = "${CONTAINERD_LOG_LEVEL:-info}"
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
TOML
  PATH="$SHIM_DIR:$PATH" ${CONTAINERD_ENV:-} containerd --config "$WORK/config.toml" >"$WORK/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  local i
  for i in $(seq 100); do
    C version >/dev/null 2>&1 && break
    kill -0 "$CONTAINERD_PID" 2>/dev/null || { echo "containerd exited:" >&2; tail -5 "$WORK/containerd.log" >&2; return 1; }
    sleep 0.1
  done
  C version >/dev/null 2>&1 || { echo "containerd did not answer" >&2; return 1; }
  harness_image || return 1
  C images import --base-name localhost/shim-e2e/busybox "$WORK/image/busybox.tar" >"$WORK/import.log" 2>&1 ||
    { cat "$WORK/import.log" >&2; return 1; }
}

# Every process of a shim of this harness (by the namespace on its command line).
harness_shims() { pgrep -f "containerd-shim-.*-namespace $NS " 2>/dev/null; }

harness_stop() {
  local t pid i d
  if [ -n "$CONTAINERD_PID" ] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
    for t in $(C tasks ls -q 2>/dev/null); do C tasks kill -s KILL "$t" >/dev/null 2>&1; done
    for t in $(C tasks ls -q 2>/dev/null); do
      for i in $(seq 50); do C tasks delete "$t" >/dev/null 2>&1 && break; sleep 0.1; done
    done
    for t in $(C containers ls -q 2>/dev/null); do C containers rm "$t" >/dev/null 2>&1; done
    kill "$CONTAINERD_PID" 2>/dev/null
    for i in $(seq 50); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CONTAINERD_PID" 2>/dev/null
  fi
  for pid in $(harness_shims); do kill -9 "$pid" 2>/dev/null; done
  # Containers' cgroups (containerd's default parent is /<namespace>).
  for d in $CGROUP_ROOTS; do
    [ -d "$d/$NS" ] || continue
    for pid in $(find "$d/$NS" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    find "$d/$NS" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # Mounts left under the work directory (a rootfs of a shim killed above).
  grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  # Shim sockets under $WORK/s go with $WORK; the runtimes' state root of the shim default.
  rm -rf "/run/containerd/rune-shim/"*"/$NS" 2>/dev/null
  rmdir /run/containerd/rune-shim/* /run/containerd/rune-shim 2>/dev/null
  [ "$RUN_CONTAINERD_EXISTED" = 0 ] && rmdir /run/containerd/s /run/containerd 2>/dev/null
  rm -rf "$WORK"
  return 0
}
