#!/bin/bash
# The main job's last step: an enclave container on the sim TEE, end to end.
#   1. `rune spec --enclave` + a busybox-static rootfs, run as it is (the workload runs inside
#      liberpal-sim, confined by its seccomp filter);
#   2. the same bundle kept running, `rune exec` into it, `rune attest --report` for its report,
#      whose MRENCLAVE is checked against the runtime's measurement log;
#   3. `rune attest --nonce` for sim evidence bound to a fresh nonce, which `shelter verify`
#      (given as a third argument) trusts under a policy that trusts the sim root.
set -euo pipefail
RUNE=$(realpath "${1:?usage: demo.sh RUNE PAL}")
PAL=$(realpath "${2:?usage: demo.sh RUNE PAL [SHELTER]}")
SHELTER=${3:-}
[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers need it)" >&2; exit 1; }
B=$(mktemp -d /tmp/rune-demo.XXXXXX)
ROOT=$B/state
R() { "$RUNE" --root "$ROOT" "$@"; }
trap 'R delete -f demo >/dev/null 2>&1; rm -rf "$B"' EXIT
mkdir -p "$B/rootfs"/{bin,proc,sys,dev,tmp,etc} "$B/log"
cp /bin/busybox "$B/rootfs/bin/busybox"
chroot "$B/rootfs" /bin/busybox --install -s /bin

echo "# rune spec --enclave --pal $PAL; rune run demo"
(cd "$B" && "$RUNE" spec --enclave --pal "$PAL")
(cd "$B" && R run demo </dev/null)

echo
echo "# the same container kept running, with the sim runtime's measurement log in $B/log"
jq --arg log "$B/log" '.process.args=["sh","-c","exec 0</log/hold; read x"]
    | .process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=measurement-log=/log/measurements.log,quiet" else . end)
    | .mounts += [{"destination":"/log","type":"bind","source":$log,"options":["rbind","rw"]}]' \
  "$B/config.json" > "$B/c.json" && mv "$B/c.json" "$B/config.json"
mkfifo "$B/log/hold"
R run -d --bundle "$B" demo </dev/null
echo "# rune exec demo sh -c 'echo ...'"
R exec demo sh -c 'echo "exec inside the enclave runtime: $(grep Seccomp: /proc/self/status)"'
echo "# rune attest demo"
R attest --report demo | jq -c '{mrenclave, mrsigner, debug, report_data}'
want=$(sha256sum "$B/log/measurements.log" | cut -d' ' -f1)
got=$(R attest --report demo | jq -r .mrenclave)
echo "# measurement log:"; sed 's/^/#   /' "$B/log/measurements.log"
if [ "$got" = "$want" ]; then echo "MRENCLAVE = sha256(measurement log) = $want"
else echo "MRENCLAVE $got does not match the measurement log ($want)" >&2; exit 1; fi
if [ -n "$SHELTER" ]; then
  nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "# rune attest --nonce $nonce demo  (sim evidence, the sim TEE's state in $B/sim)"
  R attest --nonce "$nonce" --sim-state-dir "$B/sim" --output "$B/evidence" demo \
    | jq -c '{tee, nonce_bound, mrenclave: .claims.mrenclave, report_data}'
  echo '{"trust_sim_root": true, "sgx": {"mrenclave": "'"$want"'"}}' >"$B/policy.json"
  echo "# shelter verify --tee sim --nonce $nonce (policy: the sim root and this MRENCLAVE)"
  "$SHELTER" verify --tee sim --evidence "$B/evidence" --nonce "$nonce" --sim-state-dir "$B/sim" \
    --policy "$B/policy.json" | jq -c '{verdict, tee, tcb_status, report_origin: .claims.report_origin}'
fi
R kill demo TERM
