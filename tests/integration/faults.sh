#!/bin/bash
# Faults: `rune create` killed with SIGKILL at a random moment, and state.json deleted or
# damaged under a running container. Each time `delete --force` must leave no cgroup, state
# directory or process of the container.
# Usage: RUNE=/abs/path/to/rune [FAULT_TRIES=100] bash faults.sh
. "$(dirname "$0")/lib.sh"
TRIES=${FAULT_TRIES:-100}

# alive PID: running (a zombie waiting for its new parent to reap it is not).
alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }

# Nothing of container ID: no state dir, no cgroup, no process still running its create.
nothing_left() { # nothing_left ID
  local id=$1 i
  for i in $(seq 40); do pgrep -f -- "create --bundle $B $id\$" >/dev/null || break; sleep 0.05; done
  pgrep -f -- "create --bundle $B $id\$" >/dev/null && { echo "a process of $id is left: $(pgrep -af -- "create --bundle $B $id\$")"; return 1; }
  assert_no_leftovers "$id"
}

# kill_loop TRIES: rune create of bundle $B killed after 0-50 ms, then delete -f, TRIES times.
kill_loop() {
  local i id delay rp
  for i in $(seq "$1"); do
    id=k$i-$$; delay=$((RANDOM % 51))
    "$RUNE" --root "$ROOT" create --bundle "$B" $id </dev/null >/dev/null 2>&1 & rp=$!
    sleep "0.$(printf %03d $delay)"
    kill -9 $rp 2>/dev/null; wait $rp 2>/dev/null
    R delete -f $id 2>"$WORK/err" || fail "try $i (killed after ${delay} ms): delete -f: $(cat "$WORK/err")" || return 1
    nothing_left $id || { echo "try $i (killed after ${delay} ms)"; return 1; }
  done
  echo "NOTE: $1 tries"
}

t_create_killed_at_random_moments() { bundle a; sh_args 'sleep 30'; kill_loop "$TRIES"; }

# Without a mount namespace the container's mounts are in the host's table (below rune's
# rootfs bind): none may stay.
t_create_without_namespaces_killed_at_random_moments() {
  bundle a; cfg '.linux.namespaces=[] | del(.hostname)'; sh_args 'sleep 30'; kill_loop $((TRIES / 2))
}

t_state_json_deleted_under_a_running_container() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
  local pid; pid=$(R state ${c1} | jq .pid)
  rm "$ROOT/${c1}/state.json"
  R delete -f ${c1} || fail "delete -f" || return 1
  alive "$pid" && { fail "the container's init $pid still runs"; return 1; }
  nothing_left ${c1}
}

t_state_json_damaged_under_a_running_container() {
  local damage
  for damage in garbage truncated; do
    bundle a; sh_args 'sleep 30'
    R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
    local pid; pid=$(R state ${c1} | jq .pid)
    if [ $damage = garbage ]; then echo 'not json {' > "$ROOT/${c1}/state.json"
    else truncate -s 20 "$ROOT/${c1}/state.json"; fi
    R state ${c1} >/dev/null 2>&1 && { fail "state of a damaged ($damage) state.json succeeded"; return 1; }
    R delete -f ${c1} || fail "delete -f ($damage)" || return 1
    alive "$pid" && { fail "$damage: the container's init $pid still runs"; return 1; }
    nothing_left ${c1} || return 1
  done
}

run_tests
