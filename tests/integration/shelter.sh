# `shelter verify` end to end on the real vectors: every case of ../shared/vectors/cases.json
# with its expected verdict, TCB status, advisory IDs and claims, plus exit 2 for unusable input.
# Every real SGX/TDX quote of cases.json is also verified with its PEM chain laid out as other
# real quotes carry it (no newline between the certificates; CRLF lines), expecting the original's
# verdict JSON and exit status.
# Usage: SHELTER=/abs/path/to/shelter PEM_VARIANT=/abs/path/to/pem_variant \
#        VECTORS=/abs/path/to/shared/vectors [SIM_QUOTE=/abs/path/to/sim_quote] bash shelter.sh
set -u
SHELTER=${SHELTER:?set SHELTER to the shelter binary}
VECTORS=${VECTORS:?set VECTORS to ../shared/vectors}
command -v jq >/dev/null || { echo "jq is required (scripts/install-deps.sh)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/shelter-it.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ln -s "$VECTORS" "$WORK/v"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

n=$(jq '.cases | length' "$VECTORS/cases.json")
for ((i = 0; i < n; i++)); do
  c=$(jq -c ".cases[$i]" "$VECTORS/cases.json")
  name=$(jq -r .name <<<"$c")
  # Collateral JSON with paths relative to its own folder ($WORK/v links to the vectors).
  jq '.collateral | map_values("v/" + .)' <<<"$c" > "$WORK/col.json"
  col=$WORK/col.json
  out=$("$SHELTER" verify --tee "$(jq -r .tee <<<"$c")" --evidence "$VECTORS/$(jq -r .evidence <<<"$c")" \
        --collateral "$col" --at "$(jq -r .at <<<"$c")" 2>"$WORK/err")
  rc=$?
  expect=$(jq -r .expect <<<"$c")
  want_rc=1; [ "$expect" = trusted ] && want_rc=0
  verdict=$(jq -r .verdict <<<"$out" 2>/dev/null)
  if [ "$rc" != "$want_rc" ] || [ "$verdict" != "$expect" ]; then
    bad "$name: exit $rc verdict $verdict, want $want_rc $expect; $(cat "$WORK/err")"; continue
  fi
  mismatch=$(jq -rn --argjson c "$c" --argjson o "$out" '
    [ (if $c.tcb_status then (if $o.tcb_status == $c.tcb_status then empty else "tcb_status" end) else empty end),
      (if $c.advisory_ids then (if $o.advisory_ids == $c.advisory_ids then empty else "advisory_ids" end) else empty end),
      ($c.claims // {} | to_entries[] | select($o.claims[.key] != .value) | .key),
      (if $o.verdict == "rejected" and ($o.reasons | length) == 0 then "reasons" else empty end) ] | join(",")')
  if [ -n "$mismatch" ]; then bad "$name: differs in $mismatch: $out"; else ok "$name ($expect)"; fi
done

# The same quotes with their PEM chain laid out another way (tests/helpers/pem_variant.cpp
# re-encodes the quote; the certification data is not signed): the original's exit status and
# verdict JSON, byte for byte. `joined` is the layout of 2020-21 rats-tls and Graphene quotes.
if [ -z "${PEM_VARIANT:-}" ] || [ ! -x "$PEM_VARIANT" ]; then
  bad "PEM layouts: PEM_VARIANT (the tests/helpers/pem_variant binary) is not set or not executable"
else
  for ((i = 0; i < n; i++)); do
    c=$(jq -c ".cases[$i]" "$VECTORS/cases.json")
    tee=$(jq -r .tee <<<"$c")
    [ "$tee" = sgx ] || [ "$tee" = tdx ] || continue
    name=$(jq -r .name <<<"$c")
    evidence=$VECTORS/$(jq -r .evidence <<<"$c")
    jq '.collateral | map_values("v/" + .)' <<<"$c" > "$WORK/col.json"
    args=(verify --tee "$tee" --collateral "$WORK/col.json" --at "$(jq -r .at <<<"$c")")
    want=$("$SHELTER" "${args[@]}" --evidence "$evidence" 2>&1); want_rc=$?
    for layout in joined crlf; do
      if ! "$PEM_VARIANT" "$layout" "$evidence" "$WORK/layout.bin" 2>"$WORK/err"; then
        bad "$name, $layout chain: $(cat "$WORK/err")"; continue
      fi
      joins=$(grep -a -o -- '-----END CERTIFICATE----------BEGIN CERTIFICATE-----' "$WORK/layout.bin" | wc -l)
      if [ "$layout" = joined ] && [ "$joins" != 2 ]; then
        bad "$name, joined chain: $joins END/BEGIN pairs without a newline, want 2"; continue
      fi
      if cmp -s "$evidence" "$WORK/layout.bin"; then bad "$name, $layout chain: unchanged"; continue; fi
      got=$("$SHELTER" "${args[@]}" --evidence "$WORK/layout.bin" 2>&1); rc=$?
      if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then
        ok "$name with a $layout PEM chain: same verdict (exit $rc)"
      else
        bad "$name with a $layout PEM chain: exit $rc, want $want_rc; got $got; want $want"
      fi
    done
  done
fi

# Unusable input: exit 2 and a message naming the file.
Q=$VECTORS/sgx/signal-cdsi/quote.bin
head -c 500 "$Q" > "$WORK/short.bin"
head -c 70000 /dev/zero > "$WORK/big.bin"
echo '{"tcb_info": "nope.json"}' > "$WORK/missing.json"
echo '{"tcb_inf": "x"}' > "$WORK/role.json"
echo '{"trusted": 1}' > "$WORK/policy.json"
expect2() { # expect2 NAME PATTERN ARGS...
  local name=$1 pat=$2; shift 2
  "$SHELTER" verify "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  if [ $rc = 2 ] && grep -q -- "$pat" "$WORK/err"; then ok "$name"; else bad "$name: exit $rc, stderr: $(cat "$WORK/err")"; fi
}
expect2 "truncated evidence" "short.bin" --tee sgx --evidence "$WORK/short.bin"
expect2 "oversized evidence" "larger than 65536" --tee sgx --evidence "$WORK/big.bin"
expect2 "missing evidence" "nothere" --tee sgx --evidence "$WORK/nothere"
expect2 "missing collateral file" "nope.json" --tee sgx --evidence "$Q" --collateral "$WORK/missing.json"
expect2 "unknown collateral role" "tcb_inf" --tee sgx --evidence "$Q" --collateral "$WORK/role.json"
expect2 "bad policy" "trusted" --tee sgx --evidence "$Q" --policy "$WORK/policy.json"
expect2 "wrong tee" "not tdx" --tee tdx --evidence "$Q"
expect2 "unknown tee" "--tee" --tee foo --evidence "$Q"
expect2 "bad --at" "--at" --tee sgx --evidence "$Q" --at yesterday
expect2 "bad --report-data" "--report-data" --tee sgx --evidence "$Q" --report-data xyz

# A report-data mismatch is a rejection (exit 1) naming report_data.
out=$("$SHELTER" verify --tee sgx --evidence "$Q" --at 1785432688 --report-data 00 2>/dev/null); rc=$?
if [ $rc = 1 ] && jq -e '.reasons | map(.check) | index("report_data")' <<<"$out" >/dev/null; then
  ok "report data mismatch"; else bad "report data mismatch: exit $rc $out"; fi
"$SHELTER" verify --help | grep -q -- '--collateral' && ok "help" || bad "help"

# The sim TEE: trusted through --tee sim (its state named by flag), not through --tee sgx.
if [ -n "${SIM_QUOTE:-}" ]; then
  RD=$(printf '%0128x' 42)
  "$SIM_QUOTE" "$WORK/sim" "$RD" "$WORK/sim.quote" || bad "sim_quote failed"
  echo '{"trust_sim_root": true}' > "$WORK/trust-sim.json"
  out=$("$SHELTER" verify --tee sim --sim-state-dir "$WORK/sim" --evidence "$WORK/sim.quote" --report-data "$RD" \
        --policy "$WORK/trust-sim.json"); rc=$?
  if [ $rc = 0 ] && jq -e '.verdict == "trusted" and .tee == "sim" and .tcb_status == "UpToDate"' <<<"$out" >/dev/null; then
    ok "sim quote trusted via --tee sim with a policy trusting the sim root"; else bad "sim quote via --tee sim: exit $rc $out"; fi
  out=$("$SHELTER" verify --tee sim --sim-state-dir "$WORK/sim" --evidence "$WORK/sim.quote"); rc=$?
  if [ $rc = 1 ] && jq -e '.reasons | map(.check) == ["root_ca"]' <<<"$out" >/dev/null; then
    ok "sim quote rejected under the default policy"; else bad "sim under default policy: exit $rc $out"; fi
  out=$("$SHELTER" verify --tee sgx --collateral "$WORK/sim/collateral.json" --evidence "$WORK/sim.quote"); rc=$?
  if [ $rc = 1 ] && jq -e '.reasons | map(.check) == ["root_ca"]' <<<"$out" >/dev/null; then
    ok "sim quote rejected via --tee sgx (root not pinned)"; else bad "sim via sgx: exit $rc $out"; fi
  expect2 "sim state without collateral" "collateral.json" --tee sim --sim-state-dir "$WORK/nosim" --evidence "$WORK/sim.quote"
  [ "$(stat -c %a "$WORK/sim")" = 700 ] && ok "sim state dir is 0700" || bad "sim state dir mode $(stat -c %a "$WORK/sim")"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
