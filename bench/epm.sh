#!/bin/bash
# bench/epm.sh [BUILD=build] [N=50]
#
# Pre-built enclaves from epm against the other starts, one sitting, epm running, the same
# busybox-static rootfs running /bin/true, the four kinds alternating sample by sample in a new
# random order each time:
#   ordinary : an ordinary container
#   sim      : liberpal-sim without size= (no enclave memory), pool off
#   cold     : liberpal-sim size=256M, pool off: 256 MiB written and measured at create
#   warm     : liberpal-sim size=256M from epm (each sample must be a hit)
# Each sample starts with the pool full and epm idle. Timed: `rune create` + `rune start`; the
# end (poll `state` until stopped) and `delete` are timed apart (teardown). Prints medians, p90,
# the ratios the goals name (cold/warm >= 5, warm/ordinary <= 1.5, warm/sim <= 1.10), then the
# build time per entry, epm's idle RSS, the bytes per entry, and 20 back-to-back `rune run` at
# depth 4 (how many hit). Needs root. Do not run beside other timing work on a 2-core machine.
set -u
BUILD=$(realpath "${1:-build}")
N=${2:-50}
RUNE=$BUILD/cmd/rune/rune EPM=$BUILD/cmd/epm/epm PAL=$BUILD/runtimes/liberpal-sim.so
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
W=$(mktemp -d /var/tmp/rune-bench-epm.XXXXXX)
R() { "$RUNE" --root "$W/state" --epm-socket "$W/run/take.sock" "$@"; }
E() { "$EPM" "$@" --runtime-dir "$W/run"; }
cleanup() {
  local id; for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done
  [ -n "${EPMPID:-}" ] && kill "$EPMPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/rootfs"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$W/rootfs/bin/busybox"
chroot "$W/rootfs" /bin/busybox --install -s /bin
KINDS=(ordinary sim cold warm)
for b in "${KINDS[@]}"; do mkdir -p "$W/$b"; ln -s ../rootfs "$W/$b/rootfs"; done
(cd "$W/ordinary" && "$RUNE" spec)
jq '.process.terminal=false | .process.args=["/bin/true"]' "$W/ordinary/config.json" >"$W/c" && mv "$W/c" "$W/ordinary/config.json"
(cd "$W/sim" && "$RUNE" spec --enclave --pal "$PAL")
enclave_cfg() { # enclave_cfg KIND ARGS POOL
  jq --arg a "$2" --arg p "$3" '.process.args=["/bin/true"]
     | .process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=" + $a else . end)
     | .process.env += ["ENCLAVE_POOL=" + $p]' "$W/sim/config.json" >"$W/$1/c" && mv "$W/$1/c" "$W/$1/config.json"
}
cp "$W/sim/config.json" "$W/cold/config.json"; cp "$W/sim/config.json" "$W/warm/config.json"
enclave_cfg cold "size=256M,quiet" off
enclave_cfg warm "size=256M,quiet" on
enclave_cfg sim "quiet" off

printf 'max_bytes = "2G"\n[[runtime]]\npath = "%s"\n[[pool]]\nruntime = "%s"\nargs = "size=256M quiet"\ndepth = 1\n' \
  "$PAL" "$PAL" >"$W/epm.toml"
"$EPM" serve --config "$W/epm.toml" --runtime-dir "$W/run" 2>"$W/epm.log" & EPMPID=$!
for _ in $(seq 100); do [ -S "$W/run/epm.sock" ] && break; sleep 0.05; done

ready() { E status --json | jq '[.pools[] | select(.args == "size=256M quiet") | .ready] | add // 0'; }
wait_full() { # until the pool has $1 ready and nothing building
  local i; for i in $(seq 600); do
    [ "$(E status --json | jq --argjson d "$1" '[.pools[] | select(.args == "size=256M quiet") | (.ready >= $d and .building == 0)] | all')" = true ] && return 0
    sleep 0.02; done; echo "# the pool did not fill" >&2; return 1; }

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
sample() { # sample KIND: create+start -> $W/start-KIND, end+delete -> $W/down-KIND
  local k=$1 id=$1-$RANDOM t0 t1 t2
  [ "$k" = warm ] && { wait_full 1 || exit 1; }
  t0=$(now_us)
  R create --bundle "$W/$k" "$id" </dev/null >/dev/null 2>&1 || { echo "# $k create failed" >&2; exit 1; }
  R start "$id" >/dev/null 2>&1 || echo "# $k start failed" >&2
  t1=$(now_us)
  if [ "$k" = warm ] && [ "$(R state "$id" | jq -r .enclave.pool)" != hit ]; then
    echo "# a warm sample missed: $(R state "$id" | jq -c .enclave)" >&2; exit 1
  fi
  while [ "$(R state "$id" 2>/dev/null | jq -r .status)" != stopped ]; do :; done
  R delete "$id" >/dev/null 2>&1 || R delete -f "$id" >/dev/null 2>&1
  t2=$(now_us)
  echo $((t1 - t0)) >>"$W/start-$k"; echo $((t2 - t1)) >>"$W/down-$k"
  [ "$k" = warm ] && wait_full 1  # the next sample starts with epm idle
  return 0
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) printf "%.2f", a[(NR+1)/2]/1000; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2000}'; }
p90() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9); if (i<1) i=1; printf "%.2f", a[i]/1000}'; }

wait_full 1 || exit 1
for k in "${KINDS[@]}"; do sample "$k"; done  # warm-up
for k in "${KINDS[@]}"; do : >"$W/start-$k"; : >"$W/down-$k"; done
echo "# N=$N per kind, alternating in random order; kernel $(uname -r), $(nproc) cpus"
for i in $(seq "$N"); do
  for k in $(printf '%s\n' "${KINDS[@]}" | shuf); do sample "$k"; done
done
printf '%-9s %12s %12s %14s\n' kind "start (ms)" "p90 (ms)" "teardown (ms)"
for k in "${KINDS[@]}"; do
  printf '%-9s %12s %12s %14s\n' "$k" "$(median <"$W/start-$k")" "$(p90 <"$W/start-$k")" "$(median <"$W/down-$k")"
done
m() { median <"$W/start-$1"; }
q() { p90 <"$W/start-$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "cold/warm     median $(ratio "$(m cold)" "$(m warm)")  p90 $(ratio "$(q cold)" "$(q warm)")   (goal >= 5)"
echo "warm/ordinary median $(ratio "$(m warm)" "$(m ordinary)")  p90 $(ratio "$(q warm)" "$(q ordinary)")   (goal <= 1.5)"
echo "warm/sim      median $(ratio "$(m warm)" "$(m sim)")  p90 $(ratio "$(q warm)" "$(q sim)")   (goal <= 1.10)"
st=$(E status --json)
echo "build time per entry (last): $(jq '.pools[0].last_build_ms' <<<"$st") ms; bytes per entry: $(jq '.pools[0].entry_size' <<<"$st")"
echo "epm idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$EPMPID/status)"

# 20 back-to-back `rune run` at depth 4: as many hits as entries were ready or refilled in time
# (counted from epm's status, since `run` deletes the container).
E pool set "$PAL" --args "size=256M quiet" --depth 4 >/dev/null
wait_full 4 || exit 1
count() { E status --json | jq ".pools[] | select(.args == \"size=256M quiet\") | .$1"; }
h0=$(count hits) m0=$(count misses)
for i in $(seq 20); do R run --bundle "$W/warm" "b2b-$i" </dev/null >/dev/null 2>&1 || echo "# run $i failed" >&2; done
echo "20 back-to-back rune run at depth 4: $(($(count hits) - h0)) hits, $(($(count misses) - m0)) misses"
