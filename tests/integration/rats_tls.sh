#!/usr/bin/env bash
# Rats-TLS samples end to end with the sim TEE on both sides, mutual:
#   1. both trust the sim root: both print the peer's claims JSON, exit 0;
#   2. the client's policy does not trust the sim root: the client exits 1 saying that it sent the
#      `bad certificate` alert and why, the server says it received that alert, and the server
#      application receives no data;
#   3. --verify-at beyond the sim collateral's validity: rejected naming the expiry, no data;
#   4. a malformed --verify-at: exit 2 naming the flag.
# Environment: RATS_TLS_SERVER, RATS_TLS_CLIENT (paths of the sample binaries). Needs the `sim`
# attester/verifier and openssl(1) (to fingerprint the sim root).
set -euo pipefail

: "${RATS_TLS_SERVER:?path of rats-tls-server}"
: "${RATS_TLS_CLIENT:?path of rats-tls-client}"
command -v openssl >/dev/null || { echo "openssl(1) is required (scripts/install-deps.sh)"; exit 1; }

work=$(mktemp -d /tmp/rats-tls-it.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
state="$work/sim"
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.out "$work"/*.err; do [[ -f $f ]] && { echo "--- $f" >&2; cat "$f" >&2; }; done; exit 1; }

# Starts the server on a free port in the background; sets $server_pid and $port.
start_server() {
  local name=$1; shift
  "$RATS_TLS_SERVER" --listen 127.0.0.1:0 --once "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$name.out")
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  if grep -q "unknown attester \`sim\`\|unknown verifier \`sim\`" "$work/$name.err"; then
    echo "FAIL: sim attester/verifier not registered"; exit 1
  fi
  fail "$name did not start"
}

# Server exit status into $src without tripping set -e (in this shell: the server is its child).
wait_server() { src=0; wait "$server_pid" || src=$?; server_pid=""; }

# Create the sim state (and its root) once, then write a policy that trusts the sim root.
start_server init --attester sim --sim-state-dir "$state"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
[[ -f $state/root_ca.pem ]] || fail "sim state has no root_ca.pem"
root_key=$(openssl x509 -in "$state/root_ca.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
printf '{"trusted_root_keys": ["%s"]}\n' "$root_key" >"$work/trust-sim.json"
echo '{}' >"$work/default.json"

common=(--attester sim --verifier sim --mutual --sim-state-dir "$state")

# 1. Mutual attestation, both trusting the sim root.
start_server ok "${common[@]}" --policy "$work/trust-sim.json"
rc=0
"$RATS_TLS_CLIENT" --connect "127.0.0.1:$port" "${common[@]}" --policy "$work/trust-sim.json" \
  --message "attested hello" >"$work/client-ok.out" 2>"$work/client-ok.err" || rc=$?
wait_server
[[ $rc == 0 ]] || fail "client exited $rc in the trusted case"
[[ $src == 0 ]] || fail "server exited $src in the trusted case"
head -n1 "$work/client-ok.out" | grep -q '^{.*}$' || fail "client printed no claims JSON"
grep -qx 'echo: attested hello' "$work/client-ok.out" || fail "client got no reply"
sed -n 2p "$work/ok.out" | grep -q '^{.*}$' || fail "server printed no claims JSON"
grep -qx 'received: attested hello' "$work/ok.out" || fail "server did not receive the message"
echo "ok: mutual sim attestation"

# 2. The client does not trust the sim root: rejected, exit 1, the server app gets no data.
start_server rejected "${common[@]}" --policy "$work/trust-sim.json"
rc=0
"$RATS_TLS_CLIENT" --connect "127.0.0.1:$port" "${common[@]}" --policy "$work/default.json" \
  --message "must not arrive" >"$work/client-rej.out" 2>"$work/client-rej.err" || rc=$?
wait_server
[[ $rc == 1 ]] || fail "client exited $rc, want 1, when the sim root is not trusted"
grep -q 'we sent TLS alert `bad certificate` because peer evidence rejected: ' "$work/client-rej.err" \
  || fail "client did not say it sent the alert and why"
grep -q 'peer sent TLS alert `bad certificate`' "$work/rejected.err" \
  || fail "server did not say it received the alert"
if grep -q 'we sent' "$work/rejected.err"; then fail "server claims it sent the alert"; fi
[[ ! -s $work/client-rej.out ]] || fail "client printed output although it rejected the server"
[[ $src == 1 ]] || fail "server exited $src, want 1"
if grep -q 'received:\|must not arrive' "$work/rejected.out"; then fail "server application got data"; fi
echo "ok: untrusted sim root rejected ($(cat "$work/client-rej.err"))"

# 3. --verify-at past the sim collateral's validity (30 days): the client rejects at that time.
start_server late "${common[@]}" --policy "$work/trust-sim.json"
rc=0
late=$(( $(date +%s) + 400 * 86400 ))
"$RATS_TLS_CLIENT" --connect "127.0.0.1:$port" "${common[@]}" --policy "$work/trust-sim.json" \
  --verify-at "$late" --message "must not arrive" >"$work/client-late.out" 2>"$work/client-late.err" || rc=$?
wait_server
[[ $rc == 1 ]] || fail "client exited $rc, want 1, verifying 400 days from now"
grep -q 'peer evidence rejected: .*expired\|peer evidence rejected: .*nextUpdate\|peer evidence rejected: .*not valid' "$work/client-late.err" \
  || fail "client did not name the expiry"
if grep -q 'received:\|must not arrive' "$work/late.out"; then fail "server application got data"; fi
echo "ok: --verify-at beyond the collateral's validity rejected ($(cat "$work/client-late.err"))"

# 4. A malformed --verify-at is bad usage (exit 2, naming the flag), before any connection.
rc=0
"$RATS_TLS_CLIENT" --connect 127.0.0.1:1 "${common[@]}" --verify-at soon >/dev/null 2>"$work/client-bad.err" || rc=$?
[[ $rc == 2 ]] || fail "client exited $rc for --verify-at soon, want 2"
grep -q -- '`--verify-at`: `soon`' "$work/client-bad.err" || fail "client did not name --verify-at"
echo "ok: malformed --verify-at is a usage error"
