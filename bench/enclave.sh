#!/bin/bash
# bench/enclave.sh [RUNE] [PAL] [N=50] [ROUNDS=3]
#
# Enclave-container start next to an ordinary container, same busybox-static rootfs, same rune,
# alternating sample by sample in one run:
#   ordinary : `rune run` of /bin/true
#   enclave  : `rune run` of /bin/true inside liberpal-sim (bind-mounted read-only, as
#              `rune spec --enclave` does): dlopen + pal_init + create_process (copy, hash and
#              seal the binary) + pal_exec + pal_destroy on top of the ordinary path
# Prints per-round and overall medians (ms) and the ratio enclave/ordinary. Needs root.
set -u
RUNE=$(realpath "${1:-build/cmd/rune/rune}")
PAL=$(realpath "${2:-build/runtimes/liberpal-sim.so}")
N=${3:-50}; ROUNDS=${4:-3}
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
W=$(mktemp -d /var/tmp/rune-bench-enclave.XXXXXX)
trap 'for b in ordinary enclave; do "$RUNE" --root "$W/state" delete -f $b >/dev/null 2>&1; done; rm -rf "$W"' EXIT
mkdir -p "$W/rootfs"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$W/rootfs/bin/busybox"
chroot "$W/rootfs" /bin/busybox --install -s /bin
for b in ordinary enclave; do
  mkdir -p "$W/$b"; ln -s ../rootfs "$W/$b/rootfs"
done
(cd "$W/ordinary" && "$RUNE" spec)
jq '.process.terminal=false | .process.args=["/bin/true"]' "$W/ordinary/config.json" > "$W/c" && mv "$W/c" "$W/ordinary/config.json"
(cd "$W/enclave" && "$RUNE" spec --enclave --pal "$PAL")
jq '.process.args=["/bin/true"] | .process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=quiet" else . end)' \
  "$W/enclave/config.json" > "$W/c" && mv "$W/c" "$W/enclave/config.json"

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
one_run() { # one_run BUNDLE -> microseconds
  local t0 t1
  t0=$(now_us)
  "$RUNE" --root "$W/state" run --bundle "$W/$1" "$1" </dev/null >/dev/null 2>&1 || echo "# $1 run failed" >&2
  t1=$(now_us); echo $((t1 - t0))
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) printf "%.2f", a[(NR+1)/2]/1000; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2000}'; }

for b in ordinary enclave; do one_run $b >/dev/null; done   # warm-up
echo "# N=$N per kind per round, $ROUNDS rounds, alternating; kernel $(uname -r), $(nproc) cpus"
for r in $(seq "$ROUNDS"); do
  for i in $(seq "$N"); do for b in ordinary enclave; do one_run $b >> "$W/run-$b"; done; done
  echo "round $r run:  ordinary $(tail -n "$N" "$W/run-ordinary" | median) ms  enclave $(tail -n "$N" "$W/run-enclave" | median) ms"
done
o=$(median < "$W/run-ordinary"); e=$(median < "$W/run-enclave")
echo
printf '%-10s %10s\n' kind "run ms"
printf '%-10s %10s\n' ordinary "$o" enclave "$e"
echo "enclave/ordinary = $(awk -v a="$e" -v b="$o" 'BEGIN{printf "%.2f", a/b}')  (medians over $((N*ROUNDS)) samples each)"
