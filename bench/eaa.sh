#!/bin/bash
# bench/eaa.sh [BUILD_DIR=build]   (or `make bench-eaa`)
#
# EAA on this host, in one run:
#  1. inclavared's relay against Debian's socat (`socat TCP-LISTEN:P,fork,reuseaddr TCP:UP`) on
#     the same upstream (bench/eaa_client.py: a sink and an echo on 127.0.0.1), single stream,
#     the two relays alternating pair by pair in a new random order each pair; the clock starts
#     after inclavared's preamble and after the upstream's greeting byte (so after socat's fork
#     and connect too):
#       bulk : BULK_MIB MiB client -> sink, half-close, the sink's byte count back: MB/s per run
#       rtt  : RTT_N round trips of MSG bytes through the echo (after 200 untimed): per round trip
#     plus one "direct" run of each (client to upstream, no relay), which shows whether the
#     client is the bottleneck. Goals: bulk inclavared >= 0.9 x socat, rtt <= 1.2 x socat, both
#     as the median of the ratios taken pair by pair.
#  2. Attestation of a sim enclave container running eaa-sample at unix:///rec/eaa.sock (set up
#     as tests/integration/eaa.sh does), ATTEST_N samples each, the four alternating in a new
#     random order each sample; every run must succeed and every verdict be "trusted":
#       rune-attest : rune attest --nonce N --sim-state-dir S ID
#       direct      : shelter attest straight to the workload's socket (no inclavared)
#       relay       : shelter attest through inclavared (unix listener), --container ID
#       broker      : the same with --mode broker (inclavared runs `rune attest`)
# Prints medians and 90th percentiles, ratios, and a summary with the goals met / not met.
# Needs root. The binaries are copied first (a rebuild during the run does not change them);
# each can be given instead: INCLAVARED RUNE SHELTER EAA_SAMPLE PAL SIM_QUOTE.
# RUNS=7 BULK_MIB=256 RTT_N=5000 MSG=64 ATTEST_N=15; SOCAT_OPTS adds options to socat (e.g. -b262144).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath "${1:-build}")
RUNS=${RUNS:-7} BULK_MIB=${BULK_MIB:-256} RTT_N=${RTT_N:-5000} MSG=${MSG:-64} ATTEST_N=${ATTEST_N:-15}
PY=${PYTHON:-python3}
CLIENT=$HERE/eaa_client.py
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
for t in socat jq sha256sum "$PY"; do command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 1; }; done
[ -x /bin/busybox ] || { echo "bench: busybox-static is required" >&2; exit 1; }
SIM_QUOTE=${SIM_QUOTE:-$(find "$BUILD" -name sim_quote -type f -perm -u+x 2>/dev/null | head -1)}
declare -A SRC=([inclavared]=${INCLAVARED:-$BUILD/cmd/inclavared/inclavared} [rune]=${RUNE:-$BUILD/cmd/rune/rune}
  [shelter]=${SHELTER:-$BUILD/cmd/shelter/shelter} [eaa-sample]=${EAA_SAMPLE:-$BUILD/cmd/eaa-sample/eaa-sample}
  [liberpal-sim.so]=${PAL:-$BUILD/runtimes/liberpal-sim.so} [sim_quote]=$SIM_QUOTE)
for b in "${!SRC[@]}"; do [ -f "${SRC[$b]}" ] || { echo "bench: $b not found (${SRC[$b]:-no path})" >&2; exit 1; }; done

W=$(mktemp -d /var/tmp/rune-bench-eaa.XXXXXX)
chmod 755 "$W"
ROOT=$W/state ID=eaa-bench-$$ PIDS=()
R() { "$W/bin/rune" --root "$ROOT" "$@"; }
cleanup() {
  local p
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ -x "$W/bin/rune" ]; then
    R delete -f "$ID" >/dev/null 2>&1
    rmdir /sys/fs/cgroup/*/"$ID" /sys/fs/cgroup/"$ID" 2>/dev/null
  fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM
die() { echo "bench: $*" >&2; exit 1; }

mkdir -p "$W/bin"
for b in "${!SRC[@]}"; do cp "${SRC[$b]}" "$W/bin/$b" || die "cannot copy ${SRC[$b]}"; done

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
# Over a column of numbers: median and 90th percentile (the nearest-rank one, as compare.sh).
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) printf "%.2f", a[(NR+1)/2]; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2}'; }
p90() { sort -g | awk '{a[NR]=$1} END {i=int(NR*0.9+0.999999); if (i<1) i=1; printf "%.2f", a[i]}'; }
p10() { sort -g | awk '{a[NR]=$1} END {i=int(NR*0.1+0.999999); if (i<1) i=1; printf "%.2f", a[i]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# pair_ratios A B: the ratios line by line of files A and B, one per line
pair_ratios() { paste "$1" "$2" | awk '{printf "%.4f\n", $1/$2}'; }
goal() { # goal VALUE OP LIMIT -> met / NOT met
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN{ok = (op == ">=") ? v >= l : v <= l; print ok ? "met" : "NOT met"}'; }

echo "# bench/eaa.sh: kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(socat -V | awk '/socat version/{print "socat " $3}')"

# ---- 1. relay: inclavared against socat ----
"$PY" "$CLIENT" upstream >"$W/up.out" 2>"$W/up.err" &
PIDS+=($!)
for i in $(seq 100); do grep -q '^ready' "$W/up.out" 2>/dev/null && break; sleep 0.05; done
read -r _ SINK ECHO <"$W/up.out" || die "the upstream did not start: $(cat "$W/up.err")"
printf '[route.sink]\naddress = "tcp://127.0.0.1:%s"\n[route.echo]\naddress = "tcp://127.0.0.1:%s"\n' "$SINK" "$ECHO" >"$W/routes.toml"
ST=$W/sim-state ICS=$W/inclavared.sock
"$W/bin/sim_quote" "$ST" 00 "$W/q.bin" >/dev/null || die "cannot make the sim state"
"$W/bin/inclavared" --listen tcp://127.0.0.1:0 --listen "unix://$ICS" --routes "$W/routes.toml" \
  --rune "$W/bin/rune" --rune-root "$ROOT" --sim-state-dir "$ST" >"$W/icd.out" 2>"$W/icd.log" &
PIDS+=($!)
for i in $(seq 100); do grep -q '^listening on' "$W/icd.out" 2>/dev/null && break; sleep 0.05; done
ICD_PORT=$(grep -oE 'tcp://127.0.0.1:[0-9]+' "$W/icd.out" | cut -d: -f3)
[ -n "$ICD_PORT" ] || die "inclavared did not start: $(cat "$W/icd.out" "$W/icd.log")"
read -r SOC_SINK SOC_ECHO < <("$PY" "$CLIENT" freeport 2)
# shellcheck disable=SC2086
socat ${SOCAT_OPTS:-} TCP-LISTEN:"$SOC_SINK",fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:"$SINK" 2>>"$W/socat.err" &
PIDS+=($!)
# shellcheck disable=SC2086
socat ${SOCAT_OPTS:-} TCP-LISTEN:"$SOC_ECHO",fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:"$ECHO" 2>>"$W/socat.err" &
PIDS+=($!)
for i in $(seq 100); do (: </dev/tcp/127.0.0.1/"$SOC_SINK") 2>/dev/null && (: </dev/tcp/127.0.0.1/"$SOC_ECHO") 2>/dev/null && break; sleep 0.05; done

# one_bulk PEER [MIB] -> MB/s; one_rtt PEER -> "median_us p90_us" (each round trip appended to $W/rtt-raw-PEER)
one_bulk() {
  local out
  case $1 in
    inclavared) out=$("$PY" "$CLIENT" bulk "$ICD_PORT" "${2:-$BULK_MIB}" sink) ;;
    socat) out=$("$PY" "$CLIENT" bulk "$SOC_SINK" "${2:-$BULK_MIB}") ;;
    direct) out=$("$PY" "$CLIENT" bulk "$SINK" "${2:-$BULK_MIB}") ;;
  esac || die "bulk through $1 failed: $(tail -3 "$W/icd.log" "$W/socat.err" 2>/dev/null)"
  echo "$out"
}
one_rtt() {
  local out
  case $1 in
    inclavared) out=$("$PY" "$CLIENT" rtt "$ICD_PORT" "$RTT_N" "$MSG" "$W/rtt-raw-$1" echo) ;;
    socat) out=$("$PY" "$CLIENT" rtt "$SOC_ECHO" "$RTT_N" "$MSG" "$W/rtt-raw-$1") ;;
    direct) out=$("$PY" "$CLIENT" rtt "$ECHO" "$RTT_N" "$MSG" "$W/rtt-raw-$1") ;;
  esac || die "rtt through $1 failed: $(tail -3 "$W/icd.log" "$W/socat.err" 2>/dev/null)"
  echo "$out"
}
for p in direct inclavared socat; do (one_bulk $p 32 && one_rtt $p) >/dev/null || exit 1; rm -f "$W/rtt-raw-$p"; done  # warm-up
echo
echo "## relay: $RUNS pairs, single stream; bulk $BULK_MIB MiB; rtt $RTT_N x $MSG B"
DIRECT_BULK=$(one_bulk direct) || exit 1
out=$(one_rtt direct) || exit 1
DIRECT_RTT=${out% *} DIRECT_RTT90=${out#* }
echo "direct (no relay): bulk $DIRECT_BULK MB/s, rtt median $DIRECT_RTT us, p90 $DIRECT_RTT90 us"
printf '%-5s %-12s %12s %12s %7s %12s %12s %12s %12s %7s\n' pair first "icd MB/s" "socat MB/s" ratio \
  "icd rtt us" "socat rtt" "icd p90" "socat p90" ratio
for i in $(seq "$RUNS"); do
  order=$(shuf -e inclavared socat | tr '\n' ' ')
  declare -A BK=() RT=()
  for p in $order; do BK[$p]=$(one_bulk "$p") || exit 1; done
  for p in $order; do RT[$p]=$(one_rtt "$p") || exit 1; done
  for p in inclavared socat; do
    echo "${BK[$p]}" >>"$W/bulk-$p"
    echo "${RT[$p]% *}" >>"$W/rttmed-$p"; echo "${RT[$p]#* }" >>"$W/rttp90-$p"
  done
  printf '%-5s %-12s %12s %12s %7s %12s %12s %12s %12s %7s\n' "$i" "${order%% *}" "${BK[inclavared]}" "${BK[socat]}" \
    "$(ratio "${BK[inclavared]}" "${BK[socat]}")" "${RT[inclavared]% *}" "${RT[socat]% *}" \
    "${RT[inclavared]#* }" "${RT[socat]#* }" "$(ratio "${RT[inclavared]% *}" "${RT[socat]% *}")"
done
declare -A BM BT RM R9
for p in inclavared socat; do
  BM[$p]=$(median <"$W/bulk-$p"); BT[$p]=$(p10 <"$W/bulk-$p")
  # over every round trip of every run, in microseconds
  RM[$p]=$(awk '{printf "%.3f\n", $1/1000}' "$W/rtt-raw-$p" | median)
  R9[$p]=$(awk '{printf "%.3f\n", $1/1000}' "$W/rtt-raw-$p" | p90)
done
BULK_PR=$(pair_ratios "$W/bulk-inclavared" "$W/bulk-socat" | median)
BULK_PR_SLOW=$(pair_ratios "$W/bulk-inclavared" "$W/bulk-socat" | p10)
RTT_PR=$(pair_ratios "$W/rttmed-inclavared" "$W/rttmed-socat" | median)
RTT_PR90=$(pair_ratios "$W/rttp90-inclavared" "$W/rttp90-socat" | median)
RTT_PR_WORST=$(pair_ratios "$W/rttmed-inclavared" "$W/rttmed-socat" | p90)
echo
printf '%-11s %10s %14s %12s %10s\n' relay "bulk MB/s" "slowest 10%" "rtt med us" "rtt p90"
for p in inclavared socat; do
  printf '%-11s %10s %14s %12s %10s\n' $p "${BM[$p]}" "${BT[$p]}" "${RM[$p]}" "${R9[$p]}"
done
printf '%-11s %10s %14s %12s %10s\n' direct "$DIRECT_BULK" - "$DIRECT_RTT" "$DIRECT_RTT90"
echo "# bulk: median MB/s over the runs, and the slowest run's (10th percentile: the run-time p90);"
echo "# rtt: median and p90 over all round trips of all runs (direct: its one run)"
FASTER=$(awk -v a="${BM[inclavared]}" -v b="${BM[socat]}" 'BEGIN{print (a > b) ? a : b}')
HEADROOM=$(ratio "$DIRECT_BULK" "$FASTER")
if awk -v h="$HEADROOM" 'BEGIN{exit !(h < 1.25)}'; then
  CLIENT_NOTE="NOTE: direct bulk is only $HEADROOM x the faster relay's: the Python client or upstream may be what limits the bulk numbers"
else
  CLIENT_NOTE="direct bulk is $HEADROOM x the faster relay's: the client and upstream are not what limits the relays"
fi
echo "# $CLIENT_NOTE"

# ---- 2. attestation of a sim enclave container ----
echo
echo "## attestation: sim enclave container running eaa-sample (unix:///rec/eaa.sock), $ATTEST_N samples each"
FS=$W/rootfs REC=$W/rec B=$W/bundle
mkdir -p "$FS"/{bin,proc,sys,dev,tmp,etc,root,sim,rec,opt/pal} "$REC" "$B"
{ cp /bin/busybox "$FS/bin/busybox" && chroot "$FS" /bin/busybox --install -s /bin; } || die "busybox rootfs"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$FS/etc/passwd"; printf 'root:x:0:\n' >"$FS/etc/group"
cp "$W/bin/eaa-sample" "$FS/bin/eaa-sample"
for lib in $(ldd "$W/bin/eaa-sample" | grep -oE '/[^ ]+'); do cp --parents -L "$lib" "$FS/"; done
ln -s ../rootfs "$B/rootfs"
(cd "$B" && R spec) || die "rune spec"
jq --arg rec "$REC" --arg pal "$W/bin/liberpal-sim.so" --arg st "$ST" \
  '.process.terminal = false | .root.readonly = false
   | .process.args = ["/bin/eaa-sample", "--listen", "unix:///rec/eaa.sock", "--sim-state-dir", "/sim"]
   | .process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so","ENCLAVE_RUNTIME_ARGS=measurement-log=/rec/measurements.log"]
   | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]},
                 {"destination":"/sim","type":"bind","source":$st,"options":["rbind","ro"]},
                 {"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]
   | .annotations["enclave.attestation.address"] = "unix:///rec/eaa.sock"' "$B/config.json" >"$W/c.json" ||
  die "config.json"
mv "$W/c.json" "$B/config.json"
# The container's stdio is a file: it must not hold this script's output open.
R run -d --bundle "$B" "$ID" </dev/null >"$W/ctr.out" 2>&1 || die "rune run: $(cat "$W/ctr.out")"
for i in $(seq 200); do [ -S "$REC/eaa.sock" ] && break; sleep 0.05; done
[ -S "$REC/eaa.sock" ] || die "eaa-sample has no socket: $(cat "$W/ctr.out")"
M=$(sha256sum "$REC/measurements.log" | cut -d' ' -f1)
printf '{"trust_sim_root": true, "sgx": {"mrenclave": "%s"}}' "$M" >"$W/policy.json"

KINDS=(rune-attest direct relay broker)
# one_attest KIND -> microseconds; the command's output is checked after the clock stops
one_attest() {
  local k=$1 t0 t1 rc nonce
  nonce=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  t0=$(now_us)
  case $k in
    rune-attest) R attest --nonce "$nonce" --sim-state-dir "$ST" "$ID" >"$W/a.out" 2>"$W/a.err" ;;
    direct) "$W/bin/shelter" attest --addr "unix://$REC/eaa.sock" --policy "$W/policy.json" --sim-state-dir "$ST" >"$W/a.out" 2>"$W/a.err" ;;
    relay) "$W/bin/shelter" attest --addr "unix://$ICS" --container "$ID" --policy "$W/policy.json" --sim-state-dir "$ST" >"$W/a.out" 2>"$W/a.err" ;;
    broker) "$W/bin/shelter" attest --addr "unix://$ICS" --container "$ID" --mode broker --policy "$W/policy.json" --sim-state-dir "$ST" >"$W/a.out" 2>"$W/a.err" ;;
  esac
  rc=$?
  t1=$(now_us)
  [ $rc = 0 ] || die "$k: exit $rc: $(cat "$W/a.out" "$W/a.err")"
  if [ "$k" = rune-attest ]; then
    jq -e '(.evidence | type == "string") and (.evidence | length > 0)' "$W/a.out" >/dev/null ||
      die "$k printed no evidence: $(head -c 400 "$W/a.out")"
  else
    [ "$(jq -r .verdict "$W/a.out" 2>/dev/null)" = trusted ] || die "$k: verdict not trusted: $(cat "$W/a.out" "$W/a.err")"
    [ "$(jq -r .claims.mrenclave "$W/a.out")" = "$M" ] || die "$k: mrenclave: $(cat "$W/a.out")"
  fi
  echo $((t1 - t0))
}
for k in "${KINDS[@]}"; do one_attest "$k" >/dev/null || exit 1; done  # warm-up (checked too)
for i in $(seq "$ATTEST_N"); do
  for k in $(shuf -e "${KINDS[@]}"); do
    us=$(one_attest "$k") || exit 1
    awk -v u="$us" 'BEGIN{printf "%.2f\n", u/1000}' >>"$W/att-$k"
  done
done
declare -A AM A9
printf '%-12s %10s %10s %20s\n' kind "median ms" "p90 ms" "pairwise ratio"
for k in "${KINDS[@]}"; do AM[$k]=$(median <"$W/att-$k"); A9[$k]=$(p90 <"$W/att-$k"); done
REL_PR=$(pair_ratios "$W/att-relay" "$W/att-direct" | median)
BRO_PR=$(pair_ratios "$W/att-broker" "$W/att-rune-attest" | median)
printf '%-12s %10s %10s %20s\n' rune-attest "${AM[rune-attest]}" "${A9[rune-attest]}" -
printf '%-12s %10s %10s %20s\n' direct "${AM[direct]}" "${A9[direct]}" -
printf '%-12s %10s %10s %20s\n' relay "${AM[relay]}" "${A9[relay]}" "$REL_PR x direct"
printf '%-12s %10s %10s %20s\n' broker "${AM[broker]}" "${A9[broker]}" "$BRO_PR x rune-attest"
echo "# every run exited 0; every shelter verdict was \"trusted\" with the measurement log's MRENCLAVE"
echo "# (rune attest printed evidence); pairwise ratio: median of the ratios of samples taken in the same round"

# ---- summary ----
BULK_GOAL=$(goal "$BULK_PR" ">=" 0.9) RTT_GOAL=$(goal "$RTT_PR" "<=" 1.2)
echo
echo "==== summary (bench/eaa.sh, $(date -u +%Y-%m-%dT%H:%MZ), load at end $(cut -d' ' -f1-3 /proc/loadavg)) ===="
echo "relay, bulk $BULK_MIB MiB, $RUNS pairs (MB/s, median / slowest 10%):"
echo "  inclavared ${BM[inclavared]} / ${BT[inclavared]}   socat ${BM[socat]} / ${BT[socat]}   direct $DIRECT_BULK (one run)"
echo "  inclavared/socat pair by pair: median $BULK_PR (worst 10%: $BULK_PR_SLOW), ratio of medians $(ratio "${BM[inclavared]}" "${BM[socat]}")"
echo "  goal inclavared >= 0.9 x socat: $BULK_GOAL"
echo "  $CLIENT_NOTE"
echo "relay, rtt $RTT_N x $MSG B x $RUNS runs (us per round trip, median / p90 over all round trips):"
echo "  inclavared ${RM[inclavared]} / ${R9[inclavared]}   socat ${RM[socat]} / ${R9[socat]}   direct $DIRECT_RTT / $DIRECT_RTT90 (one run)"
echo "  inclavared/socat pair by pair: median of run medians $RTT_PR (worst 10%: $RTT_PR_WORST), of run p90s $RTT_PR90"
echo "  goal inclavared <= 1.2 x socat: $RTT_GOAL"

echo "attestation, $ATTEST_N samples each (ms, median / p90), all trusted:"
for k in "${KINDS[@]}"; do printf '  %-12s %8s / %s\n' "$k" "${AM[$k]}" "${A9[$k]}"; done
echo "  relay/direct pair by pair $REL_PR; broker/rune-attest pair by pair $BRO_PR"
