#!/bin/bash
# Opt-in fuzzing of every parser of untrusted attestation input (fuzz/): installs clang 16 and
# its libFuzzer runtime (clang 14 cannot compile libstdc++ 12's std::views), builds the targets
# with ASan+UBSan, seeds each corpus from ../shared/vectors and runs each target for
# FUZZ_SECONDS (default 600). Prints the executions per target; exits non-zero on a crash.
# Usage: bash scripts/fuzz.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-600}
BUILD=${FUZZ_BUILD:-build-fuzz}
VECTORS=${VECTORS:-$(cd .. && pwd)/shared/vectors}

need=()
for p in clang-16 libclang-rt-16-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash scripts/install-deps.sh

CC=clang-16 CXX=clang++-16 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRUNE_FUZZ=ON -DRUNE_BUILD_TESTS=OFF -DRUNE_OCI_VALIDATION=OFF >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
fi
cmake --build "$BUILD" --target "${targets[@]}"

# Seeds: the real evidence and collateral, by the kind of input each target reads.
seed() { # seed TARGET FILE...
  mkdir -p "$BUILD/corpus/$1"
  shift_target=$1; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$BUILD/corpus/$shift_target/$(echo "$f" | md5sum | cut -c1-12)"; done
  return 0
}
seed fuzz_intel_quote "$VECTORS"/sgx/*/quote.* "$VECTORS"/sgx/occlum-trustee/occlum_quote.dat \
  "$VECTORS"/tdx/*/quote.bin "$VECTORS"/tdx/go-tdx-guest/*.dat
seed fuzz_snp_report "$VECTORS"/snp/*/*.bin
seed fuzz_tcb_info "$VECTORS"/*/*/tcb_info.json "$VECTORS"/sgx/*/tcbInfo.json \
  "$VECTORS"/tdx/go-tdx-guest/sample_tcb*
seed fuzz_qe_identity "$VECTORS"/*/*/qe_identity.json "$VECTORS"/sgx/*/qeIdentity.json \
  "$VECTORS"/tdx/go-tdx-guest/sample_qeIdentity_response
seed fuzz_pck_cert "$VECTORS"/*/*/*.pem "$VECTORS"/snp/*/*.der
seed fuzz_crl "$VECTORS"/*/*/*crl* "$VECTORS"/sgx/*/*Crl.pem "$VECTORS"/tdx/go-tdx-guest/pckcrl
# PEM chains: the real PEM files; the type-5 chains cut out of the quotes (first BEGIN to last END);
# and each of those joined (no newline between the certificates, as 2020-21 quotes carry them),
# with CRLF lines, and joined and NUL-ended.
seed fuzz_pem_chain "$VECTORS"/*/*/*.pem "$VECTORS"/tdx/*.pem
for q in "$VECTORS"/sgx/*/quote.* "$VECTORS"/sgx/occlum-trustee/occlum_quote.dat \
  "$VECTORS"/tdx/*/quote.bin "$VECTORS"/tdx/go-tdx-guest/*.dat; do
  [ -f "$q" ] || continue
  first=$(grep -abo -e '-----BEGIN CERTIFICATE-----' "$q" | head -1 | cut -d: -f1 || true)
  last=$(grep -abo -e '-----END CERTIFICATE-----' "$q" | tail -1 | cut -d: -f1 || true)
  [ -n "$first" ] && [ -n "$last" ] || continue
  chain=$BUILD/corpus/fuzz_pem_chain/chain-$(echo "$q" | md5sum | cut -c1-12)
  { tail -c +$((first + 1)) "$q" | head -c $((last + 25 - first)); echo; } > "$chain"
  sed -z 's/-----END CERTIFICATE-----\n-----BEGIN/-----END CERTIFICATE----------BEGIN/g' "$chain" > "$chain-joined"
  sed 's/$/\r/' "$chain" > "$chain-crlf"
  { head -c -1 "$chain-joined"; printf '\0'; } > "$chain-joined-nul"
done
# DICE CBOR values and certificates carrying them, made by the Rats-TLS tests' encoder are not on
# disk; the real certificates and quotes give the DER and byte-string structure to start from.
seed fuzz_rats_tls_evidence "$VECTORS"/snp/*/*.der "$VECTORS"/sgx/signal-cdsi/quote.bin
# tag 60000 [h'00', {"pubkey-hash": h'<[1, h'00'*32]>'}]
{ printf '\xd9\xea\x60\x82\x41\x00\x58\x33\xa1\x6bpubkey-hash\x58\x24\x82\x01\x58\x20'
  head -c 32 /dev/zero; } > "$BUILD/corpus/fuzz_rats_tls_evidence/dice-seed"

status=0
printf '%-26s %12s %10s %s\n' target executions seconds result
for t in "${targets[@]}"; do
  log=$BUILD/$t.log
  mkdir -p "$BUILD/corpus/$t"
  if "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 \
       -artifact_prefix="$BUILD/$t-" "$BUILD/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log)"; status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  printf '%-26s %12s %10s %s\n' "$t" "$execs" "$SECONDS_EACH" "$result"
done
exit $status
