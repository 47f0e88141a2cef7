#!/bin/bash
# containerd-shim-rune-v2 against containerd-shim-runc-v2 on one private containerd
# (tests/e2e/containerd/harness.sh, with the hybrid-cgroup fix for crun): `ctr run --rm IMAGE ID
# /bin/true`, N samples x ROUNDS rounds after a warm-up, the four stacks alternating in a new
# random order each sample:
#   rune-shim+rune   rune-shim+crun   runc-shim+crun   runc-shim+runc
# Prints per-round medians, overall medians and 90th percentiles, ratios to runc-shim+crun, each
# shim daemon's VmRSS with one `sleep` container, and a per-phase timeline of one run from
# `ctr events` (ms after ctr was started). Needs root.
#   SHIM_DIR=<dir of the shim> RUNE=<rune> PAL=<liberpal-sim.so> bash bench/shim.sh [N=30] [ROUNDS=3]
set -u
N=${1:-30}; ROUNDS=${2:-3}
RUNE=$(realpath "${RUNE:?set RUNE to the rune binary}")
. "$(dirname "$0")/../tests/e2e/containerd/harness.sh"
trap 'harness_stop' EXIT
trap 'exit 130' INT TERM
command -v crun >/dev/null || { echo "crun is required (scripts/install-deps.sh)" >&2; exit 2; }
harness_start || exit 1
harness_hybrid_fix
[ ${#HYBRID_FIXED[@]} -gt 0 ] && echo "# hybrid-cgroup fix for crun: [${HYBRID_FIXED[*]}] mounted as v1 for this run"
cfg_of() { shim_config "$1" "[shim]
runtime = \"$2\"
rune = \"$RUNE\"
root = \"$WORK/rt\""; }
CFG_RUNE=$(cfg_of rune "$RUNE")
CFG_CRUN=$(cfg_of crun crun)
STACKS=(rune-shim+rune rune-shim+crun runc-shim+crun runc-shim+runc)
args_of() {
  case $1 in
    rune-shim+rune) echo "--runtime io.containerd.rune.v2 --runtime-config-path $CFG_RUNE" ;;
    rune-shim+crun) echo "--runtime io.containerd.rune.v2 --runtime-config-path $CFG_CRUN" ;;
    runc-shim+crun) echo "--runtime io.containerd.runc.v2 --runc-binary $(command -v crun)" ;;
    runc-shim+runc) echo "--runtime io.containerd.runc.v2 --runc-binary $(command -v runc)" ;;
  esac
}
seq_no=0
one() { # one STACK: ms of one ctr run --rm, or fails
  local t0 t1 id
  seq_no=$((seq_no + 1)); id=b$seq_no
  t0=$EPOCHREALTIME
  C run --rm --fifo-dir "$WORK/fifo" $(args_of "$1") "$IMG" "$id" /bin/true >/dev/null 2>"$WORK/err" || {
    echo "bench: $1 failed: $(cat "$WORK/err")" >&2; return 1; }
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}
for s in "${STACKS[@]}"; do for i in 1 2 3; do one "$s" >/dev/null || exit 1; done; done # warm-up
declare -A ALL=()
stats() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; p = v[int(NR * 0.9 + 0.999)]; printf "%.2f %.2f\n", m, p }'; }
for r in $(seq "$ROUNDS"); do
  declare -A R=()
  for i in $(seq "$N"); do
    for s in $(printf '%s\n' "${STACKS[@]}" | shuf); do
      ms=$(one "$s") || exit 1
      R[$s]+="$ms "; ALL[$s]+="$ms "
    done
  done
  line="round $r:"
  for s in "${STACKS[@]}"; do line+=" $s $(tr ' ' '\n' <<<"${R[$s]}" | grep . | stats | cut -d' ' -f1)"; done
  echo "$line ms (median)"
  unset R
done
ref=$(tr ' ' '\n' <<<"${ALL[runc-shim+crun]}" | grep . | stats)
ref_m=${ref% *}; ref_p=${ref#* }
printf '%-16s %10s %7s %10s %7s\n' stack "median ms" ratio "p90 ms" ratio
for s in "${STACKS[@]}"; do
  st=$(tr ' ' '\n' <<<"${ALL[$s]}" | grep . | stats)
  m=${st% *}; p=${st#* }
  printf '%-16s %10s %7s %10s %7s\n' "$s" "$m" "$(awk -v a="$m" -v b="$ref_m" 'BEGIN{printf "%.2f", a/b}')" \
    "$p" "$(awk -v a="$p" -v b="$ref_p" 'BEGIN{printf "%.2f", a/b}')"
done

# Memory: each shim's daemon with one sleeping container.
shim_rss() { # shim_rss STACK ID: VmRSS (KiB) of the shim serving ID
  C run -d --fifo-dir "$WORK/fifo" $(args_of "$1") "$IMG" "$2" sleep 1000 >/dev/null || return 1
  sleep 1
  local pid; pid=$(pgrep -f "containerd-shim-.*-namespace $NS .*-id $2 " | head -1)
  awk '/^VmRSS/ {print $2}' "/proc/$pid/status"
  C tasks kill -s KILL "$2" >/dev/null; sleep 0.3; C tasks delete "$2" >/dev/null 2>&1; C containers rm "$2" >/dev/null
}
rss_rune=$(shim_rss rune-shim+rune rss-rune); rss_runc=$(shim_rss runc-shim+runc rss-runc)
echo "shim daemon VmRSS with one sleep container: containerd-shim-rune-v2 ${rss_rune} KiB," \
  "containerd-shim-runc-v2 ${rss_runc} KiB, ratio $(awk -v a="$rss_rune" -v b="$rss_runc" 'BEGIN{printf "%.2f", a/b}')"

# Timeline of one run per shim, from ctr events (ms after ctr started).
timeline() { # timeline STACK ID
  C events >"$WORK/ev.$2" 2>/dev/null & local ep=$!
  sleep 0.3
  local t0; t0=$(date +%s%N)
  C run --rm --fifo-dir "$WORK/fifo" $(args_of "$1") "$IMG" "$2" /bin/true >/dev/null
  local t1; t1=$(date +%s%N)
  sleep 0.3; kill $ep; wait $ep 2>/dev/null
  local line="$1:"
  while read -r d t _ _ _ topic _; do
    case $topic in /tasks/*|/containers/*|/snapshot/*) ;; *) continue ;; esac
    local ns; ns=$(date -d "$d $t UTC" +%s%N)
    line+=" $topic=$(( (ns - t0) / 1000000 ))"
  done < <(grep -E ' /(tasks|containers|snapshot)/' "$WORK/ev.$2")
  echo "$line ctr-exit=$(( (t1 - t0) / 1000000 ))"
}
echo "timeline (ms after ctr started):"
timeline rune-shim+rune tl-rune
timeline runc-shim+crun tl-runc
