# Cases that docker and podman share word for word, sourced by docker.sh and podman.sh after they
# define: E (the engine's command line), RUN (E run with the runtime under test), IMG, track,
# E_CMD and RUN_CMD (E and RUN as shell strings, for the tmux cases),
# logs_have, and container_cgroup ID (the container's cgroup below the engine's parent). run_suite
# runs these and the suite's own t_ functions.
CASE_FILES+=("${BASH_SOURCE[0]}")

t_run_rm_output() {
  local out; out=$(RUN --rm "$IMG" echo hi 2>&1)
  expect_eq "output" hi "$out"
}
t_exit_code_propagated() {
  RUN --rm "$IMG" sh -c 'exit 3'; expect_eq "exit code" 3 $?
}
t_detached_then_stop() {
  # SIGTERM reaches the workload: its handler's exit code is the container's.
  local id; id=$(RUN -d "$IMG" sh -c 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done') || return 1
  track
  wait_for logs_have "$id" ready || fail "never ready" || return 1
  expect_eq "status" running "$(E inspect -f '{{.State.Status}}' "$id")" || return 1
  E stop -t 20 "$id" >/dev/null || fail "$ENGINE stop failed" || return 1
  expect_eq "status, exit code" "exited 5" "$(E inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" || return 1
  E rm "$id" >/dev/null || fail "$ENGINE rm failed" || return 1
  no_cgroup_left "$(container_cgroup "$id")"
}
t_pids_limit_stops_fork_bomb() {
  local out rc
  out=$(RUN --rm --pids-limit 8 "$IMG" sh -c 'i=0; while [ $i -lt 30 ]; do sleep 10 & i=$((i+1)); done; echo all $i started' 2>&1)
  rc=$?
  expect_match "fork failure" "can't fork" "$out" || return 1
  grep -q 'all 30 started' <<<"$out" && fail "30 processes started under --pids-limit 8: $out"
  [ $rc != 0 ] || fail "exit code 0"
}
t_cpus_half() {
  local out; out=$(RUN --rm --cpus 0.5 "$IMG" sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us' 2>&1)
  expect_eq "cfs quota and period" "50000
100000" "$out"
}
t_seccomp_profile_errno() {
  printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' >"$WORK/seccomp.json"
  local out; out=$(RUN --rm --security-opt "seccomp=$WORK/seccomp.json" "$IMG" sh -c 'mkdir /tmp/x; echo rc=$?; touch /tmp/y && echo touched' 2>&1)
  expect_match "mkdir fails with EPERM" "mkdir: can't create directory '/tmp/x': Operation not permitted" "$out" || return 1
  expect_match "mkdir's status" '^rc=1$' "$out" || return 1
  expect_match "other calls allowed" '^touched$' "$out"
}
t_cap_drop_all() {
  local out; out=$(RUN --rm --cap-drop ALL "$IMG" sh -c 'touch /tmp/f; chown 1 /tmp/f; echo rc=$?; grep CapEff /proc/self/status' 2>&1)
  expect_match "chown fails" 'chown: /tmp/f: Operation not permitted' "$out" || return 1
  expect_match "chown's status" '^rc=1$' "$out" || return 1
  expect_match "no effective capability" '^CapEff:\s+0+$' "$out"
}
t_pause_unpause() {
  local id n1 n2; id=$(RUN -d "$IMG" sh -c 'while :; do echo tick; sleep 0.05; done') || return 1; track
  local pid; pid=$(E inspect -f '{{.State.Pid}}' "$id")
  sleep 0.3
  E pause "$id" >/dev/null || fail "pause failed" || return 1
  expect_eq "paused" "paused true" "$(E inspect -f '{{.State.Status}} {{.State.Paused}}' "$id")" || return 1
  expect_eq "freezer" FROZEN "$(cat "$(cgroup_file "$pid" freezer freezer.state)")" || return 1
  n1=$(E logs "$id" | wc -l); sleep 0.5; n2=$(E logs "$id" | wc -l)
  expect_eq "lines written while paused" "$n1" "$n2" || return 1
  E unpause "$id" >/dev/null || fail "unpause failed" || return 1
  expect_eq "running again" "running false" "$(E inspect -f '{{.State.Status}} {{.State.Paused}}' "$id")" || return 1
  sleep 0.5; n2=$(E logs "$id" | wc -l)
  [ "$n2" -gt "$n1" ] || fail "no output after unpause ($n1 -> $n2)"
}

# --- exec and terminals ----------------------------------------------------------------------
t_exec_output_exit_code_user_workdir_env() {
  local id out; id=$(RUN -d "$IMG" sleep 300) || return 1; track
  out=$(E exec -u 1000:1000 -w /tmp -e X=from-exec "$id" sh -c 'echo "$X $(id -u) $(pwd)"; exit 7' 2>&1)
  expect_eq "exit code" 7 $? || return 1
  expect_eq "output" "from-exec 1000 /tmp" "$out" || return 1
  E exec -d "$id" sh -c 'echo detached > /tmp/d' || fail "exec -d failed" || return 1
  wait_for E exec "$id" test -s /tmp/d || fail "the detached exec did not run" || return 1
  expect_eq "detached exec's file" detached "$(E exec "$id" cat /tmp/d)"
}
t_stop_with_a_running_exec() {
  local id; id=$(RUN -d "$IMG" sleep 300) || return 1; track
  E exec "$id" sleep 300 & local ex=$!
  wait_for E top "$id" || return 1; sleep 0.5
  E stop -t 2 "$id" >/dev/null || fail "stop failed" || return 1
  local i; for i in $(seq 100); do kill -0 $ex 2>/dev/null || break; sleep 0.1; done
  kill -0 $ex 2>/dev/null && { kill $ex; fail "the exec still runs after stop"; return 1; }
  expect_eq "status" exited "$(E inspect -f '{{.State.Status}}' "$id")"
}
t_run_it_terminal() {
  tty_session runit "$RUN_CMD -it --rm $IMG sh" || return 1
  tty_check runit
}
t_exec_it_terminal() {
  local id; id=$(RUN -d "$IMG" sleep 300) || return 1; track
  tty_session execit "$E_CMD exec -it $id sh" || return 1
  tty_check execit
}
t_enclave_exec() {
  needs_rune || return
  local id out; id=$(RUN -d -e ENCLAVE_TYPE=sim -e ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" sleep 300) || return 1; track
  # The engine waits for and signals the proxy whose pid rune wrote (--pid-file).
  out=$(E exec "$id" sh -c 'echo in-enclave; exit 7' 2>&1)
  expect_eq "exit code" 7 $? || return 1
  expect_eq "output" in-enclave "$out" || return 1
  E exec -d "$id" sh -c 'echo detached > /tmp/d' || fail "exec -d failed" || return 1
  wait_for E exec "$id" test -s /tmp/d || fail "the detached exec did not run" || return 1
  # The engine prints the runtime's error on stdout or stderr.
  out=$(E exec -u 1000 "$id" true 2>&1) && { fail "exec -u into an enclave container was taken"; return 1; }
  expect_match "refusal" 'cwd and user must be the container' "$out"
}
t_enclave_run_it_and_exec_it() {
  needs_rune || return
  tty_session encrunit "$RUN_CMD -it --rm -e ENCLAVE_TYPE=sim -e ENCLAVE_RUNTIME_PATH=$SIM_PAL $IMG sh" || return 1
  tty_check encrunit || return 1
  local id; id=$(RUN -d -e ENCLAVE_TYPE=sim -e ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" sleep 300) || return 1; track
  tty_session encexecit "$E_CMD exec -it $id sh" || return 1
  tty_check encexecit
}
