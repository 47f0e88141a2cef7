#!/bin/bash
# containerd 1.6 with the runc v2 shim (its default runtime) running the runtime under test
# through `ctr run --runc-binary`. Private: its own root, state, sockets and config (the CRI plugin
# is disabled: nothing here uses it, and it would start a stream server), its own namespace, and
# ctr's FIFOs and the shim's runtime root under the suite's directory.
ENGINE=containerd
. "$(dirname "$0")/lib.sh"
NS=rune-e2e-$$ # also the containers' cgroup parent: /<namespace>/<id>
ADDR=$WORK/containerd.sock
IMG=localhost/rune-e2e/busybox:latest
C() { ctr -a "$ADDR" -n "$NS" "$@"; }
RUN() { C run --runc-binary "$RUNTIME" --runc-root "$WORK/runtime-state" --fifo-dir "$WORK/fifo" "$@"; }

# cid NAME: a container id of this suite (remembered for the cleanup of its shim socket).
cid() { echo "$1" >>"$WORK/ids"; echo "$1"; }

engine_start() {
  command -v containerd >/dev/null && command -v ctr >/dev/null ||
    { echo "containerd missing (scripts/install-deps.sh)" >"$WORK/start.err"; return 1; }
  cat >"$WORK/config.toml" <<EOF
version = 2
root = "$WORK/root"
state = "$WORK/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ADDR"
[ttrpc]
  address = "$ADDR.ttrpc"
[debug]
  address = "$WORK/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
EOF
  containerd --config "$WORK/config.toml" >"$WORK/daemon.log" 2>&1 &
  CONTAINERD_PID=$!
  wait_daemon "$CONTAINERD_PID" C version >"$WORK/start.err" || { sed -i 's/^/containerd: /' "$WORK/start.err"; return 1; }
  C images import --base-name localhost/rune-e2e/busybox "$IMAGE_DIR/busybox.tar" >"$WORK/import.out" 2>&1 ||
    { cat "$WORK/import.out" >"$WORK/start.err"; return 1; }
}
engine_reset() {
  local t
  [ -n "${CONTAINERD_PID:-}" ] && kill -0 "$CONTAINERD_PID" 2>/dev/null || return 0
  for t in $(C tasks ls -q 2>/dev/null); do C tasks kill -s KILL "$t"; done
  for t in $(C tasks ls -q 2>/dev/null); do wait_for task_gone "$t"; done
  for t in $(C containers ls -q 2>/dev/null); do C containers rm "$t"; done
}
task_gone() { C tasks delete "$1" >/dev/null 2>&1 || ! C tasks ls -q | grep -qx "$1"; }
engine_stop() {
  engine_reset
  stop_pid "${CONTAINERD_PID:-}"
  local i
  for i in $(cat "$WORK/ids" 2>/dev/null); do SHIM_SOCKETS+=("$(shim_socket "$ADDR" "$NS" "$i")"); done
  # A shim outlives containerd: end the ones of this suite's containers (their -id and -namespace).
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 -namespace $NS " 2>/dev/null); do kill -9 "$pid"; done
  remove_cgroups "$NS"
}
status_of() { C tasks ls 2>/dev/null | awk -v t="$1" '$1 == t {print $3}'; }
status_is() { [ "$(status_of "$1")" = "$2" ]; }
ps_lines() { [ "$(C tasks ps "$1" 2>/dev/null | wc -l)" = "$2" ]; }

t_run_rm_output() {
  local out; out=$(RUN --rm "$IMG" "$(cid run1)" echo hi 2>&1)
  expect_eq "output" hi "$out"
}
t_exit_code_propagated() {
  RUN --rm "$IMG" "$(cid exit1)" sh -c 'exit 3'; expect_eq "exit code" 3 $?
}
t_detached_kill_delete() {
  local c; c=$(cid det1)
  RUN -d "$IMG" "$c" sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done' >/dev/null || return 1
  expect_eq "status" RUNNING "$(status_of "$c")" || return 1
  C tasks kill "$c" || fail "kill failed" || return 1
  wait_for status_is "$c" STOPPED ||
    fail "not stopped after SIGTERM: $(status_of "$c")" || return 1
  local out; out=$(C tasks delete "$c" 2>&1) || fail "task delete failed: $out" || return 1
  # ctr prints the exit status only as a warning: the task's exit code reaches delete.
  expect_match "exit status 5" 'exit code 5' "$out" || return 1
  no_cgroup_left "$NS/$c" || return 1
  C containers rm "$c" || fail "container rm failed" || return 1
  [ -z "$(C containers ls -q | grep -x "$c")" ] || fail "container left"
}
t_kill_exited_task_is_not_found() {
  # The shim maps the runtime's "container not running" to NotFound, as it does for runc.
  local c; c=$(cid exited1)
  RUN -d "$IMG" "$c" true >/dev/null || return 1
  wait_for status_is "$c" STOPPED ||
    fail "never stopped: $(status_of "$c")" || return 1
  local out; out=$(C tasks kill "$c" 2>&1) && fail "killing an exited task succeeded: $out"
  expect_match "NotFound" 'process already finished: not found' "$out"
}
t_memory_limit() {
  local c pid; c=$(cid mem1)
  RUN -d --memory-limit 33554432 "$IMG" "$c" sleep 1000 >/dev/null || return 1
  pid=$(C tasks ls | awk -v t="$c" '$1 == t {print $2}')
  expect_eq "memory.limit_in_bytes" 33554432 "$(cat "$(cgroup_file "$pid" memory memory.limit_in_bytes)")" || return 1
  # ... and enforced: a 100 MiB buffer is OOM-killed.
  RUN --rm --memory-limit 33554432 "$IMG" "$(cid mem2)" dd if=/dev/zero of=/dev/null bs=100M count=1 >/dev/null 2>&1
  expect_eq "exit code of the memory hog" 137 $?
}
t_pause_resume() {
  local c pid; c=$(cid pause1)
  RUN -d "$IMG" "$c" sh -c 'while :; do sleep 0.05; done' >/dev/null || return 1
  pid=$(C tasks ls | awk -v t="$c" '$1 == t {print $2}')
  C tasks pause "$c" || fail "pause failed" || return 1
  expect_eq "status" PAUSED "$(status_of "$c")" || return 1
  expect_eq "freezer" FROZEN "$(cat "$(cgroup_file "$pid" freezer freezer.state)")" || return 1
  C tasks resume "$c" || fail "resume failed" || return 1
  expect_eq "status" RUNNING "$(status_of "$c")" || return 1
  expect_eq "freezer" THAWED "$(cat "$(cgroup_file "$pid" freezer freezer.state)")"
}
t_metrics() {
  needs_loadable_cgroups || return # the shim reads the metrics from the container's cgroups
  local c out; c=$(cid metrics1)
  RUN -d --memory-limit 33554432 "$IMG" "$c" sleep 1000 >/dev/null || return 1
  out=$(C tasks metrics "$c" 2>&1) || fail "metrics failed: $out" || return 1
  expect_match "memory limit" '^memory.limit_in_bytes +33554432 *$' "$out" || return 1
  expect_match "memory usage" '^memory.usage_in_bytes +[1-9][0-9]* *$' "$out" || return 1
  expect_match "one pid" '^pids.current +1 *$' "$out"
}
t_ps() {
  local c pid out; c=$(cid ps1)
  RUN -d "$IMG" "$c" sh -c 'sleep 1000 & sleep 1001' >/dev/null || return 1
  pid=$(C tasks ls | awk -v t="$c" '$1 == t {print $2}')
  wait_for ps_lines "$c" 3
  out=$(C tasks ps "$c" 2>&1) || fail "task ps failed: $out" || return 1
  expect_match "the task's pid" "^$pid " "$out" || return 1
  local p n=0
  for p in $(awk 'NR > 1 {print $1}' <<<"$out"); do
    grep -q "^sleep" "/proc/$p/cmdline" 2>/dev/null && n=$((n+1))
  done
  expect_eq "pids that are the container's sleeps" 2 "$n"
}
# --- exec and terminals ----------------------------------------------------------------------
pids_of() { C tasks ps "$1" 2>/dev/null | awk 'NR > 1 {print $1}'; }
t_exec_output_exit_code_user_cwd() {
  local c out; c=$(cid exec1)
  RUN -d "$IMG" "$c" sleep 300 >/dev/null || return 1
  out=$(C tasks exec --exec-id e1 --user 1000 --cwd /tmp "$c" sh -c 'echo "$(id -u) $(pwd)"; exit 6' 2>&1)
  expect_eq "exit code" 6 $? || return 1
  expect_eq "output" "1000 /tmp" "$out"
}
exec_runs() { C tasks ps "$1" 2>/dev/null | grep -q "ExecID:$2,"; }
exec_gone() { ! exec_runs "$@"; }
# kill_execs C WHAT [ignored-term]: in running task C, `kill --exec-id` ends an exec with TERM
# and one that ignores TERM with KILL (with `ignored-term`: after checking that TERM left it
# running), and a kill of the exited exec is NotFound (the shim reaped the pid from --pid-file).
kill_execs() {
  local c=$1 what=$2 out
  C tasks exec -d --exec-id term "$c" sleep 301 >/dev/null || fail "exec -d" || return 1
  wait_for exec_runs "$c" term || fail "the exec does not run: $(C tasks ps "$c")" || return 1
  C tasks kill --exec-id term "$c" || fail "kill --exec-id (TERM) failed" || return 1
  wait_for exec_gone "$c" term || fail "the $what survived SIGTERM: $(C tasks ps "$c")" || return 1
  C tasks exec -d --exec-id hard "$c" sh -c 'trap "" TERM; sleep 302' >/dev/null || fail "exec -d" || return 1
  wait_for exec_runs "$c" hard || return 1
  if [ "${3:-}" = ignored-term ]; then
    C tasks kill --exec-id hard "$c" || fail "kill --exec-id (TERM, ignored) failed" || return 1
    sleep 0.5; exec_runs "$c" hard || fail "an exec that ignores SIGTERM ended on it" || return 1
  fi
  C tasks kill -s KILL --exec-id hard "$c" || fail "kill --exec-id -s KILL failed" || return 1
  wait_for exec_gone "$c" hard || fail "the $what survived SIGKILL: $(C tasks ps "$c")" || return 1
  out=$(C tasks kill --exec-id hard "$c" 2>&1) && fail "killing an exited exec succeeded: $out"
  expect_match "NotFound" 'not found' "$out"
}
t_exec_kill_term_and_kill_then_not_found() {
  local c; c=$(cid exec2)
  RUN -d "$IMG" "$c" sleep 300 >/dev/null || return 1
  kill_execs "$c" exec ignored-term
}
t_run_t_and_exec_t_terminals() {
  local c; c=$(cid tty1)
  tty_session runt "ctr -a $ADDR -n $NS run -t --runc-binary $RUNTIME --runc-root $WORK/runtime-state --fifo-dir $WORK/fifo --rm $IMG $c sh" || return 1
  tty_check runt || return 1
  c=$(cid tty2)
  RUN -d "$IMG" "$c" sleep 300 >/dev/null || return 1
  tty_session exect "ctr -a $ADDR -n $NS tasks exec -t --exec-id sh1 --fifo-dir $WORK/fifo $c sh" || return 1
  tty_check exect
}
t_enclave_exec_and_kill() {
  needs_rune || return
  local c out; c=$(cid encx)
  RUN -d --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" "$c" sleep 300 >/dev/null || return 1
  out=$(C tasks exec --exec-id e1 "$c" sh -c 'echo in-enclave; exit 6' 2>&1)
  expect_eq "exit code" 6 $? || return 1
  expect_eq "output" in-enclave "$out" || return 1
  kill_execs "$c" "enclave exec"
}
t_enclave_run_t_and_exec_t_terminals() {
  needs_rune || return
  local c; c=$(cid enctty1)
  tty_session encrunt "ctr -a $ADDR -n $NS run -t --runc-binary $RUNTIME --runc-root $WORK/runtime-state --fifo-dir $WORK/fifo --rm --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL $IMG $c sh" || return 1
  tty_check encrunt || return 1
  c=$(cid enctty2)
  RUN -d --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" "$c" sleep 300 >/dev/null || return 1
  tty_session encexect "ctr -a $ADDR -n $NS tasks exec -t --exec-id sh1 --fifo-dir $WORK/fifo $c sh" || return 1
  tty_check encexect
}
t_enclave_default_profile() {
  needs_rune || return
  local out rc
  out=$(RUN --rm --env ENCLAVE_TYPE=sim --env ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" "$(cid enc1)" sh -c "$ENCLAVE_SCRIPT" 2>"$WORK/err")
  rc=$?; check_enclave_output $rc "$out" "$(cat "$WORK/err")"
}

run_suite
