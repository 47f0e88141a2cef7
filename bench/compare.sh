#!/bin/bash
# bench/compare.sh [RUNE] [N=50] [ROUNDS=3]
#
# rune vs crun vs runc on one busybox-static bundle running /bin/true, measured side by side in
# one run. Each round times N lifecycles per runtime, the runtimes alternating sample by sample
# in a random order:
#   run   : `RT run --bundle B id` (and `delete -f` if the runtime left the container behind)
#   cycle : `create`, `start`, poll `state` until stopped, `delete`
#   exec  : `RT exec x /bin/true` into a running container (each runtime its own, started once)
# Prints per-round and overall medians (ms), the overall 90th percentile (the tail), ratios of
# both to crun, and each runtime's peak RSS of one `run` (median of 5, KiB, from /usr/bin/time).
# SECCOMP=FILE gives every runtime that linux.seccomp section.
# BASELINE=/path/to/an/older/rune adds it as runtime `base`, alternating with the others, so that
# a change to rune is measured before and after in one sitting. Needs root.
#
# crun 1.8 refuses hybrid cgroup hosts whose cgroup2 mount owns a controller; for the run, the
# script mounts such controllers as v1 hierarchies (all three runtimes then see the same host)
# and hands them back afterwards. BENCH_HYBRID_FIX=0 leaves the host alone (crun then fails).
set -u
RUNE=$(realpath "${1:-build/cmd/rune/rune}")
N=${2:-50}; ROUNDS=${3:-3}
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
for p in crun runc busybox-static jq time; do
  dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q 'install ok installed' ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $p >/dev/null; }
done
declare -A RT=([rune]=$RUNE [crun]=$(command -v crun) [runc]=$(command -v runc))
NAMES=(rune crun runc)
if [ -n "${BASELINE:-}" ]; then RT[base]=$(realpath "$BASELINE"); NAMES=(rune base crun runc); fi

W=$(mktemp -d /var/tmp/rune-bench.XXXXXX)
B=$W/bundle
mkdir -p "$B/rootfs"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$B/rootfs/bin/busybox"
chroot "$B/rootfs" /bin/busybox --install -s /bin
(cd "$B" && "$RUNE" spec)
jq '.process.terminal=false | .process.args=["/bin/true"]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
# SECCOMP=FILE: every runtime gets FILE as linux.seccomp (e.g. the profile docker writes,
# ../shared/fixtures/docker-20.10-default-seccomp.json).
if [ -n "${SECCOMP:-}" ]; then
  jq --slurpfile s "$SECCOMP" '.linux.seccomp=$s[0]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
  echo "# linux.seccomp: $SECCOMP"
fi

# The exec target: the same rootfs running sleep (runc refuses a symlinked rootfs).
BX=$W/bundle-exec
mkdir -p "$BX"
jq --arg r "$B/rootfs" '.process.args=["/bin/sleep","100000"] | .root.path=$r' "$B/config.json" > "$BX/config.json"

FIXED=()
if [ "${BENCH_HYBRID_FIX:-1}" != 0 ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mountpoint -q /sys/fs/cgroup/$c && continue
    mkdir -p /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c && FIXED+=($c)
  done
  [ ${#FIXED[@]} -gt 0 ] && echo "# hybrid-cgroup fix for crun: [${FIXED[*]}] mounted as v1 for this run"
fi
undo() {
  local c i d n
  for n in "${NAMES[@]}"; do
    "${RT[$n]}" --root "$W/state-$n" delete -f b >/dev/null 2>&1
    "${RT[$n]}" --root "$W/state-$n" delete -f x >/dev/null 2>&1
  done
  for c in "${FIXED[@]}"; do
    umount /sys/fs/cgroup/$c && rmdir /sys/fs/cgroup/$c
    # A v1 hierarchy with just-removed children survives umount; mount+umount again until the
    # controller is back on cgroup2.
    for i in $(seq 1 40); do grep -qw $c /sys/fs/cgroup/unified/cgroup.controllers && break
      [ $((i % 10)) = 5 ] && { d=$(mktemp -d); mount -t cgroup -o $c cgroup $d 2>/dev/null && umount $d; rmdir $d; }
      sleep 0.2; done
  done
  rm -rf "$W"
}
trap undo EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
one_run() { # one_run NAME -> microseconds
  local rt=${RT[$1]} root=$W/state-$1 t0 t1
  t0=$(now_us)
  "$rt" --root "$root" run --bundle "$B" b </dev/null >/dev/null 2>&1 || echo "# $1 run failed" >&2
  "$rt" --root "$root" state b >/dev/null 2>&1 && "$rt" --root "$root" delete -f b >/dev/null 2>&1
  t1=$(now_us); echo $((t1 - t0))
}
one_cycle() {
  local rt=${RT[$1]} root=$W/state-$1 t0 t1
  t0=$(now_us)
  "$rt" --root "$root" create --bundle "$B" b </dev/null >/dev/null 2>&1 || echo "# $1 create failed" >&2
  "$rt" --root "$root" start b >/dev/null 2>&1
  local k=0
  until "$rt" --root "$root" state b 2>/dev/null | grep -q '"status": "stopped"'; do
    k=$((k+1)); [ $k -gt 2000 ] && { echo "# $1 never reached stopped" >&2; break; }
  done
  "$rt" --root "$root" delete b >/dev/null 2>&1 || "$rt" --root "$root" delete -f b >/dev/null 2>&1
  t1=$(now_us); echo $((t1 - t0))
}
one_exec() {
  local rt=${RT[$1]} root=$W/state-$1 t0 t1
  t0=$(now_us)
  "$rt" --root "$root" exec x /bin/true </dev/null >/dev/null 2>&1 || echo "# $1 exec failed" >&2
  t1=$(now_us); echo $((t1 - t0))
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) printf "%.2f", a[(NR+1)/2]/1000; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2000}'; }
p90() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9+0.999999); if (i<1) i=1; printf "%.2f", a[i]/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

for n in "${NAMES[@]}"; do
  "${RT[$n]}" --root "$W/state-$n" run -d --bundle "$BX" x </dev/null >/dev/null 2>&1 ||
    echo "# $n: run -d of the exec target failed" >&2
  one_run $n >/dev/null; one_cycle $n >/dev/null; one_exec $n >/dev/null   # warm-up
done
echo "# N=$N per runtime per round, $ROUNDS rounds, runtimes alternating; kernel $(uname -r), $(nproc) cpus"
for mode in ${MODES:-run cycle exec}; do
  for r in $(seq "$ROUNDS"); do
    for i in $(seq "$N"); do
      # A new random order every sample: a runtime that follows runc pays for teardown runc
      # leaves to the kernel (measured: the same rune binary 13.7 ms right after runc, 8.2 ms
      # after another runtime), so a fixed (or merely rotated) order would charge it to one.
      for n in $(shuf -e "${NAMES[@]}"); do one_$mode $n >> "$W/$mode-$n"; done
    done
    line="round $r $mode:"
    for n in "${NAMES[@]}"; do line+="  $n $(tail -n "$N" "$W/$mode-$n" | median) ms"; done
    echo "$line"
  done
done
rss() { # median peak RSS (KiB) of 5 `run`s
  local n=$1 k
  for k in 1 2 3 4 5; do
    /usr/bin/time -f %M "${RT[$n]}" --root "$W/state-$n" run --bundle "$B" b 2>&1 >/dev/null </dev/null | tail -1
    "${RT[$n]}" --root "$W/state-$n" delete -f b >/dev/null 2>&1
  done | sort -n | sed -n 3p
}
echo
printf '%-7s %8s %6s %8s %6s %9s %6s %9s %6s %8s %6s %8s %6s %9s\n' runtime "run ms" ratio "run p90" ratio \
  "cycle ms" ratio "cycle p90" ratio "exec ms" ratio "exec p90" ratio "RSS KiB"
declare -A MR MC ME PR PC PE RS
for n in "${NAMES[@]}"; do
  for m in run cycle exec; do [ -s "$W/$m-$n" ] || echo 0 > "$W/$m-$n"; done
  MR[$n]=$(median < "$W/run-$n"); MC[$n]=$(median < "$W/cycle-$n"); ME[$n]=$(median < "$W/exec-$n")
  PR[$n]=$(p90 < "$W/run-$n"); PC[$n]=$(p90 < "$W/cycle-$n"); PE[$n]=$(p90 < "$W/exec-$n")
  RS[$n]=$(rss $n)
done
r() { [ "$2" = 0.00 ] && echo - || ratio "$1" "$2"; }
for n in "${NAMES[@]}"; do
  printf '%-7s %8s %6s %8s %6s %9s %6s %9s %6s %8s %6s %8s %6s %9s\n' $n \
    ${MR[$n]} $(r ${MR[$n]} ${MR[crun]}) ${PR[$n]} $(r ${PR[$n]} ${PR[crun]}) \
    ${MC[$n]} $(r ${MC[$n]} ${MC[crun]}) ${PC[$n]} $(r ${PC[$n]} ${PC[crun]}) \
    ${ME[$n]} $(r ${ME[$n]} ${ME[crun]}) ${PE[$n]} $(r ${PE[$n]} ${PE[crun]}) ${RS[$n]}
done
echo "# medians and 90th percentiles over all $((N*ROUNDS)) samples per runtime; ratios to crun;"
echo "# the cycle includes polling \`state\` until stopped; MODES=\"exec\" times one mode only"
