#!/bin/bash
# containerd-shim-rune-v2 under a private containerd 1.6 (harness.sh), driven by ctr as a user
# would; the runc shim (io.containerd.runc.v2) with runc is the reference where outputs are
# compared. Usage (as root):
#   SHIM_DIR=<dir of the shim> RUNE=<rune> PAL=<liberpal-sim.so> bash tests/e2e/containerd/shim.sh
#   ONLY=regex runs the cases whose name matches.
RUNE=$(realpath "${RUNE:?set RUNE to the rune binary}")
. "$(dirname "$0")/harness.sh"
ONLY=${ONLY:-.}
trap 'harness_stop' EXIT
trap 'exit 130' INT TERM
RUNE_RT=io.containerd.rune.v2
RUNC_RT=io.containerd.runc.v2
fails=0 n=0
fail() { echo "#   $*"; return 1; }
expect_eq() { [ "$2" = "$3" ] || fail "$1: want [$2], got [$3]"; }
expect_match() { grep -qE -- "$2" <<<"$3" || fail "$1: [$3] does not match /$2/"; }
# config NAME ORDINARY_RUNTIME [RUNE]: a shim configuration file; its path.
config() {
  shim_config "$1" "log_level = \"debug\"
[shim]
runtime = \"$2\"
rune = \"${3:-$RUNE}\"
root = \"$WORK/rt\""
}
RRUN() { local cfg=$1; shift; RUN $RUNE_RT --runtime-config-path "$cfg" "$@"; }
shims_of_ns() { harness_shims | wc -l; }
wait_for() { local i; for i in $(seq 100); do "$@" && return 0; sleep 0.1; done; "$@"; }
no_shims() { [ "$(shims_of_ns)" = 0 ]; }

run_case() {
  local name=$1
  grep -qE -- "$ONLY" <<<"$name" || return 0
  n=$((n + 1))
  local out rc
  out=$("$name" 2>&1); rc=$?
  if [ $rc = 0 ]; then echo "ok $n - $name"; else echo "not ok $n - $name"; echo "$out" | sed 's/^/# /'; fails=$((fails + 1)); fi
}

# --- output and exit codes through every ordinary runtime and an enclave ------------------------
run_with() { # run_with RUNTIME
  local name cfg out; name=$(basename "$1"); cfg=$(config "$name" "$1")
  out=$(RRUN "$cfg" --rm "$IMG" "echo-$name" echo hello 2>&1)
  expect_eq "output with $name" hello "$out" || return 1
  RRUN "$cfg" --rm "$IMG" "exit-$name" sh -c 'exit 7' >/dev/null 2>&1
  expect_eq "exit code with $name" 7 $?
}
t_run_runc() {
  run_with runc || return 1
  # The reference: the runc shim with runc gives the same.
  local out; out=$(RUN $RUNC_RT --rm "$IMG" echo-ref echo hello 2>&1)
  expect_eq "output through the runc shim" hello "$out" || return 1
  RUN $RUNC_RT --rm "$IMG" exit-ref sh -c 'exit 7' >/dev/null 2>&1
  expect_eq "exit code through the runc shim" 7 $?
}
t_run_rune() { run_with "$RUNE"; }
t_run_crun() { harness_hybrid_fix; run_with crun; local rc=$?; harness_hybrid_undo; return $rc; }
t_run_enclave() {
  local cfg out rc; cfg=$(config enclave runc)
  out=$(RRUN "$cfg" --rm --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" enc1 \
    sh -c 'echo in-enclave; exit 7' 2>"$WORK/enc.err")
  rc=$?
  expect_eq "enclave output" in-enclave "$out" || return 1
  expect_eq "enclave exit code" 7 $rc || return 1
  # rune ran it, on the sim PAL (which says so on the container's stderr).
  expect_match "the sim PAL's banner" '^liberpal-sim: ' "$(cat "$WORK/enc.err")"
}

# --- events and ps compared with the runc shim ------------------------------------------------
normalize() { grep ' /tasks/' | sed -E 's/^.* (\/tasks\/)/\1/; s/"[0-9]{4}-[0-9-]+T[^"]*"/T/g; s/snapshots\/[0-9]+/snapshots\/N/g; s/[0-9]{2,}/N/g; s/shim-e2e\.[A-Za-z0-9]+/W/g; s/"(d-runc|d-rune)"/"ID"/g; s/\/(d-runc|d-rune)(["\/-])/\/ID\2/g'; }
events_of() { # events_of RUNTIME ID [ARGS]: ctr events during run -d, kill, delete
  local rt=$1 id=$2; shift 2
  C events >"$WORK/events.$id" 2>/dev/null &
  local ep=$!
  sleep 0.3
  RUN "$rt" "$@" -d "$IMG" "$id" sh -c 'trap "exit 5" TERM; while :; do sleep 0.05; done' >/dev/null || return 1
  C tasks ps "$id" >"$WORK/ps.$id" 2>&1
  C tasks kill "$id"
  wait_for task_stopped "$id"
  C tasks delete "$id" >/dev/null 2>&1
  C containers rm "$id"
  sleep 0.5
  kill $ep; wait $ep 2>/dev/null
  normalize <"$WORK/events.$id"
}
task_stopped() { C tasks ls | awk -v t="$1" '$1 == t {print $3}' | grep -qx STOPPED; }
t_events_and_ps_match_the_runc_shim() {
  local cfg want got; cfg=$(config events runc)
  want=$(events_of $RUNC_RT d-runc) || return 1
  got=$(events_of $RUNE_RT d-rune --runtime-config-path "$cfg") || return 1
  [ -n "$want" ] || fail "no events from the runc shim" || return 1
  expect_eq "/tasks events (topics, order, keys)" "$want" "$got" || return 1
  expect_eq "ps header" "$(head -1 "$WORK/ps.d-runc")" "$(head -1 "$WORK/ps.d-rune")" || return 1
  expect_match "ps lists the task's pid" '^[0-9]+ +-' "$(sed -n 2p "$WORK/ps.d-rune")"
}

# --- one shim per pod -------------------------------------------------------------------------
t_one_shim_per_sandbox() {
  local cfg; cfg=$(config pod runc)
  wait_for no_shims || fail "shims of earlier cases still run" || return 1
  RRUN "$cfg" -d --annotation io.kubernetes.cri.sandbox-id=pod1 "$IMG" pod-a sleep 100 >/dev/null || return 1
  RRUN "$cfg" -d --annotation io.kubernetes.cri.sandbox-id=pod1 "$IMG" pod-b sleep 100 >/dev/null || return 1
  expect_eq "shim processes for two containers of one sandbox" 1 "$(shims_of_ns)" || return 1
  local sock; sock=$(sed 's|^unix://||' "$WORK/state/io.containerd.runtime.v2.task/$NS/pod-a/address")
  expect_eq "both bundles name one socket" "$(cat "$WORK/state/io.containerd.runtime.v2.task/$NS/pod-a/address")" \
    "$(cat "$WORK/state/io.containerd.runtime.v2.task/$NS/pod-b/address")" || return 1
  C tasks kill -s KILL pod-a && wait_for task_stopped pod-a && C tasks delete pod-a >/dev/null && C containers rm pod-a || return 1
  expect_eq "pod-b still running" RUNNING "$(C tasks ls | awk '$1 == "pod-b" {print $3}')" || return 1
  C tasks exec --exec-id x pod-b true >/dev/null 2>&1 # Exec is part 1b: refused, the shim stays
  expect_match "ps of pod-b through the shared shim" '^[0-9]+ ' "$(C tasks ps pod-b | sed -n 2p)" || return 1
  C tasks kill -s KILL pod-b && wait_for task_stopped pod-b && C tasks delete pod-b >/dev/null && C containers rm pod-b || return 1
  wait_for no_shims || fail "the shim still runs after both containers were deleted" || return 1
  [ ! -e "$sock" ] || fail "socket $sock left behind"
}

# --- bad input through ctr --------------------------------------------------------------------
t_bad_input_named() {
  local cfg out
  cfg=$(config bad runc)
  out=$(RRUN "$cfg" --rm --env RUNE_CARRIER=occlum "$IMG" bad1 true 2>&1) && fail "RUNE_CARRIER=occlum ran" || true
  expect_match "carrier named" 'RUNE_CARRIER=occlum' "$out" || return 1
  printf '[shim]\nruntime = "runc"\nfrobnicate = true\n' >"$WORK/unknown.toml"
  out=$(RRUN "$WORK/unknown.toml" --rm "$IMG" bad2 true 2>&1) && fail "an unknown key ran" || true
  expect_match "file and line" 'unknown.toml:3' "$out" || return 1
  cfg=$(config norune runc /nonexistent/rune)
  out=$(RRUN "$cfg" --rm --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" bad3 true 2>&1) &&
    fail "an enclave ran without rune" || true
  expect_match "rune's path and key" '/nonexistent/rune.*shim\.rune|shim\.rune.*/nonexistent/rune' "$out" || return 1
  out=$(RRUN "$cfg" --rm "$IMG" ok1 echo still-fine 2>&1)
  expect_eq "an ordinary container with the same config" still-fine "$out" || return 1
  for c in bad1 bad2 bad3; do C containers rm $c >/dev/null 2>&1; done
  wait_for no_shims || fail "shims left after failed creates: $(harness_shims)" || return 1
  [ -z "$(grep " $WORK/state" /proc/self/mountinfo)" ] || fail "mounts left: $(grep " $WORK/state" /proc/self/mountinfo)"
}

harness_start || exit 1
for c in $(declare -F | awk '{print $3}' | grep '^t_'); do run_case "$c"; done
echo "1..$n"
if [ -n "$(harness_sanitizer_reports)" ]; then
  echo "# sanitizer reports:"; cat "$WORK/sanitizer"/* | sed 's/^/#   /' | head -100
  fails=$((fails + 1))
fi
[ $fails = 0 ]
