#!/bin/bash
# sgx-tools verify-quote in batch vs in process, on one core, best of 3 (bench/README.md):
#   inproc  N verifications of signal-cdsi at 1785432688 with sgx_ecdsa and a shared
#           CollateralCache, in one process (bench/sgx_verify_inproc, the quote read once);
#   batch   one `sgx-tools verify-quote --quotes-from LIST` process over the same N quotes (the
#           list names the file N times), start included, stdout to /dev/null;
#   single  one whole `sgx-tools verify-quote --quote` process, in ms (best and median of 21).
# The goal: batch throughput >= 0.9 x inproc.
# Usage: bash bench/sgx_tools.sh BUILD_DIR [N=10000]
set -euo pipefail
BUILD=$(realpath "${1:?usage: sgx_tools.sh BUILD_DIR [N]}")
N=${2:-10000}
V=$(realpath "$(dirname "$0")/../../shared/vectors")
W=$(mktemp -d /tmp/sgx-tools-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
TOOLS=$BUILD/cmd/sgx-tools/sgx-tools INPROC=$BUILD/bench/sgx_verify_inproc
AT=1785432688 Q=$V/sgx/signal-cdsi/quote.bin
jq -n --arg d "$V/sgx/signal-cdsi" '{root_ca:($d+"/intel_sgx_root_ca.pem"), pck_crl:($d+"/pck_crl.der"),
  pck_crl_issuer_chain:($d+"/pck_crl_issuer_chain.pem"), root_ca_crl:($d+"/root_ca_crl.der"),
  tcb_info:($d+"/tcb_info.json"), tcb_info_issuer_chain:($d+"/tcb_info_issuer_chain.pem"),
  qe_identity:($d+"/qe_identity.json"), qe_identity_issuer_chain:($d+"/qe_identity_issuer_chain.pem")}' >"$W/col.json"
for _ in $(seq "$N"); do echo "$Q"; done >"$W/list"
ONE="taskset -c 0"
now() { date +%s.%N; }

best_inproc=999999 best_batch=999999
for round in 1 2 3; do
  s=$($ONE "$INPROC" "$Q" "$W/col.json" $AT "$N")
  t0=$(now)
  $ONE "$TOOLS" verify-quote --quotes-from "$W/list" --collateral "$W/col.json" --at $AT >/dev/null || true
  b=$(awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }')
  # Every line trusted: the batch exits 0.
  $ONE "$TOOLS" verify-quote --quotes-from <(head -3 "$W/list") --collateral "$W/col.json" --at $AT >/dev/null \
    || { echo "the batch did not trust the quote" >&2; exit 1; }
  printf 'round %d: inproc %.3f s, batch %.3f s\n' "$round" "$s" "$b"
  best_inproc=$(awk -v a="$s" -v b="$best_inproc" 'BEGIN { print (a < b ? a : b) }')
  best_batch=$(awk -v a="$b" -v b="$best_batch" 'BEGIN { print (a < b ? a : b) }')
done
singles=()
for _ in $(seq 21); do
  t0=$(now)
  $ONE "$TOOLS" verify-quote --quote "$Q" --collateral "$W/col.json" --at $AT >/dev/null
  singles+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { print (a - b) * 1000 }')")
done
sorted=$(printf '%s\n' "${singles[@]}" | sort -g)
printf 'N=%d, one core, best of 3\n' "$N"
printf 'inproc sgx_ecdsa + CollateralCache: %.3f s  (%.0f verifications/s)\n' "$best_inproc" "$(awk -v n="$N" -v t="$best_inproc" 'BEGIN { print n / t }')"
printf 'sgx-tools verify-quote --quotes-from: %.3f s  (%.0f verifications/s, start included)\n' "$best_batch" "$(awk -v n="$N" -v t="$best_batch" 'BEGIN { print n / t }')"
printf 'batch / inproc throughput: %.3f (goal >= 0.9)\n' "$(awk -v a="$best_inproc" -v b="$best_batch" 'BEGIN { print a / b }')"
printf 'one whole verify-quote process: best %.2f ms, median %.2f ms, p90 %.2f ms (21 runs)\n' \
  "$(sed -n 1p <<<"$sorted")" "$(sed -n 11p <<<"$sorted")" "$(sed -n 19p <<<"$sorted")"
