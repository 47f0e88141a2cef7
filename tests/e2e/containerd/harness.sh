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

# SANITIZED=1: the shim (and runtimes) were built with ASan/UBSan; their reports go to files under
# $WORK/sanitizer, which harness_sanitizer_reports lists.
harness_sanitizer_env() {
  [ "${SANITIZED:-0}" = 1 ] || return 0
  mkdir -p "$WORK/sanitizer"
  echo "ASAN_OPTIONS=log_path=$WORK/sanitizer/asan:detect_leaks=1 UBSAN_OPTIONS=log_path=$WORK/sanitizer/ubsan:print_stacktrace=1"
}
harness_sanitizer_reports() { ls "$WORK/sanitizer" 2>/dev/null; }

# Starts containerd on $WORK/config.toml (again, after a crash: its state is kept) and waits
# until it answers.
harness_containerd() {
  env PATH="$SHIM_DIR:$PATH" $CONTAINERD_ENV containerd --config "$WORK/config.toml" >>"$WORK/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  local i
  for i in $(seq 100); do
    C version >/dev/null 2>&1 && return 0
    kill -0 "$CONTAINERD_PID" 2>/dev/null || { echo "containerd exited:" >&2; tail -5 "$WORK/containerd.log" >&2; return 1; }
    sleep 0.1
  done
  echo "containerd did not answer" >&2
  return 1
}

harness_start() {
  CONTAINERD_ENV="${CONTAINERD_ENV:-} $(harness_sanitizer_env)"
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
  harness_containerd || return 1
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
  # A containerd restarted by a case (its pid unknown here) and ctr processes left behind.
  pkill -9 -f "^containerd --config $WORK/config.toml" 2>/dev/null
  pkill -9 -f "^ctr -a $ADDR " 2>/dev/null
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
  harness_hybrid_undo
  rm -rf "$WORK"
  return 0
}

# crun 1.8 refuses hybrid cgroup hosts whose cgroup2 mount owns controllers: for a run that uses
# crun, those controllers are mounted as v1 hierarchies (as ../shared/tools/oci-validation.sh
# does) and handed back by harness_stop.
HYBRID_FIXED=()
HYBRID_DISABLED=()  # subtree_control files we took a controller out of (to give it back)
harness_hybrid_fix() {
  local c f
  [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ] || return 0
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mountpoint -q "/sys/fs/cgroup/$c" && continue
    # What podman's conmon leaves where an unmounted controller would be: a plain directory
    # tree in /sys/fs/cgroup's tmpfs, and the controller enabled in cgroup2's subtree_control
    # (which makes a v1 mount of it fail with EBUSY). Both go, deepest subtree_control first.
    [ -d "/sys/fs/cgroup/$c" ] && rm -rf --one-file-system "/sys/fs/cgroup/$c"
    for f in $(find /sys/fs/cgroup/unified -name cgroup.subtree_control 2>/dev/null | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
      grep -qw "$c" "$f" 2>/dev/null || continue
      if echo "-$c" >"$f" 2>/dev/null; then HYBRID_DISABLED+=("$c:$f"); else echo "# hybrid fix: cannot take $c out of $f" >&2; fi
    done
    mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" && HYBRID_FIXED+=("$c")
  done
  CGROUP_ROOTS=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) ~ /^cgroup2?$/) print $5; break } }' /proc/self/mountinfo | sort -u)
}
harness_hybrid_undo() {
  local c i d
  for c in "${HYBRID_FIXED[@]}"; do
    [ -d "/sys/fs/cgroup/$c/$NS" ] && find "/sys/fs/cgroup/$c/$NS" -depth -type d -exec rmdir {} + 2>/dev/null
    umount "/sys/fs/cgroup/$c" && rmdir "/sys/fs/cgroup/$c"
    # A v1 hierarchy with just-removed children survives umount: mount and umount it again
    # until the controller is back on cgroup2.
    for i in $(seq 1 40); do
      grep -qw "$c" /sys/fs/cgroup/unified/cgroup.controllers && break
      [ $((i % 10)) = 5 ] && { d=$(mktemp -d); mount -t cgroup -o "$c" cgroup "$d" 2>/dev/null && umount "$d"; rmdir "$d"; }
      sleep 0.2
    done
  done
  HYBRID_FIXED=()
  # Give cgroup2 back what was enabled there, shallowest first.
  local i entry
  for ((i = ${#HYBRID_DISABLED[@]} - 1; i >= 0; i--)); do
    entry=${HYBRID_DISABLED[$i]}
    echo "+${entry%%:*}" >"${entry#*:}" 2>/dev/null
  done
  HYBRID_DISABLED=()
}
