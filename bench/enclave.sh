#!/bin/bash
# bench/enclave.sh [RUNE] [PAL] [N=50] [ROUNDS=3]
#
# Enclave-container start next to an ordinary container, same busybox-static rootfs, same rune,
# alternating sample by sample in one run:
#   ordinary : `rune run` of /bin/true
#   enclave  : `rune run` of /bin/true inside liberpal-sim (bind-mounted read-only, as
#              `rune spec --enclave` does): dlopen + pal_init + create_process (copy, hash and
#              seal the binary) + pal_exec + pal_destroy on top of the ordinary path
#   *-tiny   : the same two with a 9 KB static workload instead of busybox (x86_64, needs cc):
#              what an enclave start adds besides copying and hashing a 1.9 MB binary
# Prints per-round and overall medians (ms), p90, and the ratios enclave/ordinary. Needs root.
set -u
RUNE=$(realpath "${1:-build/cmd/rune/rune}")
PAL=$(realpath "${2:-build/runtimes/liberpal-sim.so}")
N=${3:-50}; ROUNDS=${4:-3}
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
W=$(mktemp -d /var/tmp/rune-bench-enclave.XXXXXX)
trap 'for b in ordinary enclave ordinary-tiny enclave-tiny; do "$RUNE" --root "$W/state" delete -f $b >/dev/null 2>&1; done; rm -rf "$W"' EXIT
mkdir -p "$W/rootfs"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$W/rootfs/bin/busybox"
chroot "$W/rootfs" /bin/busybox --install -s /bin
KINDS=(ordinary enclave)
# A workload of a few KB (exit(0) by system call, no libc): the enclave start without the
# per-byte work of the sim TEE (copy into a sealed memfd, SHA-256).
if [ "$(uname -m)" = x86_64 ] && command -v cc >/dev/null; then
  printf 'void _start(void) { __asm__ volatile("mov $60, %%eax\\n xor %%edi, %%edi\\n syscall"); }\n' > "$W/tiny.c"
  cc -Os -static -nostdlib -fno-pie -no-pie -o "$W/rootfs/bin/tinytrue" "$W/tiny.c" && KINDS+=(ordinary-tiny enclave-tiny)
fi
for b in "${KINDS[@]}"; do
  mkdir -p "$W/$b"; ln -s ../rootfs "$W/$b/rootfs"
done
(cd "$W/ordinary" && "$RUNE" spec)
jq '.process.terminal=false | .process.args=["/bin/true"]' "$W/ordinary/config.json" > "$W/c" && mv "$W/c" "$W/ordinary/config.json"
(cd "$W/enclave" && "$RUNE" spec --enclave --pal "$PAL")
jq '.process.args=["/bin/true"] | .process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=quiet" else . end)' \
  "$W/enclave/config.json" > "$W/c" && mv "$W/c" "$W/enclave/config.json"
for b in ordinary enclave; do
  [ -d "$W/$b-tiny" ] && jq '.process.args=["/bin/tinytrue"]' "$W/$b/config.json" > "$W/$b-tiny/config.json"
done

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
one_run() { # one_run BUNDLE -> microseconds
  local t0 t1
  t0=$(now_us)
  "$RUNE" --root "$W/state" run --bundle "$W/$1" "$1" </dev/null >/dev/null 2>&1 || echo "# $1 run failed" >&2
  t1=$(now_us); echo $((t1 - t0))
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) printf "%.2f", a[(NR+1)/2]/1000; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2000}'; }
p90() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9); if (i<1) i=1; printf "%.2f", a[i]/1000}'; }

for b in "${KINDS[@]}"; do one_run $b >/dev/null; done   # warm-up
echo "# N=$N per kind per round, $ROUNDS rounds, alternating; kernel $(uname -r), $(nproc) cpus"
for r in $(seq "$ROUNDS"); do
  for i in $(seq "$N"); do for b in "${KINDS[@]}"; do one_run $b >> "$W/run-$b"; done; done
  line="round $r run:"
  for b in "${KINDS[@]}"; do line+="  $b $(tail -n "$N" "$W/run-$b" | median) ms"; done
  echo "$line"
done
echo
printf '%-14s %10s %10s\n' kind "run ms" "p90 ms"
declare -A MED
for b in "${KINDS[@]}"; do
  MED[$b]=$(median < "$W/run-$b")
  printf '%-14s %10s %10s\n' "$b" "${MED[$b]}" "$(p90 < "$W/run-$b")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "enclave/ordinary = $(ratio "${MED[enclave]}" "${MED[ordinary]}")  (medians over $((N*ROUNDS)) samples each)"
if [ -n "${MED[enclave-tiny]:-}" ]; then
  echo "enclave-tiny/ordinary-tiny = $(ratio "${MED[enclave-tiny]}" "${MED[ordinary-tiny]}")  (9 KB workload: no copy/hash of a large binary)"
fi
