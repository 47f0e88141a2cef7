#!/bin/bash
# EAA end to end on the sim TEE: an enclave container (rune + liberpal-sim) runs eaa-sample, which
# attests with its enclave's own REPORT through liberpal-sim's attestation channel, its sim state
# bind-mounted read-only; `shelter attest` from the host checks it over the socket the container
# listens on (relay mode, direct: inclavared comes later).
# Usage: RUNE=… PAL_DIR=… EAA_SAMPLE=… SHELTER=… SIM_QUOTE=… bash tests/integration/eaa.sh
. "$(dirname "$0")/lib.sh"
EAA_SAMPLE=${EAA_SAMPLE:?set EAA_SAMPLE} SHELTER=${SHELTER:?set SHELTER} SIM_QUOTE=${SIM_QUOTE:?set SIM_QUOTE}
PAL_DIR=${PAL_DIR:?set PAL_DIR}
ST=$WORK/sim-state REC=$WORK/rec

# The sim state, made once on the host (the workload only reads it).
"$SIM_QUOTE" "$ST" 00 "$WORK/q.bin" >/dev/null || { echo "cannot make the sim state" >&2; exit 1; }

# eabundle NAME ARGS...: a sim enclave container running eaa-sample ARGS, with its libraries.
eabundle() {
  local name=$1; shift
  bundle "$name" || return 1
  rm -rf "$REC"; mkdir -p "$REC" "$B/rootfs/sim" "$B/rootfs/opt/pal"
  cp "$EAA_SAMPLE" "$B/rootfs/bin/eaa-sample"
  local lib; for lib in $(ldd "$EAA_SAMPLE" | grep -oE '/[^ ]+'); do cp --parents -L "$lib" "$B/rootfs/"; done
  local argv; argv=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  cfg --arg rec "$REC" --arg pal "$PAL_DIR/liberpal-sim.so" --arg st "$ST" --argjson argv "$argv" \
    '.process.args = ["/bin/eaa-sample"] + $argv
     | .process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so","ENCLAVE_RUNTIME_ARGS=measurement-log=/rec/measurements.log"]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]},
                   {"destination":"/sim","type":"bind","source":$st,"options":["rbind","ro"]},
                   {"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]'
}
wait_socket() { local i; for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }

t_shelter_trusts_the_enclaves_own_evidence() {
  eabundle eaa1 --listen unix:///rec/eaa.sock --sim-state-dir /sim || return 1
  R run -d --bundle "$B" eaa1 >/dev/null 2>"$WORK/err" || fail "run: $(cat "$WORK/err")" || return 1
  wait_socket "$REC/eaa.sock" || fail "no socket: $(cat "$WORK/err")" || return 1
  local m; m=$(sha256sum "$REC/measurements.log" | cut -d' ' -f1)
  printf '{"trust_sim_root": true, "sgx": {"mrenclave": "%s"}}' "$m" >"$WORK/policy.json"
  "$SHELTER" attest --addr "unix://$REC/eaa.sock" --policy "$WORK/policy.json" --sim-state-dir "$ST" \
    >"$WORK/v.json" 2>"$WORK/err" || fail "not trusted: $(cat "$WORK/v.json" "$WORK/err")" || return 1
  [ "$(jq -r .verdict "$WORK/v.json")" = trusted ] || fail "verdict: $(cat "$WORK/v.json")" || return 1
  [ "$(jq -r .origin "$WORK/v.json")" = enclave ] || fail "origin: $(cat "$WORK/v.json")" || return 1
  [ "$(jq -r .claims.mrenclave "$WORK/v.json")" = "$m" ] || fail "mrenclave: $(cat "$WORK/v.json")" || return 1
  # Another measurement in the policy: rejected, naming both values; exit 1.
  local other; other=$(printf '%064d' 7)
  printf '{"trust_sim_root": true, "sgx": {"mrenclave": "%s"}}' "$other" >"$WORK/wrong.json"
  "$SHELTER" attest --addr "unix://$REC/eaa.sock" --policy "$WORK/wrong.json" --sim-state-dir "$ST" \
    >"$WORK/v.json" 2>"$WORK/err"
  [ $? = 1 ] || fail "exit code for a wrong measurement: $(cat "$WORK/v.json" "$WORK/err")" || return 1
  [ "$(jq -r .verdict "$WORK/v.json")" = rejected ] || fail "verdict: $(cat "$WORK/v.json")" || return 1
  grep -q "$m" "$WORK/v.json" && grep -q "$other" "$WORK/v.json" || fail "both values not named: $(cat "$WORK/v.json")" || return 1
  # A policy that does not trust the sim root: rejected.
  printf '{}' >"$WORK/default.json"
  "$SHELTER" attest --addr "unix://$REC/eaa.sock" --policy "$WORK/default.json" --sim-state-dir "$ST" \
    >"$WORK/v.json" 2>"$WORK/err" && fail "trusted without trusting the sim root" || true
  [ "$(jq -r .verdict "$WORK/v.json")" = rejected ] || fail "verdict: $(cat "$WORK/v.json" "$WORK/err")" || return 1
  R delete -f eaa1 || return 1
  assert_no_leftovers eaa1
}

t_unreachable_and_bad_addresses_are_named() {
  printf '{"trust_sim_root": true}' >"$WORK/policy.json"
  refused "$WORK/none.sock" "$SHELTER" attest --addr "unix://$WORK/none.sock" --policy "$WORK/policy.json" || return 1
  refused "http://x" "$SHELTER" attest --addr "http://x" --policy "$WORK/policy.json" || return 1
  "$SHELTER" attest --addr "unix://$WORK/none.sock" --policy "$WORK/policy.json" >/dev/null 2>&1
  [ $? = 2 ] || fail "exit code of a transport failure"
}

run_tests
