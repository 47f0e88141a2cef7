#!/bin/bash
# sgx-tools and aesm-sim end to end: the demo flow on a sim enclave container, flips in every part
# of a quote, the AESM client's errors against each --misbehave mode, the real vectors through
# verify-quote and dump, SIGSTRUCTs and launch tokens, bad input, and `rune attest` through aesmd's
# protocol (aesm-sim) instead of the sim QE.
# Usage: RUNE=… PAL_DIR=… SGX_TOOLS=… AESM_SIM=… SHELTER=… VECTORS=… SGX_DATA=… bash sgx_tools.sh
. "$(dirname "$0")/lib.sh"
SGX_TOOLS=${SGX_TOOLS:?set SGX_TOOLS} AESM_SIM=${AESM_SIM:?set AESM_SIM} SHELTER=${SHELTER:?set SHELTER}
PAL_DIR=${PAL_DIR:?set PAL_DIR} VECTORS=${VECTORS:?set VECTORS} SGX_DATA=${SGX_DATA:?set SGX_DATA}
ST=$WORK/sim-state
SIMS=()
cleanup_sims() { local p; for p in "${SIMS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'cleanup_sims; cleanup' EXIT

# start_sim NAME [--misbehave M]...: aesm-sim on $WORK/NAME.sock, ready when it says so.
start_sim() {
  local name=$1; shift
  "$AESM_SIM" --socket "$WORK/$name.sock" --state "$ST" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  SIMS+=($!)
  local i; for i in $(seq 200); do grep -q '^listening on' "$WORK/$name.out" && return 0; sleep 0.05; done
  fail "aesm-sim $name did not start: $(cat "$WORK/$name.log")"
}
T() { "$SGX_TOOLS" --aesm-socket "$WORK/$SOCK.sock" "$@"; }
SOCK=main
start_sim main || exit 1

# A sim enclave container that sleeps; its REPORT for the QE's TARGETINFO in $WORK/report.bin.
sim_report() {
  bundle sgxc || return 1
  cfg --arg pal "$PAL_DIR/liberpal-sim.so" '.process.args=["sleep","300"]
     | .process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so"]
     | .mounts += [{"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]'
  R run -d --bundle "$B" sgxc </dev/null >/dev/null 2>"$WORK/err" || { fail "run: $(cat "$WORK/err")"; return 1; }
  T gen-qe-target-info --targetinfo "$WORK/qe_ti.bin" >/dev/null || { fail "gen-qe-target-info"; return 1; }
  R attest --report --target-info "$WORK/qe_ti.bin" --output "$WORK/report.bin" sgxc >/dev/null \
    || { fail "rune attest --report"; return 1; }
}
after_each() { R delete -f sgxc >/dev/null 2>&1; true; }
rd_of_ti() { sha256sum "$WORK/qe_ti.bin" | cut -d' ' -f1; }

t_the_demo_runs() {
  bash "$(dirname "$0")/../../scripts/sgx-tools-demo.sh" "$(dirname "$(dirname "$(dirname "$SGX_TOOLS")")")" \
    >"$WORK/demo.out" 2>&1 || fail "demo: $(tail -20 "$WORK/demo.out")" || return 1
  grep -q '^trusted (tcb_status UpToDate)$' "$WORK/demo.out" || fail "demo output: $(cat "$WORK/demo.out")"
}

t_quote_of_a_sim_enclave_verifies_offline_under_the_sim_root() {
  sim_report || return 1
  local nonce=00112233445566778899aabbccddeeff
  T gen-quote --report "$WORK/report.bin" --nonce $nonce --quote "$WORK/quote.bin" >"$WORK/out" \
    || fail "gen-quote: $(cat "$WORK/out")" || return 1
  grep -q 'binds the nonce and the quote' "$WORK/out" || fail "gen-quote: $(cat "$WORK/out")" || return 1
  "$SGX_TOOLS" verify-quote --quote "$WORK/quote.bin" --trust-sim-root "$ST" --report-data "$(rd_of_ti)" --json \
    >"$WORK/v.json" || fail "verify-quote: $(cat "$WORK/v.json")" || return 1
  [ "$(jq -r .verdict "$WORK/v.json")" = trusted ] || fail "verdict: $(cat "$WORK/v.json")" || return 1
  # The MRENCLAVE is the container's: the REPORT's body went into the quote unchanged.
  local want; want=$(R attest --report sgxc | jq -r .mrenclave)
  [ "$(jq -r .claims.mrenclave "$WORK/v.json")" = "$want" ] || fail "mrenclave: $(cat "$WORK/v.json")" || return 1
  # Other report data: rejected, exit 1.
  "$SGX_TOOLS" verify-quote --quote "$WORK/quote.bin" --trust-sim-root "$ST" --report-data 00 >/dev/null
  [ $? = 1 ] || fail "other report data was not a rejection" || return 1
  # Not trusting the sim root: exit 1, naming the root.
  "$SGX_TOOLS" verify-quote --quote "$WORK/quote.bin" --collateral "$ST/collateral.json" >"$WORK/out"
  [ $? = 1 ] || fail "the sim root was trusted without --trust-sim-root" || return 1
  grep -q 'root_ca' "$WORK/out" || fail "no root_ca reason: $(cat "$WORK/out")" || return 1
  # verify-quote opens no socket. (LeakSanitizer cannot run under ptrace: no leak check here.)
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=socket,connect -o "$WORK/trace" "$SGX_TOOLS" verify-quote --quote "$WORK/quote.bin" \
    --trust-sim-root "$ST" >/dev/null || fail "verify-quote under strace" || return 1
  ! grep -qE 'socket\(|connect\(' "$WORK/trace" || fail "verify-quote made calls: $(cat "$WORK/trace")" || return 1
  # dump: the fields equal what the parser reads.
  "$SGX_TOOLS" dump "$WORK/quote.bin" --json >"$WORK/d.json" || fail "dump" || return 1
  [ "$(jq -r '.fields[] | select(.name == "body.mr_enclave") | .value' "$WORK/d.json")" = "$want" ] \
    || fail "dump mr_enclave: $(jq -c '.fields[:12]' "$WORK/d.json")"
}

t_a_flip_anywhere_in_the_quote_is_rejected_naming_the_check() {
  sim_report || return 1
  T gen-quote --report "$WORK/report.bin" --quote "$WORK/quote.bin" >/dev/null || fail "gen-quote" || return 1
  "$SGX_TOOLS" dump "$WORK/quote.bin" --json >"$WORK/d.json" || return 1
  off() { jq -r --arg n "$1" '.fields[] | select(.name == $n) | .offset' "$WORK/d.json"; }
  local part at check
  # part: the field whose first byte is flipped; check: what the verifier must name.
  while read -r part check; do
    at=$(off "$part"); [ -n "$at" ] || { fail "no field $part in the dump"; return 1; }
    [ "$part" = signature.cert_data ] && at=$((at + 200))  # inside the leaf's base64
    python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[int(sys.argv[2])]^=1; open(sys.argv[3],'wb').write(b)" \
      "$WORK/quote.bin" "$at" "$WORK/flipped.bin"
    "$SGX_TOOLS" verify-quote --quote "$WORK/flipped.bin" --trust-sim-root "$ST" >"$WORK/out" 2>&1
    local rc=$?
    [ $rc = 1 ] || { fail "flip in $part (offset $at): exit $rc, want 1: $(cat "$WORK/out")"; return 1; }
    grep -q "$check" "$WORK/out" || { fail "flip in $part: no \`$check\` in: $(cat "$WORK/out")"; return 1; }
  done <<'EOF'
header.qe_svn quote_signature
body.mr_enclave quote_signature
signature.qe_report.mr_enclave qe_report_signature
signature.qe_auth_data qe_report_data
signature.cert_data pck_chain
EOF
  # A flipped REPORT: aesmd's 47.
  python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[100]^=1; open(sys.argv[1],'wb').write(b)" "$WORK/report.bin"
  T gen-quote --report "$WORK/report.bin" --quote "$WORK/q2.bin" 2>"$WORK/err"
  [ $? = 1 ] || fail "a flipped REPORT was quoted" || return 1
  grep -q '47 AESM_INVALID_REPORT' "$WORK/err" || fail "not 47: $(cat "$WORK/err")" || return 1
  [ ! -e "$WORK/q2.bin" ] || fail "a quote file was written"
}

# The requests as sent, decoded by protoc with the project's schema: no missing required field,
# and the deterministic ones equal to their golden text.
t_captured_requests_decode_with_protoc() {
  local proto; proto=$(dirname "$0")/../../proto
  mkdir -p "$WORK/cap"; SOCK=cap; start_sim cap --capture "$WORK/cap" || return 1
  sim_report || return 1
  T gen-quote --report "$WORK/report.bin" --nonce 00112233445566778899aabbccddeeff --quote "$WORK/cq.bin" >/dev/null \
    || fail "gen-quote" || return 1
  T gen-token --signature "$SGX_DATA/le_prod_css.bin" --token "$WORK/cap.token" --cpuid-7-0-ecx 00000000 >/dev/null \
    || fail "gen-token" || return 1
  local f call seen=""
  for f in "$WORK"/cap/*.bin; do
    call=$(basename "$f" .bin); call=${call#*-}
    protoc --decode=aesm.message.Request -I "$proto" aesm/aesm.proto <"$f" >"$WORK/dec" 2>"$WORK/err" \
      || { fail "protoc on $f: $(cat "$WORK/err")"; return 1; }
    [ ! -s "$WORK/err" ] || { fail "protoc on $call: $(cat "$WORK/err")"; return 1; }
    ! grep -q timeout "$WORK/dec" || { fail "$call sends a timeout"; return 1; }
    if [ -f "$SGX_DATA/aesm-golden/$call.txt" ]; then
      cmp -s "$WORK/dec" "$SGX_DATA/aesm-golden/$call.txt" || { fail "$call differs from its golden text: $(diff "$WORK/dec" "$SGX_DATA/aesm-golden/$call.txt" | head -5)"; return 1; }
    fi
    seen="$seen $call"
  done
  for call in SelectAttKeyID InitQuoteEx GetQuoteSizeEx GetQuoteEx GetLaunchToken; do
    case " $seen " in *" $call "*) ;; *) fail "no $call captured:$seen"; return 1 ;; esac
  done
  protoc --decode=aesm.message.Request -I "$proto" aesm/aesm.proto <"$(ls "$WORK"/cap/*-GetQuoteEx.bin | tail -1)" >"$WORK/dec"
  grep -q 'qe_report_info: ' "$WORK/dec" && grep -qE '^  buf_size: [0-9]+$' "$WORK/dec" || fail "GetQuoteEx: $(grep -v report "$WORK/dec")"
}

# Each --misbehave mode gives its own error, naming the socket.
t_each_broken_answer_has_its_own_error() {
  local mode want n=0
  while IFS='|' read -r mode want; do
    n=$((n + 1)); SOCK=mb$n
    start_sim "$SOCK" --misbehave "$mode" || return 1
    T --timeout 1 gen-qe-target-info --targetinfo "$WORK/ti$n.bin" >/dev/null 2>"$WORK/err"
    local rc=$?
    [ $rc != 0 ] || { fail "$mode: succeeded"; return 1; }
    grep -q "$WORK/$SOCK.sock" "$WORK/err" || { fail "$mode: the socket is not named: $(cat "$WORK/err")"; return 1; }
    grep -q -- "$want" "$WORK/err" || { fail "$mode: want \`$want\` in: $(cat "$WORK/err")"; return 1; }
    [ ! -e "$WORK/ti$n.bin" ] || { fail "$mode: a file was written"; return 1; }
  done <<'EOF'
short@InitQuoteEx|of its reply to InitQuoteEx
oversized@InitQuoteEx|announced a 2097152-byte reply to InitQuoteEx (limit 1048576)
trailing@InitQuoteEx|bytes after its
no-errorcode@InitQuoteEx|has no errorCode
close@InitQuoteEx|closed the connection without answering InitQuoteEx
error:2@InitQuoteEx|2 AESM_NO_DEVICE_ERROR (aesmd found no SGX device
error:44@InitQuoteEx|44 AESM_NO_PLATFORM_CERT_DATA
EOF
  # stall: the deadline, within 2 s of --timeout 1.
  SOCK=stall; start_sim stall --misbehave stall@InitQuoteEx || return 1
  local t0=$(date +%s%N)
  T --timeout 1 gen-qe-target-info --targetinfo "$WORK/st.bin" >/dev/null 2>"$WORK/err" && { fail "stall: succeeded"; return 1; }
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -q 'did not answer InitQuoteEx within 1 s' "$WORK/err" || fail "stall: $(cat "$WORK/err")" || return 1
  [ $ms -lt 2000 ] || fail "stall took $ms ms" || return 1
  # split: 1-byte writes are read whole.
  SOCK=split; start_sim split --misbehave split || return 1
  T gen-qe-target-info --targetinfo "$WORK/sp.bin" >/dev/null 2>"$WORK/err" || fail "split: $(cat "$WORK/err")" || return 1
  # No listener: the path, and that aesmd is not running.
  SOCK=nobody
  T gen-qe-target-info --targetinfo "$WORK/no.bin" >/dev/null 2>"$WORK/err"; [ $? = 1 ] || fail "no listener: exit" || return 1
  grep -q "cannot reach aesmd at \`$WORK/nobody.sock\`.*aesmd is not running" "$WORK/err" || fail "no listener: $(cat "$WORK/err")" || return 1
  # An aesmd without GetSupportedAttKeyID* (older than 2.9.1) whose selection fails: the client
  # falls back to Intel's QE3 key id, which aesm-sim does not have: 38.
  SOCK=old; start_sim old --misbehave error:1@SelectAttKeyID --misbehave close@GetSupportedAttKeyIDNum || return 1
  T gen-qe-target-info --targetinfo "$WORK/old.bin" >/dev/null 2>"$WORK/err"; [ $? = 1 ] || fail "old aesmd: exit" || return 1
  grep -q '38 AESM_UNSUPPORTED_ATT_KEY_ID' "$WORK/err" || fail "old aesmd: $(cat "$WORK/err")"
}

t_vectors_verify_with_their_verdicts_and_dump_their_fmspc() {
  local n i c name rc want_rc
  n=$(jq '.cases | length' "$VECTORS/cases.json")
  ln -sfn "$VECTORS" "$WORK/v"
  for ((i = 0; i < n; i++)); do
    c=$(jq -c ".cases[$i]" "$VECTORS/cases.json")
    [ "$(jq -r .tee <<<"$c")" = sgx ] || continue
    name=$(jq -r .name <<<"$c")
    jq '.collateral | map_values("v/" + .)' <<<"$c" >"$WORK/col.json"
    "$SGX_TOOLS" verify-quote --quote "$VECTORS/$(jq -r .evidence <<<"$c")" --collateral "$WORK/col.json" \
      --at "$(jq -r .at <<<"$c")" --json >"$WORK/v.json" 2>"$WORK/err"
    rc=$?; want_rc=1; [ "$(jq -r .expect <<<"$c")" = trusted ] && want_rc=0
    [ $rc = $want_rc ] || { fail "$name: exit $rc, want $want_rc: $(cat "$WORK/v.json" "$WORK/err")"; return 1; }
    [ "$(jq -r .verdict "$WORK/v.json")" = "$(jq -r .expect <<<"$c")" ] || { fail "$name: $(cat "$WORK/v.json")"; return 1; }
    if [ "$(jq -r '.tcb_status // empty' <<<"$c")" ]; then
      [ "$(jq -r .tcb_status "$WORK/v.json")" = "$(jq -r .tcb_status <<<"$c")" ] || { fail "$name tcb: $(cat "$WORK/v.json")"; return 1; }
    fi
    echo "NOTE: $name: exit $rc, $(jq -r .verdict "$WORK/v.json")"
  done
  # occlum with signal-cdsi's collateral: OutOfDate and debug, exit 1.
  jq -n '{root_ca:"v/sgx/signal-cdsi/intel_sgx_root_ca.pem", pck_crl:"v/sgx/signal-cdsi/pck_crl.der",
    pck_crl_issuer_chain:"v/sgx/signal-cdsi/pck_crl_issuer_chain.pem", root_ca_crl:"v/sgx/signal-cdsi/root_ca_crl.der",
    tcb_info:"v/sgx/signal-cdsi/tcb_info.json", tcb_info_issuer_chain:"v/sgx/signal-cdsi/tcb_info_issuer_chain.pem",
    qe_identity:"v/sgx/signal-cdsi/qe_identity.json", qe_identity_issuer_chain:"v/sgx/signal-cdsi/qe_identity_issuer_chain.pem"}' >"$WORK/cdsi.json"
  "$SGX_TOOLS" verify-quote --quote "$VECTORS/sgx/occlum-trustee/occlum_quote.dat" --collateral "$WORK/cdsi.json" \
    --at 1785432688 --json >"$WORK/v.json"
  [ $? = 1 ] || fail "occlum: exit" || return 1
  [ "$(jq -r .tcb_status "$WORK/v.json")" = OutOfDate ] || fail "occlum tcb: $(cat "$WORK/v.json")" || return 1
  jq -e '[.reasons[].check] | index("tcb_status") and index("debug")' "$WORK/v.json" >/dev/null \
    || fail "occlum reasons: $(jq -c .reasons "$WORK/v.json")" || return 1
  # Intel's sample under the production root at 1577836800: pck_chain, exit 1.
  local s=$VECTORS/sgx/intel-dcap-qvl-sample
  jq -n --arg s "$s" '{root_ca:"v/sgx/signal-cdsi/intel_sgx_root_ca.pem", pck_cert:($s+"/pckCert.pem"),
    pck_cert_issuer_chain:($s+"/pckSignChain.pem"), tcb_info:($s+"/tcbInfo.json"),
    tcb_info_issuer_chain:($s+"/tcbSignChain.pem"), qe_identity:($s+"/qeIdentity.json"),
    qe_identity_issuer_chain:($s+"/tcbSignChain.pem"), pck_crl:($s+"/intermediateCaCrl.pem"),
    pck_crl_issuer_chain:($s+"/pckSignChain.pem"), root_ca_crl:($s+"/rootCaCrl.pem")}' >"$WORK/sample.json"
  "$SGX_TOOLS" verify-quote --quote "$s/quote.dat" --collateral "$WORK/sample.json" --at 1577836800 --json >"$WORK/v.json" 2>"$WORK/err"
  [ $? = 1 ] || fail "sample: exit: $(cat "$WORK/v.json" "$WORK/err")" || return 1
  jq -e '[.reasons[].check] | index("pck_chain")' "$WORK/v.json" >/dev/null || fail "sample reasons: $(jq -c .reasons "$WORK/v.json")" || return 1
  # dump: each MANIFEST's FMSPC and TCB (PCESVN).
  "$SGX_TOOLS" dump "$VECTORS/sgx/signal-cdsi/quote.bin" >"$WORK/d" || fail "dump cdsi" || return 1
  grep -qE 'pck\.fmspc +00606a000000' "$WORK/d" || fail "cdsi fmspc: $(grep pck "$WORK/d")" || return 1
  grep -qE 'pck\.tcb\.comp_svn +16,16,3,3,255,255,1,0' "$WORK/d" || fail "cdsi tcb: $(grep pck "$WORK/d")" || return 1
  grep -qE 'pck\.tcb\.pce_svn +13' "$WORK/d" || fail "cdsi pcesvn: $(grep pck "$WORK/d")" || return 1
  "$SGX_TOOLS" dump "$VECTORS/sgx/occlum-trustee/occlum_quote.dat" >"$WORK/d" || fail "dump occlum" || return 1
  grep -qE 'pck\.fmspc +00606a000000' "$WORK/d" || fail "occlum fmspc" || return 1
  grep -qE 'pck\.tcb\.comp_svn +4,4,3,3,255,255,0' "$WORK/d" || fail "occlum tcb: $(grep pck "$WORK/d")" || return 1
  grep -qE 'pck\.tcb\.pce_svn +11' "$WORK/d" || fail "occlum pcesvn" || return 1
  # Type 1 (PPID): the FMSPC comes from --pck-cert.
  "$SGX_TOOLS" dump "$s/quote.dat" >"$WORK/d" || fail "dump sample" || return 1
  grep -q 'give --pck-cert' "$WORK/d" || fail "sample without --pck-cert: $(tail -3 "$WORK/d")" || return 1
  "$SGX_TOOLS" dump "$s/quote.dat" --pck-cert "$s/pckCert.pem" >"$WORK/d" || fail "dump sample --pck-cert" || return 1
  grep -qE 'pck\.fmspc +[0-9a-f]{12} \(--pck-cert' "$WORK/d" || fail "sample fmspc: $(grep pck "$WORK/d")"
}

t_sigstructs_and_launch_tokens() {
  local le=$SGX_DATA/le_prod_css.bin
  # Intel's production LE SIGSTRUCT: printed and checked; a token from aesm-sim.
  T gen-token --signature "$le" --token "$WORK/le.token" --cpuid-7-0-ecx 00000000 >"$WORK/out" 2>&1 \
    || fail "gen-token: $(cat "$WORK/out")" || return 1
  grep -q 'signature, Q1 and Q2 verified; MRSIGNER acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4' "$WORK/out" \
    || fail "gen-token output: $(head -3 "$WORK/out")" || return 1
  grep -qE 'vendor +32902 \(0x00008086\)' "$WORK/out" || fail "vendor" || return 1
  grep -qE 'attributes.flags +0x0000000000000024 \(MODE64BIT\|EINITTOKENKEY\)' "$WORK/out" || fail "attributes" || return 1
  "$SGX_TOOLS" dump "$WORK/le.token" --json >"$WORK/t.json" || fail "dump token" || return 1
  local f; f() { jq -r --arg n "$1" '.fields[] | select(.name == $n) | .value' "$WORK/t.json"; }
  [ "$(f mr_signer)" = acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4 ] || fail "token mr_signer $(f mr_signer)" || return 1
  [ "$(f mr_enclave)" = "$(od -An -j960 -N32 -tx1 "$le" | tr -d ' \n')" ] || fail "token mr_enclave $(f mr_enclave)" || return 1
  [ "$(f valid)" = 1 ] || fail "token valid" || return 1
  # Launch control with the device: tokens unused, exit 2 without --force; the default name.
  mkdir -p "$WORK/devroot/dev"; touch "$WORK/devroot/dev/sgx_enclave"
  cp "$le" "$WORK/le.sig"; rm -f "$WORK/le.token"
  T gen-token --signature "$WORK/le.sig" --cpuid-7-0-ecx 40000000 --device-root "$WORK/devroot" >/dev/null 2>"$WORK/err"
  [ $? = 2 ] || fail "LC: exit" || return 1
  grep -q 'tokens are unused here' "$WORK/err" || fail "LC: $(cat "$WORK/err")" || return 1
  [ ! -e "$WORK/le.token" ] || fail "LC: a token was written although tokens are unused" || return 1
  T gen-token --signature "$WORK/le.sig" --cpuid-7-0-ecx 40000000 --device-root "$WORK/devroot" --force >/dev/null \
    || fail "LC --force" || return 1
  [ "$(stat -c %s "$WORK/le.token")" = 304 ] || fail "default token name" || return 1
  # A bad header: exit 2, one line naming the input, no token.
  python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[0]^=1; open(sys.argv[2],'wb').write(b)" "$le" "$WORK/bad.sig"
  T gen-token --signature "$WORK/bad.sig" >/dev/null 2>"$WORK/err"
  [ $? = 2 ] || fail "bad header: exit" || return 1
  [ "$(wc -l <"$WORK/err")" = 1 ] && grep -q "bad.sig.*HEADER at offset 0" "$WORK/err" || fail "bad header: $(cat "$WORK/err")" || return 1
  [ ! -e "$WORK/bad.token" ] || fail "a token for a bad SIGSTRUCT"
}

t_bad_input_is_one_line_exit_2_and_no_file() {
  head -c 431 /dev/zero >"$WORK/short.report"
  head -c 600 "$VECTORS/sgx/signal-cdsi/quote.bin" >"$WORK/cut.quote"
  local cmd
  while IFS='|' read -r want cmd; do
    eval "T $cmd" >/dev/null 2>"$WORK/err"
    local rc=$?
    [ $rc = 2 ] || { fail "$cmd: exit $rc, want 2: $(cat "$WORK/err")"; return 1; }
    [ "$(wc -l <"$WORK/err")" -le 2 ] || { fail "$cmd: more than one error: $(cat "$WORK/err")"; return 1; }
    grep -q -- "$want" "$WORK/err" || { fail "$cmd: want \`$want\` in $(cat "$WORK/err")"; return 1; }
  done <<EOF
short.report\` has 431 bytes; a REPORT has 432|gen-quote --report $WORK/short.report --quote $WORK/x.quote
must be 16 bytes|gen-quote --report $WORK/short.report --nonce abcd --quote $WORK/x.quote
must be 16 bytes|gen-quote --report $WORK/short.report --nonce zz --quote $WORK/x.quote
EPID is not supported; use ecdsa|gen-quote --quote-type EpidLinkable --report $WORK/short.report
EPID is not supported; use ecdsa|gen-qe-target-info --quote-type epidUnlinkable
EPID is not supported; use ecdsa|gen-quote --spid 00112233445566778899aabbccddeeff --report $WORK/short.report
use \`shelter verify --tee tdx|verify-quote --quote $VECTORS/tdx/go-tdx-guest/quote_v5_sample.dat --trust-sim-root $ST
cut.quote|verify-quote --quote $WORK/cut.quote --trust-sim-root $ST
none.json|verify-quote --quote $VECTORS/sgx/signal-cdsi/quote.bin --collateral $WORK/none.json
--collateral FILE\` is required|verify-quote --quote $VECTORS/sgx/signal-cdsi/quote.bin
signature_data|dump $WORK/cut.quote
bytes, a token is 304|dump $VECTORS/sgx/signal-cdsi/quote.bin --type token
EOF
  [ ! -e "$WORK/x.quote" ] || fail "a quote file was written"
  # A truncated quote's dump prints what parsed before the error.
  "$SGX_TOOLS" dump "$WORK/cut.quote" >"$WORK/d" 2>/dev/null
  grep -q 'body.mr_enclave' "$WORK/d" || fail "the parsed part was not printed: $(head "$WORK/d")"
}

t_aesm_sim_keeps_a_live_socket_replaces_a_stale_one_and_cleans_up() {
  # A live socket (main's): refused, exit 1, the socket still served.
  "$AESM_SIM" --socket "$WORK/main.sock" --state "$ST" >/dev/null 2>"$WORK/err" && { fail "a second aesm-sim started"; return 1; }
  grep -q 'a server already answers' "$WORK/err" || fail "live: $(cat "$WORK/err")" || return 1
  T gen-qe-target-info --targetinfo "$WORK/live.bin" >/dev/null || fail "main no longer answers" || return 1
  # A stale socket file: replaced; SIGTERM removes it and exits 0.
  python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()" "$WORK/stale.sock"
  [ -S "$WORK/stale.sock" ] || fail "no stale socket made" || return 1
  "$AESM_SIM" --socket "$WORK/stale.sock" --state "$ST" >"$WORK/stale.out" 2>"$WORK/stale.log" & local pid=$!
  local i; for i in $(seq 200); do grep -q '^listening on' "$WORK/stale.out" && break; sleep 0.05; done
  grep -q 'simulator' "$WORK/stale.log" || fail "no simulator warning: $(cat "$WORK/stale.log")" || return 1
  SOCK=stale T gen-qe-target-info --targetinfo "$WORK/stale.bin" >/dev/null || fail "stale: not served" || return 1
  kill -TERM $pid; wait $pid; local rc=$?
  [ $rc = 0 ] || fail "exit $rc after SIGTERM" || return 1
  [ ! -e "$WORK/stale.sock" ] || fail "socket left after SIGTERM"
  # Flags: both required.
  "$AESM_SIM" --socket "$WORK/x.sock" 2>"$WORK/err"; [ $? = 2 ] && grep -q -- '--state' "$WORK/err" || fail "no --state: $(cat "$WORK/err")"
}

# rune attest through aesmd's protocol (aesm-sim) on a sim container: the evidence verifies with
# the nonce bound through the QE's TARGETINFO (issue 20's aesmd path).
t_rune_attest_through_aesm_sim() {
  sim_report || return 1
  local nonce=0badc0de
  R attest --aesm-socket "$WORK/main.sock" --nonce $nonce --output "$WORK/ev.bin" sgxc >"$WORK/a.json" 2>"$WORK/err" \
    || fail "rune attest: $(cat "$WORK/err")" || return 1
  jq -r .target_info "$WORK/a.json" | base64 -d >"$WORK/ti.bin"
  [ "$(jq -r .nonce_bound "$WORK/a.json")" = true ] || fail "not bound: $(cat "$WORK/a.json")" || return 1
  "$SHELTER" verify --tee sim --evidence "$WORK/ev.bin" --nonce $nonce --target-info "$WORK/ti.bin" \
    --sim-state-dir "$ST" --policy <(echo '{"trust_sim_root": true}') >"$WORK/v.json" \
    || fail "shelter verify: $(cat "$WORK/v.json")" || return 1
  [ "$(jq -r .verdict "$WORK/v.json")" = trusted ] || fail "verdict: $(cat "$WORK/v.json")"
}

run_tests
