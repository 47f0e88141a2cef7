#!/bin/bash
# sgx-tools against aesm-sim and a sim enclave container: Inclavare's flow, offline.
#   1. aesm-sim listens (Intel's AESM protocol, answered by the sim TEE in $W/sim);
#   2. gen-qe-target-info: the quoting enclave's TARGETINFO;
#   3. a sim enclave container; `rune attest --report --target-info` makes its REPORT for the QE;
#   4. gen-quote --nonce: the quote, and the QE's REPORT binding the nonce and the quote;
#   5. verify-quote: trusted under the sim root, with the report data liberpal-sim puts in its
#      REPORTs (SHA-256 of the TARGETINFO, zero-padded); without trusting the sim root: rejected;
#   6. dump: the quote's fields.
# Usage (as root): bash scripts/sgx-tools-demo.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "${1:?usage: sgx-tools-demo.sh BUILD_DIR}")
RUNE=$BUILD/cmd/rune/rune PAL=$BUILD/runtimes/liberpal-sim.so
SGX_TOOLS=$BUILD/cmd/sgx-tools/sgx-tools AESM_SIM=$BUILD/cmd/aesm-sim/aesm-sim
[ "$(id -u)" = 0 ] || { echo "sgx-tools-demo: run as root (containers need it)" >&2; exit 1; }
W=$(mktemp -d /tmp/sgx-tools-demo.XXXXXX)
R() { "$RUNE" --root "$W/state" "$@"; }
trap 'R delete -f sgxdemo >/dev/null 2>&1; kill $sim 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
run() { echo "\$ $*" | sed "s#$W#\$W#g; s#$BUILD/[a-z/-]*/##g" >&2; "$@"; }

echo "# 1. aesm-sim on $W/aesm.socket"
"$AESM_SIM" --socket "$W/aesm.socket" --state "$W/sim" >"$W/aesm.out" 2>"$W/aesm.log" & sim=$!
for _ in $(seq 100); do grep -q '^listening on' "$W/aesm.out" && break; sleep 0.05; done
cat "$W/aesm.out"
T() { run "$SGX_TOOLS" --aesm-socket "$W/aesm.socket" "$@"; }

echo "# 2. the quoting enclave's TARGETINFO"
(cd "$W" && T gen-qe-target-info --targetinfo qe_ti.bin)

echo "# 3. a sim enclave container and its REPORT for the quoting enclave"
mkdir -p "$W/b/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$W/b/rootfs/bin/busybox"
chroot "$W/b/rootfs" /bin/busybox --install -s /bin
(cd "$W/b" && "$RUNE" spec --enclave --pal "$PAL")
jq '.process.args=["sleep","300"] | .process.terminal=false' "$W/b/config.json" >"$W/c.json"
mv "$W/c.json" "$W/b/config.json"
R run -d --bundle "$W/b" sgxdemo </dev/null 2>/dev/null
run R attest --report --target-info "$W/qe_ti.bin" --output "$W/report.bin" sgxdemo | jq -c '{mrenclave, report_data}'

echo "# 4. the quote, with the QE's REPORT bound to a fresh nonce"
nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(cd "$W" && T gen-quote --report report.bin --nonce "$nonce" --quote quote.bin)

echo "# 5. offline verification (no socket): under the sim root, then without trusting it"
rd=$(sha256sum "$W/qe_ti.bin" | cut -d' ' -f1)
(cd "$W" && T verify-quote --quote quote.bin --trust-sim-root "$W/sim" --report-data "$rd")
set +e
(cd "$W" && T verify-quote --quote quote.bin --collateral "$W/sim/collateral.json" --report-data "$rd")
rc=$?
set -e
echo "(exit $rc: the sim root is not Intel's)"
[ $rc = 1 ]

echo "# 6. the quote's fields"
(cd "$W" && T dump quote.bin) | head -24
echo "..."
