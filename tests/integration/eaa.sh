#!/bin/bash
# EAA end to end on the sim TEE: enclave containers (rune + liberpal-sim, each in its own network
# namespace) run eaa-sample, which attests with its enclave's own REPORT through liberpal-sim's
# attestation channel, its sim state bind-mounted read-only; `shelter attest` from the host checks
# it directly over the socket a container listens on, and through inclavared (TCP and unix
# listeners) in relay and broker modes; test doubles flip relayed bytes and replay evidence.
# Usage: RUNE=… PAL_DIR=… EAA_SAMPLE=… SHELTER=… SIM_QUOTE=… INCLAVARED=… bash tests/integration/eaa.sh
. "$(dirname "$0")/lib.sh"
EAA_SAMPLE=${EAA_SAMPLE:?set EAA_SAMPLE} SHELTER=${SHELTER:?set SHELTER} SIM_QUOTE=${SIM_QUOTE:?set SIM_QUOTE}
INCLAVARED=${INCLAVARED:?set INCLAVARED}
TOOLS=$(dirname "$0")/eaa_doubles.py
PAL_DIR=${PAL_DIR:?set PAL_DIR}
ST=$WORK/sim-state

# The sim state, made once on the host (the workload only reads it).
"$SIM_QUOTE" "$ST" 00 "$WORK/q.bin" >/dev/null || { echo "cannot make the sim state" >&2; exit 1; }

# eabundle NAME [--address ADDR] ARGS...: a sim enclave container running eaa-sample ARGS, with
# its libraries; with --address, opted in to inclavared with that address annotation.
eabundle() {
  local name=$1; shift
  local address=
  if [ "${1:-}" = --address ]; then address=$2; shift 2; fi
  bundle "$name" || return 1
  REC=$WORK/rec-$name  # the container's /rec: its measurement log, its unix socket
  rm -rf "$REC"; mkdir -p "$REC" "$B/rootfs/sim" "$B/rootfs/opt/pal"
  cp "$EAA_SAMPLE" "$B/rootfs/bin/eaa-sample"
  local lib; for lib in $(ldd "$EAA_SAMPLE" | grep -oE '/[^ ]+'); do cp --parents -L "$lib" "$B/rootfs/"; done
  local argv; argv=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  cfg --arg rec "$REC" --arg pal "$PAL_DIR/liberpal-sim.so" --arg st "$ST" --argjson argv "$argv" \
    '.process.args = ["/bin/eaa-sample"] + $argv
     | .process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so","ENCLAVE_RUNTIME_ARGS=measurement-log=/rec/measurements.log"]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]},
                   {"destination":"/sim","type":"bind","source":$st,"options":["rbind","ro"]},
                   {"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]' || return 1
  [ -z "$address" ] || cfg --arg a "$address" '.annotations["enclave.attestation.address"] = $a'
}
# start_in_netns ID: create ID, bring its network namespace's loopback up, start it.
start_in_netns() {
  R create --bundle "$B" "$1" 2>"$WORK/err" || { fail "create $1: $(cat "$WORK/err")"; return 1; }
  nsenter --net="/proc/$(R state "$1" | jq -r .pid)/ns/net" ip link set lo up || { fail "lo up in $1"; return 1; }
  R start "$1" 2>"$WORK/err" || fail "start $1: $(cat "$WORK/err")"
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

# The inclavared world: containers eaa-t (eaa-sample at tcp://127.0.0.1:7443 in its own network
# namespace) and eaa-u (at unix:///rec/eaa.sock), both opted in by their address annotation, and
# inclavared on a TCP port and a unix socket. M_T and M_U: their measurements. Stopped at exit.
world() {
  eabundle eaa-t --address tcp://127.0.0.1:7443 --listen tcp://127.0.0.1:7443 --sim-state-dir /sim || return 1
  start_in_netns eaa-t || return 1
  REC_T=$REC
  eabundle eaa-u --address unix:///rec/eaa.sock --listen unix:///rec/eaa.sock --sim-state-dir /sim || return 1
  R run -d --bundle "$B" eaa-u >/dev/null 2>"$WORK/err" || fail "run eaa-u: $(cat "$WORK/err")" || return 1
  REC_U=$REC
  wait_socket "$REC_U/eaa.sock" || fail "eaa-u has no socket" || return 1
  local i; for i in $(seq 100); do nsenter --net="/proc/$(R state eaa-t | jq -r .pid)/ns/net" \
    bash -c ': </dev/tcp/127.0.0.1/7443' 2>/dev/null && break; sleep 0.05; done
  M_T=$(sha256sum "$REC_T/measurements.log" | cut -d' ' -f1)
  M_U=$(sha256sum "$REC_U/measurements.log" | cut -d' ' -f1)
  start_inclavared "$@"
}
# start_inclavared ARGS...: inclavared on tcp://127.0.0.1:PORT and unix://$ICS; stopped at exit.
start_inclavared() {
  ICS=$WORK/inclavared.sock
  "$INCLAVARED" --listen tcp://127.0.0.1:0 --listen "unix://$ICS" --rune "$RUNE" --rune-root "$ROOT" \
    --sim-state-dir "$ST" "$@" >"$WORK/icd.out" 2>"$WORK/icd.log" &
  ICD=$!
  trap 'kill $ICD 2>/dev/null; wait $ICD 2>/dev/null' EXIT
  local i; for i in $(seq 100); do grep -q '^listening on' "$WORK/icd.out" && break; sleep 0.05; done
  PORT=$(grep -oE 'tcp://127.0.0.1:[0-9]+' "$WORK/icd.out" | cut -d: -f3)
  [ -n "$PORT" ] || fail "inclavared did not start: $(cat "$WORK/icd.out" "$WORK/icd.log")"
}
policy() { printf '{"trust_sim_root": true, "sgx": {"mrenclave": "%s"}}' "$2" >"$WORK/$1"; }
# attest WANT_EXIT ARGS...: shelter attest ARGS (with the sim state), its verdict in $WORK/v.json.
attest() {
  local want=$1; shift
  "$SHELTER" attest --sim-state-dir "$ST" "$@" >"$WORK/v.json" 2>"$WORK/err"
  local rc=$?
  [ $rc = "$want" ] || { fail "exit $rc, not $want, for attest $*: $(cat "$WORK/v.json" "$WORK/err")"; return 1; }
}
verdict_is() { # verdict_is VERDICT ORIGIN MRENCLAVE
  [ "$(jq -r '.verdict + " " + .origin + " " + .claims.mrenclave' "$WORK/v.json")" = "$1 $2 $3" ] ||
    fail "want $1 $2 $3: $(cat "$WORK/v.json")"
}

t_inclavared_relays_to_tcp_and_unix_workloads() {
  world || return 1
  policy pt.json "$M_T"; policy pu.json "$M_U"
  # The TLS session ends in the workload: through the TCP listener to the TCP workload in its
  # network namespace, through the unix listener to the unix workload in its root.
  attest 0 --addr "tcp://127.0.0.1:$PORT" --container eaa-t --policy "$WORK/pt.json" || return 1
  verdict_is trusted enclave "$M_T" || return 1
  [ "$(jq -r '.mode + " " + .container' "$WORK/v.json")" = "relay eaa-t" ] || fail "mode: $(cat "$WORK/v.json")" || return 1
  attest 0 --addr "unix://$ICS" --container eaa-u --mode relay --policy "$WORK/pu.json" || return 1
  verdict_is trusted enclave "$M_U" || return 1
  # The other container's measurement: rejected, both values named.
  attest 1 --addr "tcp://127.0.0.1:$PORT" --container eaa-u --policy "$WORK/pt.json" || return 1
  [ "$(jq -r .verdict "$WORK/v.json")" = rejected ] || fail "verdict: $(cat "$WORK/v.json")" || return 1
  grep -q "$M_T" "$WORK/v.json" && grep -q "$M_U" "$WORK/v.json" || fail "both values not named: $(cat "$WORK/v.json")" || return 1
  grep -q 'relay to container `eaa-u` (unix:///rec/eaa.sock) ended' "$WORK/icd.log" || fail "no relay log line: $(cat "$WORK/icd.log")"
}

t_broker_evidence_is_bound_to_the_tenants_nonce() {
  world || return 1
  policy pt.json "$M_T"; policy pu.json "$M_U"
  attest 0 --addr "tcp://127.0.0.1:$PORT" --container eaa-t --mode broker --policy "$WORK/pt.json" || return 1
  verdict_is trusted host "$M_T" || return 1
  attest 0 --addr "unix://$ICS" --container eaa-u --mode broker --policy "$WORK/pu.json" || return 1
  verdict_is trusted host "$M_U" || return 1
  local nonce; nonce=$(jq -r .nonce "$WORK/v.json")
  # The evidence's MRENCLAVE is the measurement log's, as `rune attest` and the channel give it.
  attest 1 --addr "unix://$ICS" --container eaa-u --mode broker --policy "$WORK/pt.json" || return 1
  grep -q "$M_T" "$WORK/v.json" && grep -q "$M_U" "$WORK/v.json" || fail "both values not named: $(cat "$WORK/v.json")" || return 1
  # A broker replaying evidence of an earlier session (its nonce) is caught by the nonce.
  R attest --nonce "$nonce" --sim-state-dir "$ST" eaa-u >"$WORK/old.json" 2>"$WORK/err" || fail "rune attest: $(cat "$WORK/err")" || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=replay -days 1 \
    -keyout "$WORK/k.pem" -out "$WORK/c.pem" 2>/dev/null || fail "openssl req" || return 1
  python3 "$TOOLS" replay 0 "$WORK/old.json" "$WORK/c.pem" "$WORK/k.pem" >"$WORK/rp.out" 2>&1 &
  local rp=$! i; for i in $(seq 100); do grep -q ready "$WORK/rp.out" && break; sleep 0.05; done
  local rport; rport=$(awk '/ready/{print $2}' "$WORK/rp.out")
  attest 1 --addr "tcp://127.0.0.1:$rport" --container eaa-u --mode broker --policy "$WORK/pu.json"
  local rc=$?; kill $rp; wait $rp 2>/dev/null; [ $rc = 0 ] || return 1
  [ "$(jq -r '.reasons[0].check' "$WORK/v.json")" = nonce ] || fail "reason: $(cat "$WORK/v.json")" || return 1
  grep -q "carries nonce $nonce, not this session's" "$WORK/v.json" || fail "the old nonce is not named: $(cat "$WORK/v.json")"
}

t_mutual_attestation_through_the_relay() {
  eabundle eaa-m --address unix:///rec/eaa.sock --listen unix:///rec/eaa.sock --sim-state-dir /sim \
    --mutual --policy /rec/client-policy.json || return 1
  printf '{"trust_sim_root": true}' >"$REC/client-policy.json"
  R run -d --bundle "$B" eaa-m >/dev/null 2>"$WORK/err" || fail "run: $(cat "$WORK/err")" || return 1
  wait_socket "$REC/eaa.sock" || fail "no socket" || return 1
  local m; m=$(sha256sum "$REC/measurements.log" | cut -d' ' -f1)
  start_inclavared || return 1
  policy pm.json "$m"
  attest 0 --addr "unix://$ICS" --container eaa-m --mutual --attester sim --policy "$WORK/pm.json" || return 1
  verdict_is trusted enclave "$m" || return 1
  # Without evidence of its own the tenant does not get through the workload's handshake.
  attest 2 --addr "unix://$ICS" --container eaa-m --policy "$WORK/pm.json" || return 1
  grep -q "unix://$ICS" "$WORK/err" || fail "the address is not named: $(cat "$WORK/err")"
}

t_a_flipped_byte_fails_the_tls_session() {
  world || return 1
  policy pt.json "$M_T"
  local mode
  for mode in handshake appdata; do
    python3 "$TOOLS" flip 0 "$PORT" $mode >"$WORK/fp.out" 2>&1 &
    local fp=$! i; for i in $(seq 100); do grep -q ready "$WORK/fp.out" && break; sleep 0.05; done
    local fport; fport=$(awk '/ready/{print $2}' "$WORK/fp.out")
    attest 2 --addr "tcp://127.0.0.1:$fport" --container eaa-t --policy "$WORK/pt.json"
    local rc=$?; kill $fp; wait $fp 2>/dev/null; [ $rc = 0 ] || return 1
    grep -qi "tls\|ssl\|decrypt\|mac\|alert" "$WORK/err" || fail "$mode: no TLS failure named: $(cat "$WORK/err")" || return 1
    grep -q "tcp://127.0.0.1:$fport" "$WORK/err" || fail "$mode: the address is not named: $(cat "$WORK/err")" || return 1
    echo "NOTE: $mode: $(head -c 300 "$WORK/err")"
  done
}

# preamble LINE: sends LINE (printf format, no newline added) to inclavared's TCP port and
# prints its one-line answer (empty: none within 5 s).
preamble() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  # shellcheck disable=SC2059
  printf "$1" >&3
  local line=; read -r -t 5 line <&3; exec 3<&-
  echo "$line"
}
# sleeper NAME [ADDRESS]: a running ordinary container (sleep), opted in with ADDRESS if given.
sleeper() {
  bundle "$1" || return 1
  cfg '.process.args = ["/bin/sleep", "1000"]'
  [ -z "${2:-}" ] || cfg --arg a "$2" '.annotations["enclave.attestation.address"] = $a'
  R run -d --bundle "$B" "$1" >/dev/null 2>"$WORK/err" || fail "run $1: $(cat "$WORK/err")"
}

t_inclavared_refuses_bad_targets_and_input_naming_them() {
  python3 "$TOOLS" plain 0 >"$WORK/pl.out" 2>&1 &
  local pl=$! i; for i in $(seq 100); do grep -q ready "$WORK/pl.out" && break; sleep 0.05; done
  printf '[route.plain]\naddress = "tcp://127.0.0.1:%s"\n' "$(awk '/ready/{print $2}' "$WORK/pl.out")" >"$WORK/routes.toml"
  world --preamble-timeout 1 --routes "$WORK/routes.toml" || { kill $pl; return 1; }
  policy pt.json "$M_T"
  local a=(--addr "tcp://127.0.0.1:$PORT" --policy "$WORK/pt.json")
  # Unknown, not opted in, stopped: refused at the preamble, exit 2, named.
  attest 2 "${a[@]}" --container nope || return 1
  grep -q 'unknown_target.*no container or route `nope`' "$WORK/err" || fail "unknown: $(cat "$WORK/err")" || return 1
  sleeper plain-c || return 1
  attest 2 "${a[@]}" --container plain-c || return 1
  grep -q 'not_attestable.*`plain-c`.*not opted in' "$WORK/err" || fail "not opted in: $(cat "$WORK/err")" || return 1
  bundle done-c && cfg '.annotations["enclave.attestation.address"] = "unix:///x.sock"' || return 1
  R run -d --bundle "$B" done-c >/dev/null 2>&1 </dev/null
  wait_status done-c stopped || fail "done-c did not stop" || return 1
  attest 2 "${a[@]}" --container done-c || return 1
  grep -q '`done-c` is stopped, not running' "$WORK/err" || fail "stopped: $(cat "$WORK/err")" || return 1
  attest 2 "${a[@]}" --container done-c --mode broker || return 1
  grep -q '`done-c` is stopped, not running' "$WORK/err" || fail "stopped (broker): $(cat "$WORK/err")" || return 1
  # A route to something that does not speak (Rats-)TLS.
  attest 2 "${a[@]}" --container plain || return 1
  grep -qi "tcp://127.0.0.1:$PORT.*tls\|tcp://127.0.0.1:$PORT.*ssl" "$WORK/err" || fail "plain route: $(cat "$WORK/err")" || return 1
  kill $pl
  # A unix address that is a symlink to a host socket (a live one) is refused, naming the path.
  "$EAA_SAMPLE" --listen "unix://$WORK/host.sock" --sim-state-dir "$ST" >/dev/null 2>&1 &
  local hs=$!
  wait_socket "$WORK/host.sock" || { kill $hs; fail "no host socket"; return 1; }
  sleeper link-c unix:///rec/link.sock || { kill $hs; return 1; }
  mkdir -p "$WORK/link-rec" && ln -sf "$WORK/host.sock" "$WORK/link-rec/link.sock"
  cfg --arg r "$WORK/link-rec" '.mounts += [{"destination":"/rec","type":"bind","source":$r,"options":["rbind","ro"]}]'
  R delete -f link-c >/dev/null; R run -d --bundle "$B" link-c >/dev/null 2>"$WORK/err" || { kill $hs; fail "run link-c: $(cat "$WORK/err")"; return 1; }
  attest 2 "${a[@]}" --container link-c; local rc=$?
  kill $hs; wait $hs 2>/dev/null; [ $rc = 0 ] || return 1
  grep -q '`/rec/link.sock` is or passes through a symlink' "$WORK/err" || fail "symlink: $(cat "$WORK/err")" || return 1
  # Malformed, oversized and slow preambles get an error line; inclavared serves on.
  preamble 'hello\n' | grep -q '"code":"bad_preamble"' || fail "malformed preamble answered: $(preamble 'hello\n')" || return 1
  preamble '{"connect":"eaa-t","x":1}\n' | grep -q 'bad_preamble' || fail "extra key accepted" || return 1
  preamble "$(head -c 5000 /dev/zero | tr '\0' a)" | grep -q 'longer than 4 KiB' || fail "oversized preamble" || return 1
  preamble '{"connect":' | grep -q '"code":"timeout"' || fail "slow preamble not timed out" || return 1
  # Bad frames in a broker session: an error frame, then the session ends.
  local got; got=$(python3 "$TOOLS" badframe "$PORT" oversized 2>&1)
  [ "$got" = "bad_frame closed" ] || fail "oversized frame: [$got]" || return 1
  got=$(python3 "$TOOLS" badframe "$PORT" notjson 2>&1)
  [ "$got" = "bad_frame closed" ] || fail "not-JSON frame: [$got]" || return 1
  attest 0 "${a[@]}" --container eaa-t || return 1
  verdict_is trusted enclave "$M_T" || return 1
  kill -0 $ICD || fail "inclavared died: $(cat "$WORK/icd.log")"
}

t_a_container_stopping_ends_its_relay() {
  world || return 1
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf '{"connect":"eaa-t"}\n' >&3
  local line=; read -r -t 5 line <&3
  [ "$line" = '{"ok":true}' ] || fail "preamble answered: $line" || return 1
  R kill eaa-t KILL || return 1
  local t0=$SECONDS rest; rest=$(timeout 10 cat <&3); exec 3<&-
  [ $((SECONDS - t0)) -lt 5 ] || fail "the relay outlived its container by $((SECONDS - t0)) s" || return 1
  [ -z "$rest" ] || fail "bytes after the container stopped: $rest" || return 1
  for i in $(seq 50); do grep -q 'relay to container `eaa-t`.*ended' "$WORK/icd.log" && break; sleep 0.1; done
  grep 'relay to container `eaa-t`.*ended' "$WORK/icd.log" || fail "no end logged: $(cat "$WORK/icd.log")" || return 1
  # SIGTERM with a session open: the socket goes at once, the session gets the 5 s grace, then
  # it is ended and inclavared exits 0.
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf '{"connect":"eaa-u"}\n' >&3
  read -r -t 5 line <&3
  [ "$line" = '{"ok":true}' ] || fail "preamble answered: $line" || return 1
  kill -TERM $ICD; t0=$SECONDS
  sleep 0.5; [ ! -e "$ICS" ] || fail "the unix socket outlived SIGTERM" || return 1
  rest=$(timeout 15 cat <&3); exec 3<&-
  wait $ICD; local rc=$? took=$((SECONDS - t0))
  [ $rc = 0 ] || fail "exit $rc after SIGTERM" || return 1
  [ $took -ge 4 ] && [ $took -le 9 ] || fail "stopped after $took s, not after the 5 s grace" || return 1
  grep -q 'grace period over: ending 1 sessions' "$WORK/icd.log" || fail "no grace line: $(cat "$WORK/icd.log")"
}

t_a_hanging_broker_rune_attest_is_killed() {
  world || return 1
  kill $ICD; wait $ICD 2>/dev/null
  # A rune whose attest hangs (and starts a child that would hang too).
  printf '#!/bin/bash\nfor a; do [ "$a" = attest ] && { sleep 300 & sleep 300; }; done\nexec %q "$@"\n' "$RUNE" >"$WORK/slow-rune"
  chmod +x "$WORK/slow-rune"
  "$INCLAVARED" --listen tcp://127.0.0.1:0 --rune "$WORK/slow-rune" --rune-root "$ROOT" --attest-timeout 1 \
    >"$WORK/icd.out" 2>"$WORK/icd.log" &
  ICD=$!
  local i; for i in $(seq 100); do grep -q '^listening on' "$WORK/icd.out" && break; sleep 0.05; done
  PORT=$(grep -oE 'tcp://127.0.0.1:[0-9]+' "$WORK/icd.out" | cut -d: -f3)
  policy pt.json "$M_T"
  attest 2 --addr "tcp://127.0.0.1:$PORT" --container eaa-t --mode broker --policy "$WORK/pt.json" || return 1
  grep -q '(timeout).*did not finish within 1000 ms and was killed' "$WORK/err" || fail "hang: $(cat "$WORK/err")" || return 1
  # inclavared kills the process group; SIGKILL is delivered asynchronously, so give the
  # processes up to 5 s to go before calling them left.
  local j
  for j in $(seq 50); do
    pgrep -f "bash $WORK/slow-rune" >/dev/null || pgrep -x -f "sleep 300" >/dev/null || break
    sleep 0.1
  done
  pgrep -f "bash $WORK/slow-rune" && { fail "the hanging rune is left"; return 1; }
  ! pgrep -x -f "sleep 300" || fail "its child is left: $(pgrep -a -f 'sleep 300')"
}

t_the_connection_limit_is_kept_and_logged_as_json() {
  start_inclavared --max-connections 1 --preamble-timeout 3 --log "$WORK/icd.json" --log-format json || return 1
  exec 4<>"/dev/tcp/127.0.0.1/$PORT" || return 1  # holds the one slot (no preamble yet)
  sleep 0.2
  local busy; busy=$(preamble '{"connect":"nope"}\n')
  exec 4<&-
  echo "$busy" | grep -q '"code":"busy"' || fail "over the limit: [$busy]" || return 1
  local i ans; for i in $(seq 50); do ans=$(preamble '{"connect":"nope"}\n'); echo "$ans" | grep -q busy || break; sleep 0.1; done
  echo "$ans" | grep -q '"code":"unknown_target"' || fail "after the slot freed: [$ans]" || return 1
  jq -s -e 'any(.[]; .level == "warning" and (.msg | test("1 connections already served")))' "$WORK/icd.json" >/dev/null ||
    fail "no json warning line: $(cat "$WORK/icd.json")" || return 1
  jq -s -e 'all(.[]; has("level") and has("msg") and has("time"))' "$WORK/icd.json" >/dev/null || fail "not runc-style json lines: $(cat "$WORK/icd.json")"
}

t_inclavared_keeps_live_sockets_and_cleans_up_on_sigterm() {
  start_inclavared || return 1
  # A second inclavared on the same unix socket: refused, the first keeps it.
  "$INCLAVARED" --listen "unix://$ICS" --rune "$RUNE" >/dev/null 2>"$WORK/err2" && fail "a second inclavared bound" && return 1
  grep -q "unix://$ICS.*already answers" "$WORK/err2" || fail "second: $(cat "$WORK/err2")" || return 1
  [ -S "$ICS" ] || fail "the live socket was removed" || return 1
  # A stale socket (nothing answers) is replaced.
  kill -KILL $ICD; wait $ICD 2>/dev/null
  [ -S "$ICS" ] || fail "no stale socket to test with" || return 1
  start_inclavared || return 1
  # SIGTERM: exit 0 at once when idle, its socket gone.
  kill -TERM $ICD; local t0=$SECONDS; wait $ICD; local rc=$?
  [ $rc = 0 ] || fail "exit $rc on SIGTERM: $(cat "$WORK/icd.log")" || return 1
  [ $((SECONDS - t0)) -lt 3 ] || fail "took $((SECONDS - t0)) s to stop" || return 1
  [ ! -e "$ICS" ] || fail "socket left"
}

t_openssl_sees_the_evidence_extension() {
  eabundle eaa-o --listen tcp://127.0.0.1:7443 --sim-state-dir /sim || return 1
  start_in_netns eaa-o || return 1
  local net i; net=/proc/$(R state eaa-o | jq -r .pid)/ns/net
  for i in $(seq 100); do nsenter --net="$net" bash -c ': </dev/tcp/127.0.0.1/7443' 2>/dev/null && break; sleep 0.05; done
  nsenter --net="$net" openssl s_client -connect 127.0.0.1:7443 </dev/null 2>/dev/null |
    openssl x509 -noout -text >"$WORK/x509.txt" 2>&1 || fail "no certificate: $(cat "$WORK/x509.txt")" || return 1
  grep -q '2\.23\.133\.5\.4\.9' "$WORK/x509.txt" || fail "no 2.23.133.5.4.9 extension: $(cat "$WORK/x509.txt")"
}

t_unreachable_and_bad_addresses_are_named() {
  printf '{"trust_sim_root": true}' >"$WORK/policy.json"
  refused "$WORK/none.sock" "$SHELTER" attest --addr "unix://$WORK/none.sock" --policy "$WORK/policy.json" || return 1
  refused "http://x" "$SHELTER" attest --addr "http://x" --policy "$WORK/policy.json" || return 1
  "$SHELTER" attest --addr "unix://$WORK/none.sock" --policy "$WORK/policy.json" >/dev/null 2>&1
  [ $? = 2 ] || fail "exit code of a transport failure"
}

run_tests
