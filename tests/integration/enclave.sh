#!/bin/bash
# Enclave containers: rune's init-runelet with the ABI test runtimes (v1, v2, v3), the failing
# test runtimes at every stage, and the sim TEE. Every case checks what the runtime recorded
# and that nothing (state, cgroup, mount, process) is left behind.
# Needs PAL_DIR (the built runtimes/) and PROBE (tests/helpers/ptrace_probe, static).
. "$(dirname "$0")/lib.sh"
PAL_DIR=${PAL_DIR:?set PAL_DIR to the directory of the built liberpal-*.so}
PROBE=${PROBE:?set PROBE to the static ptrace_probe binary}
CONSOLE_RECEIVER=${CONSOLE_RECEIVER:?set CONSOLE_RECEIVER to tests/helpers/console_receiver}
REC=$WORK/rec

# ebundle NAME PAL ARGS: a bundle whose PAL (copied into the rootfs as /lib/pal.so) records
# into $REC/calls.log (the host's $REC is bind-mounted at /rec).
ebundle() {
  bundle "$1" || return 1
  rm -rf "$REC"; mkdir -p "$REC"
  mkdir -p "$B/rootfs/lib" "$B/rootfs/rec"
  cp "$PAL_DIR/$2" "$B/rootfs/lib/pal.so"
  cfg --arg rec "$REC" --arg args "record=/rec/calls.log${3:+,$3}" \
    '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/lib/pal.so","ENCLAVE_RUNTIME_ARGS=" + $args]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]}]'
}
calls() { jq -r .call "$REC/calls.log" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# rec CALL FILTER: some record of CALL exists and every one satisfies FILTER.
rec() { jq -s -e --arg c "$1" "[.[] | select(.call==\$c)] | length > 0 and all($2)" "$REC/calls.log" >/dev/null; }
# No process of the container is left (its runelet or anything the runtime started).
assert_gone() { # assert_gone ID PID
  local i; for i in $(seq 50); do kill -0 "$2" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$2" 2>/dev/null && { echo "process $2 of $1 still alive"; return 1; }
  assert_no_leftovers "$1"
}
pid_of() { R state "$1" | jq -r .pid; }

# --- run: output, exit code, call order and arguments, per version -------------------------

run_version() { # run_version V PAL EXPECTED_CALLS
  ebundle run$1 "$2" || return 1
  sh_args 'echo out "$0"; echo err >&2; exit 7'
  cfg '.process.args += ["arg with space"] | .process.env += ["FOO=bar"]'
  local out rc
  out=$(R run --bundle "$B" run$1 2>"$WORK/err"); rc=$?
  [ $rc = 7 ] || fail "exit code $rc, want 7"
  [ "$out" = "out arg with space" ] || fail "stdout: $out"
  grep -qx err "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
  [ "$(calls)" = "$3" ] || fail "calls: $(calls); want: $3"
  local init; init=$(jq -c 'select(.call=="init")' "$REC/calls.log")
  [ "$(jq -r .args <<<"$init")" = "record=/rec/calls.log" ] || fail "init args: $init"
  [ "$(jq -r .log_level <<<"$init")" = info ] || fail "init log level: $init"
  local start; start=$(jq -c 'select(.call=="create_process" or (.call=="exec" and .path))' "$REC/calls.log")
  [ "$(jq -r .path <<<"$start")" = /bin/sh ] || fail "path: $start"
  [ "$(jq -c .argv <<<"$start")" = '["/bin/sh","-c","echo out \"$0\"; echo err >&2; exit 7","arg with space"]' ] \
    || fail "argv: $start"
  jq -e '.stdio | all(. >= 3) and (unique | length == 3)' <<<"$start" >/dev/null \
    || fail "stdio fds are not duplicates: $start"
  if [ "$1" != 1 ]; then
    jq -e '.env | index("FOO=bar") != null and (map(startswith("ENCLAVE_")) | any | not)' <<<"$start" >/dev/null \
      || fail "env (FOO kept, ENCLAVE_* removed): $start"
  fi
  rec exec_return '.exit_value == 7' || fail "exit value"
  assert_no_leftovers run$1
}
t_run_v1() { run_version 1 liberpal-abitest-v1.so "init exec exec_return destroy"; }
t_run_v2() { run_version 2 liberpal-abitest-v2.so "get_version init create_process exec exec_return destroy"; }
t_run_v3() {
  run_version 3 liberpal-abitest-v3.so "get_version init create_process exec exec_return destroy" || return 1
  rec init '.fd == -1 and .addr == 0' \
    || fail "v3 init must get fd -1, addr 0: $(grep init "$REC/calls.log")"
}

# --- create + start: init at create, the process only at start -----------------------------

create_start() { # create_start V PAL CALLS_AFTER_CREATE
  ebundle cs$1 "$2" || return 1
  sh_args 'echo started > /rec/out; exit 3'
  R create --bundle "$B" cs$1 || return 1
  [ "$(status_of cs$1)" = created ] || fail "status after create: $(status_of cs$1)"
  [ "$(calls)" = "$3" ] || fail "calls after create: $(calls); want $3"
  [ -e "$REC/out" ] && fail "the process ran before start"
  local pid; pid=$(pid_of cs$1)
  R start cs$1 || fail "start failed"
  wait_status cs$1 stopped || fail "not stopped: $(status_of cs$1)"
  grep -qx started "$REC/out" || fail "the process did not run"
  calls | grep -q 'destroy$' || fail "no pal_destroy at the end: $(calls)"
  R delete cs$1 || fail "delete failed"
  assert_gone cs$1 "$pid"
}
t_create_start_v1() { create_start 1 liberpal-abitest-v1.so "init"; }
t_create_start_v2() { create_start 2 liberpal-abitest-v2.so "get_version init"; }
t_create_start_v3() { create_start 3 liberpal-abitest-v3.so "get_version init"; }

t_create_start_long_running() {
  # The entrypoint started by `rune start` outlives the request that started it.
  for v in 1 2 3; do
    ebundle cl$v liberpal-abitest-v$v.so || return 1
    sh_args 'read x < /rec/hold; echo "$x" > /rec/out'; mkfifo "$REC/hold"
    R create --bundle "$B" cl$v >/dev/null 2>&1 || return 1
    R start cl$v || fail "v$v: start failed"
    sleep 1
    [ "$(status_of cl$v)" = running ] || fail "v$v: not running 1 s after start: $(status_of cl$v)"
    echo released > "$REC/hold"
    wait_status cl$v stopped || fail "v$v: did not stop"
    grep -qx released "$REC/out" || fail "v$v: the entrypoint did not finish its work"
    R delete cl$v || return 1
  done
}

# --- exec: argv and env intact, stdio, exit code; v1 refuses ----------------------------------

exec_version() { # exec_version V PAL
  ebundle ex$1 "$2" || return 1
  sh_args 'exec 0</rec/hold; read x'
  mkfifo "$REC/hold"
  R run -d --bundle "$B" ex$1 >/dev/null 2>&1 || return 1
  local out rc
  out=$(R exec -e X=from-flag ex$1 sh -c 'printf "[%s]" "$@"; echo " $X"; exit 9' zero "a b" "" 'c"d'); rc=$?
  [ $rc = 9 ] || fail "exec exit code $rc, want 9" || return 1
  [ "$out" = '[a b][][c"d] from-flag' ] || fail "exec output: $out" || return 1
  jq -s -e 'map(select(.call=="create_process" and (.argv|length)==7)) | length == 1 and (.[0].argv[4]=="a b" and .[0].argv[5]=="")' \
    "$REC/calls.log" >/dev/null || fail "argv not intact in the record" || return 1
  out=$(echo piped | R exec ex$1 cat) || fail "exec cat failed" || return 1
  [ "$out" = piped ] || fail "stdin not forwarded: $out" || return 1
  R exec ex$1 sh -c 'echo to-stderr >&2' 2>"$WORK/err" >/dev/null
  grep -qx to-stderr "$WORK/err" || fail "stderr not forwarded" || return 1
  # What the PAL API cannot honour is refused by name, never ignored.
  local flag name
  for flag in "--cwd=/tmp|--cwd" "--user=1|--user" "--cap=CAP_KILL|--cap"; do
    name=${flag#*|}; flag=${flag%|*}
    R exec "$flag" ex$1 true </dev/null 2>"$WORK/err" && { fail "exec $flag accepted"; return 1; }
    grep -qF -- "\`$name\`: not supported by \`rune exec\` into enclave containers" "$WORK/err" || fail "exec $flag: $(cat "$WORK/err")" || return 1
  done
  local pid; pid=$(pid_of ex$1)
  R delete -f ex$1 || fail "delete -f failed" || return 1
  assert_gone ex$1 "$pid"
}
t_exec_v2() { exec_version 2 liberpal-abitest-v2.so; }
# The exec proxy: what --pid-file names and an engine waits for and signals.
ended() { local s; s=$(awk '{print $3}' /proc/$1/stat 2>/dev/null); [ -z "$s" ] || [ "$s" = Z ]; }
wait_ended() { local i; for i in $(seq 100); do ended "$1" && return 0; sleep 0.05; done; return 1; }
pal_pid_of() { # pal_pid_of MARKER: the runtime's pid of the process whose $0 is MARKER
  jq -s -r --arg m "$1" '[.[] | select(.call=="create_process" and .argv[-1]==$m)][0].pid' "$REC/calls.log"; }
had_kill() { jq -s -e --argjson p "$1" --argjson s "$2" 'any(.[]; .call=="kill" and .pid==$p and .sig==$s)' "$REC/calls.log" >/dev/null; }
t_exec_proxy_has_a_host_pid_and_relays_signals() {
  ebundle px liberpal-abitest-v3.so || return 1
  sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" px >/dev/null 2>&1 || return 1
  local init proxy epid i; init=$(pid_of px)
  R exec -d --pid-file "$WORK/px.pid" px sh -c 'trap "exit 4" TERM; while :; do sleep 0.1; done' x-term </dev/null ||
    fail "exec -d --pid-file" || return 1
  proxy=$(cat "$WORK/px.pid"); epid=$(pal_pid_of x-term)
  [ -n "$proxy" ] && [ "$epid" != null ] || fail "proxy $proxy, runtime pid $epid" || return 1
  [ "$(readlink /proc/$proxy/ns/pid)" = "$(readlink /proc/$init/ns/pid)" ] || fail "the proxy is not in the container's pid namespace" || return 1
  [ "$(readlink /proc/$proxy/ns/mnt)" = "$(readlink /proc/$init/ns/mnt)" ] || fail "the proxy is not in the container's mount namespace" || return 1
  ! ended "$proxy" || fail "the proxy did not wait for its process" || return 1
  kill -TERM "$proxy"
  wait_ended "$proxy" || fail "the proxy outlived its process after SIGTERM" || return 1
  had_kill "$epid" 15 || fail "no pal_kill($epid, SIGTERM): $(calls)" || return 1
  # SIGKILL cannot be relayed: the runelet sees the connection close and kills the process.
  R exec -d --pid-file "$WORK/px.pid" px sh -c 'trap "" TERM; while :; do sleep 0.1; done' x-kill </dev/null || fail "exec -d" || return 1
  proxy=$(cat "$WORK/px.pid"); epid=$(pal_pid_of x-kill)
  kill -KILL "$proxy"
  for i in $(seq 100); do had_kill "$epid" 9 && break; sleep 0.05; done
  had_kill "$epid" 9 || fail "no pal_kill($epid, SIGKILL) after the proxy was killed: $(calls)" || return 1
  # Foreground: rune waits for the proxy and relays to it; the exit code is the process's.
  "$RUNE" --root "$ROOT" exec px sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done' x-fg </dev/null & local bg=$!
  for i in $(seq 100); do [ "$(pal_pid_of x-fg)" != null ] && break; sleep 0.05; done
  kill -TERM $bg; wait $bg; local rc=$?
  [ $rc = 5 ] || fail "foreground exec killed with TERM: exit $rc, want 5" || return 1
  # A process file with the container's cwd and user (what engines send) is taken; another is not.
  jq -n '{user:{uid:0,gid:0},cwd:"/",args:["sh","-c","exit 3"],env:["PATH=/bin"]}' > "$WORK/p.json"
  R exec --process "$WORK/p.json" px </dev/null; rc=$?
  [ $rc = 3 ] || fail "--process: exit $rc, want 3" || return 1
  jq '.cwd="/tmp"' "$WORK/p.json" > "$WORK/p2.json"
  R exec --process "$WORK/p2.json" px </dev/null 2>"$WORK/err" && { fail "a process file with another cwd was taken"; return 1; }
  grep -q 'its cwd and user must be the container' "$WORK/err" || fail "$(cat "$WORK/err")"
}
t_exec_v3() { exec_version 3 liberpal-abitest-v3.so; }
t_exec_v1_refused() {
  ebundle exv1 liberpal-abitest-v1.so || return 1
  sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" exv1 >/dev/null 2>&1 || return 1
  R exec exv1 true 2>"$WORK/err" && fail "exec into a v1 container succeeded"
  grep -q 'PAL API v1' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
}
# --- kill: SIGTERM through pal_kill (v2+) and pal_destroy; v1 ends the container -----------

kill_term() { # kill_term V PAL CALLS_TAIL
  ebundle kt$1 "$2" || return 1
  sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" kt$1 >/dev/null 2>&1 || return 1
  local pid; pid=$(pid_of kt$1)
  R kill kt$1 TERM || fail "kill failed"
  wait_status kt$1 stopped || fail "not stopped after SIGTERM"
  calls | grep -q "$3\$" || fail "calls: $(calls); want ... $3"
  R delete kt$1 || fail "delete failed"
  assert_gone kt$1 "$pid"
}
t_kill_term_v1() { kill_term 1 liberpal-abitest-v1.so "init destroy"; }
t_kill_term_v2() {
  kill_term 2 liberpal-abitest-v2.so "kill exec_return destroy" || return 1
  rec kill '.pid == -1 and .sig == 15' || fail "kill args"
}
t_kill_term_v3() { kill_term 3 liberpal-abitest-v3.so "kill exec_return destroy"; }
t_kill_signal_forwarded() {
  ebundle ku liberpal-abitest-v2.so || return 1
  sh_args 'trap "echo got-usr1 > /rec/usr1; exit 4" USR1; exec 3</rec/hold; while read x <&3; do :; done; sleep 100'
  mkfifo "$REC/hold"
  R run -d --bundle "$B" ku >/dev/null 2>&1 || return 1
  sleep 0.3
  R kill ku USR1 || fail "kill USR1 failed"
  rec kill '.pid == -1 and .sig == 10' || fail "no pal_kill(-1, 10)"
  R kill ku KILL || fail "kill KILL failed"
  wait_status ku stopped || fail "not stopped after SIGKILL"
  calls | grep -q destroy && fail "pal_destroy after SIGKILL (it cannot run)"
  R delete ku || fail "delete failed"
  assert_no_leftovers ku
}
t_run_exit_code_and_signal() {
  ebundle rs liberpal-abitest-v3.so || return 1
  sh_args 'kill -TERM $$; sleep 5'
  R run --bundle "$B" rs >/dev/null 2>&1; rc=$?
  [ $rc = 143 ] || fail "killed workload: exit $rc, want 143"
  assert_no_leftovers rs
}

# --- failing runtimes at each stage ------------------------------------------------------------

# create fails, naming the runtime, the call and the cause; nothing is left behind.
init_fails() { # init_fails PAL ARGS PATTERN
  ebundle fi liberpal-fail.so || return 1
  [ "$1" = liberpal-fail.so ] || cp "$PAL_DIR/$1" "$B/rootfs/lib/pal.so"
  [ -n "$2" ] && cfg --arg a "record=/rec/calls.log,$2" '.process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=" + $a else . end)'
  R create --bundle "$B" fi 2>"$WORK/err" >/dev/null && fail "create succeeded"
  grep -q '/lib/pal.so' "$WORK/err" || fail "error does not name the runtime: $(cat "$WORK/err")"
  grep -qE "$3" "$WORK/err" || fail "error does not say /$3/: $(cat "$WORK/err")"
  [ "$(wc -l < "$WORK/err")" = 1 ] || fail "more than one error line: $(cat "$WORK/err")"
  assert_no_leftovers fi
}
t_fail_init_negerrno() { init_fails liberpal-fail.so fail=init:negerrno '`pal_init` failed: returned -8 \(Exec format error\)'; }
t_fail_init_minus1() { init_fails liberpal-fail.so fail=init:minus1 '`pal_init` failed: returned -1, errno 5 \(Input/output error\)'; }
t_fail_init_plus1() { init_fails liberpal-fail.so fail=init:plus1 '`pal_init` failed: returned 1 \(any non-zero'; }
t_fail_init_exit() { init_fails liberpal-fail.so fail=init:exit 'exited with status 1 during `pal_init`'; }
t_fail_init_crash() { init_fails liberpal-fail.so fail=init:crash 'killed by signal 11 \(SEGV\) during `pal_init`'; }
t_fail_missing_init() { init_fails liberpal-nosym-init.so "" 'missing required symbol `pal_init`'; }
t_fail_missing_create() { init_fails liberpal-nosym-create.so "" 'missing required symbol `pal_create_process`'; }
t_fail_version4() { init_fails liberpal-v4.so "" '`pal_get_version` returned 4'; }
t_fail_not_elf() {
  ebundle ne liberpal-abitest-v2.so || return 1
  echo "not a shared object" > "$B/rootfs/lib/pal.so"
  R create --bundle "$B" ne 2>"$WORK/err" >/dev/null && fail "create succeeded"
  grep -q 'enclave runtime `/lib/pal.so`: cannot load it' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers ne
}
t_fail_missing_pal() {
  ebundle mp liberpal-abitest-v2.so || return 1
  rm "$B/rootfs/lib/pal.so"
  R create --bundle "$B" mp 2>"$WORK/err" >/dev/null && fail "create succeeded"
  grep -q 'cannot load it.*No such file' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers mp
}
t_fail_pal_is_host_path_only() {
  # The PAL path is resolved inside the rootfs: a host file at that path is never loaded.
  ebundle hp liberpal-abitest-v2.so || return 1
  cfg --arg p "$PAL_DIR/liberpal-abitest-v2.so" '.process.env |= map(if startswith("ENCLAVE_RUNTIME_PATH=") then "ENCLAVE_RUNTIME_PATH=" + $p else . end)'
  R create --bundle "$B" hp 2>"$WORK/err" >/dev/null && fail "a host path was loaded"
  grep -q 'cannot load it' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers hp
}

# A stage after init: create_process fails at start (create+start and run).
t_fail_create_process_at_start() {
  for mode in negerrno minus1 plus1 exit crash; do
    ebundle fc liberpal-fail.so fail=create_process:$mode || return 1
    R create --bundle "$B" fc >/dev/null 2>&1 || fail "$mode: create failed"
    local pid; pid=$(pid_of fc)
    R start fc 2>"$WORK/err" && fail "$mode: start succeeded"
    case $mode in exit|crash) pat='closed the connection' ;; *) pat='`pal_create_process` failed' ;; esac
    grep -q "$pat" "$WORK/err" || fail "$mode: unclear: $(cat "$WORK/err")"
    wait_status fc stopped || fail "$mode: not stopped"
    R delete fc || fail "$mode: delete failed"
    assert_gone fc "$pid" || return 1
  done
}
t_fail_create_process_run() {
  ebundle fr liberpal-fail.so fail=create_process:minus1 || return 1
  R run --bundle "$B" fr 2>"$WORK/err" >/dev/null && fail "run succeeded"
  grep -q '`pal_create_process` failed: returned -1, errno 5' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers fr
}
# pal_exec, pal_kill, pal_destroy and pal_get_local_report failing in each return convention.
declare -A WANT=([negerrno]='returned -8 \(Exec format error\)' [minus1]='returned -1, errno 5 \(Input/output error\)' [plus1]='returned 1 \(any non-zero')
t_fail_exec() {
  for mode in negerrno minus1 plus1; do
    ebundle fe liberpal-fail.so fail=exec:$mode || return 1
    R run --bundle "$B" fe 2>"$WORK/err" >/dev/null; rc=$?
    [ $rc = 127 ] || fail "$mode: exit $rc, want 127"
    grep -qE "\`pal_exec\` failed: ${WANT[$mode]}" "$WORK/err" || fail "$mode: unclear: $(cat "$WORK/err")"
    calls | grep -q 'destroy$' || fail "$mode: no pal_destroy: $(calls)"
    assert_no_leftovers fe || return 1
  done
}
t_fail_kill() {
  for mode in negerrno minus1 plus1; do
    ebundle fk liberpal-fail.so fail=kill:$mode || return 1
    sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
    R run -d --bundle "$B" fk >/dev/null 2>&1 || return 1
    local pid; pid=$(pid_of fk)
    R kill fk TERM 2>"$WORK/err" && fail "$mode: kill succeeded"
    grep -qE "\`pal_kill\(-1, 15\)\` failed: ${WANT[$mode]}" "$WORK/err" || fail "$mode: unclear: $(cat "$WORK/err")"
    # SIGTERM still ends the container after the grace period, with pal_destroy.
    local i; for i in $(seq 100); do [ "$(status_of fk)" = stopped ] && break; sleep 0.1; done
    [ "$(status_of fk)" = stopped ] || fail "$mode: not stopped after the grace period"
    calls | grep -q 'destroy$' || fail "$mode: no pal_destroy: $(calls)"
    R delete fk || fail "$mode: delete failed"
    assert_gone fk "$pid" || return 1
  done
}
t_fail_destroy() {
  for mode in negerrno minus1 plus1; do
    ebundle fd liberpal-fail.so fail=destroy:$mode || return 1
    sh_args 'echo done; exit 5'
    out=$(R run --bundle "$B" fd 2>"$WORK/err"); rc=$?
    [ "$out" = done ] || fail "$mode: output: $out"
    [ $rc = 5 ] || fail "$mode: exit $rc, want the workload's 5"
    grep -qE "\`pal_destroy\` failed: ${WANT[$mode]}" "$WORK/err" || fail "$mode: unclear: $(cat "$WORK/err")"
    assert_no_leftovers fd || return 1
  done
}
t_fail_attest() {
  for mode in negerrno minus1 plus1; do
    ebundle fa liberpal-fail.so fail=get_local_report:$mode || return 1
    sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
    R run -d --bundle "$B" fa >/dev/null 2>&1 || return 1
    R attest --report fa 2>"$WORK/err" >"$WORK/out" && fail "$mode: attest succeeded"
    [ -s "$WORK/out" ] && fail "$mode: attest printed a report"
    grep -qE "\`pal_get_local_report\` failed: ${WANT[$mode]}" "$WORK/err" || fail "$mode: unclear: $(cat "$WORK/err")"
    [ "$(status_of fa)" = running ] || fail "$mode: a failed attest ended the container"
    R delete -f fa || return 1
    assert_no_leftovers fa || return 1
  done
}
t_fail_bad_settings() {
  ebundle bs liberpal-abitest-v2.so || return 1
  cfg '.process.env += ["ENCLAVE_RUNTIME_LOGLEVEL=loud"]'
  R create --bundle "$B" bs 2>"$WORK/err" && fail "bad log level accepted"
  grep -q 'ENCLAVE_RUNTIME_LOGLEVEL.*loud' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers bs || return 1
  ebundle bs liberpal-abitest-v2.so || return 1
  cfg '.process.env |= map(if .=="ENCLAVE_TYPE=sim" then "ENCLAVE_TYPE=tdx" else . end)'
  R create --bundle "$B" bs 2>"$WORK/err" && fail "type tdx accepted"
  grep -q 'enclave type `tdx` is not supported' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers bs
}
t_intel_sgx_needs_the_device() {
  if [ -e /dev/sgx_enclave ] || [ -e /dev/sgx/enclave ] || [ -e /dev/isgx ]; then
    echo "this host has SGX: the missing-device error cannot be shown here"; return 0
  fi
  ebundle sg liberpal-abitest-v2.so || return 1
  cfg '.process.env |= map(if .=="ENCLAVE_TYPE=sim" then "ENCLAVE_TYPE=intelSgx" else . end)'
  R create --bundle "$B" sg 2>"$WORK/err" && fail "intelSgx without the device was accepted"
  grep -q 'enclave type `intelSgx` needs the SGX device' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  assert_no_leftovers sg
}
t_annotations_and_env_precedence() {
  ebundle an liberpal-abitest-v2.so || return 1
  # Settings from annotations; the env's ENCLAVE_RUNTIME_ARGS wins over the annotation's.
  cfg '.process.env |= map(select(startswith("ENCLAVE_TYPE=") or startswith("ENCLAVE_RUNTIME_PATH=") | not))
       | .annotations = {"enclave.type":"sim","enclave.runtime.path":"/lib/pal.so","enclave.runtime.args":"ignored","enclave.runtime.loglevel":"DEBUG"}'
  sh_args 'true'
  R run --bundle "$B" an >/dev/null 2>&1 || fail "run failed"
  rec init '.args == "record=/rec/calls.log" and .log_level == "debug"' \
    || fail "init: $(grep init "$REC/calls.log")"
}

# --- the sim TEE ---------------------------------------------------------------------------------

simbundle() {
  bundle "$1" || return 1
  rm -rf "$REC"; mkdir -p "$REC"
  cfg --arg rec "$REC" --arg pal "$PAL_DIR/liberpal-sim.so" \
    '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so","ENCLAVE_RUNTIME_ARGS=measurement-log=/rec/measurements.log"]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]},
                   {"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]'
}
t_sim_run_confined() {
  simbundle sim1 || return 1
  sh_args 'echo hello; grep Seccomp: /proc/self/status'
  out=$(R run --bundle "$B" sim1 2>"$WORK/err") || fail "run failed: $(cat "$WORK/err")"
  echo "$out" | grep -qx hello || fail "output: $out"
  echo "$out" | grep -qE '^Seccomp:\s+2$' || fail "no seccomp filter: $out"
  grep -q 'protects nothing against the host' "$WORK/err" || fail "no startup warning: $(cat "$WORK/err")"
  assert_no_leftovers sim1
}
t_sim_attest_and_probe() {
  simbundle sim2 || return 1
  cp "$PROBE" "$B/rootfs/bin/ptrace_probe"
  sh_args 'echo $$ > /rec/pid; exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" sim2 >/dev/null 2>&1 || return 1
  local i; for i in $(seq 50); do [ -s "$REC/pid" ] && break; sleep 0.05; done
  R attest --report --output "$WORK/report.bin" sim2 > "$WORK/report.json" || fail "attest failed"
  want=$(sha256sum "$REC/measurements.log" | cut -d' ' -f1)
  [ "$(jq -r .mrenclave "$WORK/report.json")" = "$want" ] || fail "mrenclave $(jq -r .mrenclave "$WORK/report.json") != sha256(log) $want"
  [ "$(stat -c %s "$WORK/report.bin")" = 432 ] || fail "raw report size"
  [ "$(base64 -w0 "$WORK/report.bin")" = "$(jq -r .raw "$WORK/report.json")" ] || fail "raw != --output"
  [ "$(jq -r .debug "$WORK/report.json")" = false ] || fail "debug"
  busybox_hash=$(sha256sum "$B/rootfs/bin/busybox" | cut -d' ' -f1)
  grep -q "^binary $busybox_hash /bin/sh\$" "$REC/measurements.log" \
    || fail "the log's binary hash is not sha256(busybox) $busybox_hash: $(cat "$REC/measurements.log")"
  out=$(R exec sim2 /bin/ptrace_probe "$(cat "$REC/pid")") || fail "probe failed"
  echo "$out" | grep -q '^ptrace_attach errno=0$' && fail "ptrace attach worked: $out"
  echo "$out" | grep -q '^proc_mem errno=0$' && fail "/proc/PID/mem readable: $out"
  echo "$out" | grep -qE '^Seccomp:\s+2$' || fail "the exec'd helper has no seccomp filter: $out"
  sim_evidence_checks sim2 || return 1
  # A v3 runtime without attestation: a clear error.
  R delete -f sim2
  ebundle nv liberpal-abitest-v2.so || return 1
  sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" nv >/dev/null 2>&1 || return 1
  R attest --report nv 2>"$WORK/err" && fail "attest on v2 succeeded"
  grep -q 'does not export `pal_get_local_report`' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  R attest nv 2>"$WORK/err" && fail "evidence from a v2 runtime"
  grep -q 'PAL API v2' "$WORK/err" || fail "the PAL version is not named: $(cat "$WORK/err")"
  R delete -f nv
  # A v3 runtime that does not hash the TARGETINFO into REPORTDATA cannot bind a nonce.
  ebundle zr liberpal-abitest-v3.so || return 1
  sh_args 'exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" zr >/dev/null 2>&1 || return 1
  R attest --nonce 0011 --sim-state-dir "$WORK/sim-state" zr >"$WORK/out" 2>"$WORK/err" && fail "a nonce bound by abitest-v3"
  grep -q 'liberpal-abitest-v3.so.*cannot bind a nonce' "$WORK/err" || fail "the runtime is not named: $(cat "$WORK/err")"
  [ -s "$WORK/out" ] && fail "evidence printed: $(cat "$WORK/out")"
  R delete -f zr
  # An ordinary container has no evidence.
  bundle plain || return 1
  cfg '.process.args=["/bin/sleep","30"]'
  R run -d --bundle "$B" plain >/dev/null 2>&1 || return 1
  R attest plain 2>"$WORK/err" && fail "evidence from an ordinary container"
  grep -q 'not an enclave container' "$WORK/err" || fail "unclear: $(cat "$WORK/err")"
  R delete -f plain
}
# rune attest's evidence for a running sim container ID: bound to the nonce, its MRENCLAVE the
# measurement log's hash, trusted by shelter verify with that nonce only.
sim_evidence_checks() {
  local id=$1 st="$WORK/sim-state" want
  printf '{"trust_sim_root": true}' >"$WORK/trust-sim.json"
  R attest --nonce 00112233445566778899 --output "$WORK/ev.bin" --sim-state-dir "$st" "$id" \
    >"$WORK/ev.json" 2>"$WORK/err" || fail "rune attest failed: $(cat "$WORK/err")" || return 1
  want=$(sha256sum "$REC/measurements.log" | cut -d' ' -f1)
  [ "$(jq -r .nonce_bound "$WORK/ev.json")" = true ] || fail "nonce not bound: $(cat "$WORK/ev.json")" || return 1
  [ "$(jq -r .nonce "$WORK/ev.json")" = 00112233445566778899 ] || fail "nonce: $(jq -r .nonce "$WORK/ev.json")" || return 1
  [ "$(jq -r .claims.mrenclave "$WORK/ev.json")" = "$want" ] || fail "evidence mrenclave != sha256(log) $want" || return 1
  [ "$(jq -r .evidence "$WORK/ev.json")" = "$(base64 -w0 "$WORK/ev.bin")" ] || fail "evidence != --output" || return 1
  [ "$(jq -r .verified "$WORK/ev.json")" = false ] || fail "verified" || return 1
  "$SHELTER" verify --tee sim --evidence "$WORK/ev.bin" --nonce 00112233445566778899 \
    --sim-state-dir "$st" --policy "$WORK/trust-sim.json" >"$WORK/verdict.json" \
    || fail "shelter verify: $(cat "$WORK/verdict.json")" || return 1
  [ "$(jq -r .claims.report_origin "$WORK/verdict.json")" = host ] || fail "origin: $(cat "$WORK/verdict.json")" || return 1
  "$SHELTER" verify --tee sim --evidence "$WORK/ev.bin" --nonce 00112233445566778898 \
    --sim-state-dir "$st" --policy "$WORK/trust-sim.json" >"$WORK/verdict.json" && fail "another nonce was trusted"
  [ "$(jq -r '.reasons[0].check' "$WORK/verdict.json")" = report_data ] || fail "wrong nonce: $(cat "$WORK/verdict.json")" || return 1
  # The default nonce is 32 random bytes, fresh each time.
  local n1 n2
  n1=$(R attest --sim-state-dir "$st" "$id" | jq -r .nonce); n2=$(R attest --sim-state-dir "$st" "$id" | jq -r .nonce)
  [ ${#n1} = 64 ] && [ "$n1" != "$n2" ] || fail "default nonces $n1 $n2"
}
t_sim_attest_without_a_log_file() {
  # No measurement log: the binary is hashed while the workload starts; the report waits for it and
  # covers exactly the log the runtime keeps in memory, rebuilt here from the spec.
  simbundle sim3 || return 1
  cfg '.process.env |= map(if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=quiet" else . end)
       | .process.env += ["ENCLAVE_RUNTIME_LOGLEVEL=info"]'
  sh_args 'echo $$ > /rec/pid; exec 0</rec/hold; read x'; mkfifo "$REC/hold"
  R run -d --bundle "$B" sim3 >/dev/null 2>&1 || return 1
  R attest --report sim3 > "$WORK/report.json" || fail "attest failed" || return 1
  local args_hash log
  args_hash=$(jq -j '.process.args[] | ., "\u0000"' "$B/config.json" | sha256sum | cut -d' ' -f1)
  log="config $(printf quiet | sha256sum | cut -d' ' -f1) liberpal-sim v3 log_level=info
binary $(sha256sum "$B/rootfs/bin/busybox" | cut -d' ' -f1) /bin/sh
args $args_hash argc=3
"
  want=$(printf '%s' "$log" | sha256sum | cut -d' ' -f1)
  [ "$(jq -r .mrenclave "$WORK/report.json")" = "$want" ] \
    || fail "mrenclave $(jq -r .mrenclave "$WORK/report.json") != sha256 of the expected log $want"
  [ -e "$REC/measurements.log" ] && fail "a measurement log file was written without measurement-log="
  R delete -f sim3
  assert_no_leftovers sim3
}
t_spec_enclave_runs_unchanged() {
  B=$WORK/specenc; rm -rf "$B"; mkdir -p "$B"; cp -a "$WORK/rootfs" "$B/rootfs"
  (cd "$B" && R spec --enclave --pal "$PAL_DIR/liberpal-sim.so") || fail "spec --enclave failed"
  out=$(cd "$B" && R run specenc 2>/dev/null) || fail "run failed"
  echo "$out" | grep -q 'Hello from an enclave container on the sim TEE' || fail "output: $out"
  echo "$out" | grep -qE '^Seccomp:\s+2$' || fail "output: $out"
  assert_no_leftovers specenc
}
t_enclave_under_a_seccomp_profile() {
  # The runelet and the PAL run under the container's filter (loaded before pal_init): a rule of
  # the profile reaches the enclave's workload.
  B=$WORK/encsc; rm -rf "$B"; mkdir -p "$B"; cp -a "$WORK/rootfs" "$B/rootfs"
  (cd "$B" && R spec --enclave --pal "$PAL_DIR/liberpal-sim.so") || fail "spec --enclave failed" || return 1
  cfg '.process.args=["sh","-c","mkdir /tmp/x 2>&1 | grep -o \"not implemented\""]
       | .linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}'
  out=$(cd "$B" && R run encsc 2>"$WORK/err") || fail "run failed: $(cat "$WORK/err")" || return 1
  [ "$out" = "not implemented" ] || fail "output: $out; $(cat "$WORK/err")" || return 1
  assert_no_leftovers encsc
}

# The entrypoint is loaded at create (rune copies it while the init mounts, pal_prepare_process):
# replaced afterwards, the file as it was at create runs; shadowed by a mount, the mounted file
# runs (rune's copy of the file below the mount is not used).
t_sim_entrypoint_is_the_file_at_create_and_after_the_mounts() {
  simbundle sent || return 1
  cp /bin/busybox "$B/rootfs/bin/prog"
  cfg '.process.args=["/bin/prog","true"]'
  R create --bundle "$B" sent </dev/null 2>/dev/null || fail "create" || return 1
  printf '#!/bin/sh\nexit 3\n' > "$B/rootfs/bin/prog.new" && chmod 755 "$B/rootfs/bin/prog.new" && mv "$B/rootfs/bin/prog.new" "$B/rootfs/bin/prog"
  R start sent || fail "start" || return 1
  local i; for i in $(seq 100); do [ "$(status_of sent)" = stopped ] && break; sleep 0.05; done
  [ "$(status_of sent)" = stopped ] || fail "did not stop" || return 1
  grep -q 'binary .* /bin/prog$' "$REC/measurements.log" || fail "not measured: $(cat "$REC/measurements.log")" || return 1
  [ "$(grep 'binary .* /bin/prog$' "$REC/measurements.log" | cut -d' ' -f2)" = "$(sha256sum /bin/busybox | cut -d' ' -f1)" ] ||
    fail "not the file as it was at create: $(cat "$REC/measurements.log")" || return 1
  R delete sent || return 1
  # A bind mount over the entrypoint: what the container sees runs.
  simbundle smnt || return 1
  cp /bin/busybox "$B/rootfs/bin/prog"
  # Another file: busybox with a byte appended (it still runs, its hash differs).
  cp /bin/busybox "$WORK/other-prog" && printf x >> "$WORK/other-prog"
  cfg --arg f "$WORK/other-prog" '.process.args=["/bin/prog"] | .mounts += [{"destination":"/bin/prog","type":"bind","source":$f,"options":["bind","ro"]}]'
  R run --bundle "$B" smnt </dev/null >/dev/null 2>&1
  [ "$(grep 'binary .* /bin/prog$' "$REC/measurements.log" | cut -d' ' -f2)" = "$(sha256sum "$WORK/other-prog" | cut -d' ' -f1)" ] ||
    fail "measured another file: $(cat "$REC/measurements.log")" || return 1
  assert_no_leftovers smnt
}

# --- terminals: the runelet (run) or the proxy (exec) leads the pty's session ---------------------
# tmux_tty SESSION: waits for the shell's prompt in tmux session SESSION.
tmux_prompt() { local i; for i in $(seq 100); do tmux -L rune-it-$$ capture-pane -p -t "$1" | grep -qE '#( )?$' && return 0; sleep 0.05; done; return 1; }
tkeys() { local s=$1; shift; tmux -L rune-it-$$ send-keys -t "$s" "$@"; }
tpane() { tmux -L rune-it-$$ capture-pane -p -S -100 -t "$1"; }
# sim_shell_checks SESSION: size, tty, input, a resize (SIGWINCH passed on), a Ctrl-C that reaches
# the foreground command and the shell once each; then `exit CODE`.
sim_shell_checks() {
  local s=$1 code=$2
  tmux_prompt "$s" || fail "no prompt: $(tpane "$s")" || return 1
  tkeys "$s" 'trap "echo got-WINCH" WINCH; trap "echo got-INT" INT; stty size; tty; echo $((6*7))' Enter; sleep 0.4
  # Resized while a command runs (at the prompt, the line editor takes SIGWINCH itself).
  tkeys "$s" 'sleep 1; stty size' Enter; sleep 0.3
  tmux -L rune-it-$$ resize-window -t "$s" -x 100 -y 30; sleep 1.2
  tkeys "$s" 'sleep 50; echo after-sleep-$?' Enter; sleep 0.4
  tkeys "$s" C-c; sleep 0.4
  tkeys "$s" "exit $code" Enter
  tmux_wait_rc "$s" || fail "exit did not end it: $(tpane "$s")" || return 1
  local pane; pane=$(tpane "$s")
  grep -qx '40 120' <<<"$pane" || fail "size: $pane" || return 1
  grep -qx '/dev/pts/[0-9]*' <<<"$pane" || fail "tty: $pane" || return 1
  grep -qx '42' <<<"$pane" || fail "typed input not run: $pane" || return 1
  grep -qx '30 100' <<<"$pane" || fail "resize: $pane" || return 1
  [ "$(grep -cx 'got-WINCH' <<<"$pane")" = 1 ] || fail "SIGWINCH not passed on once: $pane" || return 1
  [ "$(grep -c 'got-INT$' <<<"$pane")" = 1 ] || fail "Ctrl-C did not reach the shell once: $pane" || return 1
  grep -qx 'after-sleep-130' <<<"$pane" || fail "Ctrl-C did not end the foreground command: $pane" || return 1
  [ "$(cat "$WORK/$s.rc")" = "$code" ] || fail "exit code $(cat "$WORK/$s.rc"), want $code" || return 1
  cmp -s "$WORK/$s.before" "$WORK/$s.after" || fail "terminal not restored"
}
t_sim_terminal_run_and_exec() {
  command -v tmux >/dev/null || { echo "SKIPPED: tmux is not installed"; return 0; }
  simbundle stty || return 1
  cfg '.process.terminal=true | .process.args=["sh"]'
  trap 'tmux -L rune-it-$$ kill-server 2>/dev/null' RETURN
  tmux_run run "$RUNE --root $ROOT run --bundle $B stty"
  tmux_prompt run || fail "no prompt: $(tpane run)" || return 1
  # The shell is the enclave's process (measured by the sim), not the runelet.
  grep -q '/bin/sh' "$REC/measurements.log" || fail "sh not started through the PAL: $(cat "$REC/measurements.log")" || return 1
  tmux_run exec "$RUNE --root $ROOT exec -t stty sh"
  sim_shell_checks exec 5 || return 1
  sim_shell_checks run 3 || return 1
  assert_no_leftovers stty
}
t_sim_console_socket_create_and_exec() {
  simbundle scs || return 1
  cfg '.process.terminal=true | .process.consoleSize={"height":30,"width":100} | .process.args=["sh","-c","read x; echo got $x; tty; sleep 300"]'
  "$CONSOLE_RECEIVER" "$WORK/sock-create" "$WORK/sock-create.info" $'hello\n' > "$WORK/sock-create.out" 2>&1 & local rcv=$!
  local i; for i in $(seq 50); do [ -S "$WORK/sock-create" ] && break; sleep 0.02; done
  R create --console-socket "$WORK/sock-create" --bundle "$B" scs </dev/null || fail "create" || return 1
  R start scs || fail "start" || return 1
  for i in $(seq 100); do tr -d '\r' < "$WORK/sock-create.out" | grep -q '^/dev/pts/' && break; sleep 0.05; done
  grep -qx 'size=30x100' "$WORK/sock-create.info" || fail "size: $(cat "$WORK/sock-create.info")" || return 1
  tr -d '\r' < "$WORK/sock-create.out" | grep -qx 'got hello' || fail "output: $(cat "$WORK/sock-create.out")" || return 1
  tr -d '\r' < "$WORK/sock-create.out" | grep -qx "$(sed -n 's/^name=//p' "$WORK/sock-create.info")" || fail "tty: $(cat "$WORK/sock-create.out")" || return 1
  # exec -d with a console socket, as containerd's shim and conmon call it: the proxy is the pid.
  "$CONSOLE_RECEIVER" "$WORK/sock-exec" "$WORK/sock-exec.info" > "$WORK/sock-exec.out" 2>&1 & local rcv2=$!
  for i in $(seq 50); do [ -S "$WORK/sock-exec" ] && break; sleep 0.02; done
  jq -n --argjson env "$(jq .process.env "$B/config.json")" '{terminal:true,consoleSize:{height:25,width:91},user:{uid:0,gid:0},args:["sh","-c","tty; stty size; exit 4"],env:$env,cwd:"/"}' > "$WORK/p.json"
  R exec -d --console-socket "$WORK/sock-exec" --pid-file "$WORK/exec.pid" --process "$WORK/p.json" scs </dev/null || fail "exec -d: $(cat "$WORK/err" 2>/dev/null)" || return 1
  wait $rcv2
  grep -qx 'size=25x91' "$WORK/sock-exec.info" || fail "exec size: $(cat "$WORK/sock-exec.info")" || return 1
  [ "$(tr -d '\r' < "$WORK/sock-exec.out")" = "$(sed -n 's/^name=//p' "$WORK/sock-exec.info")
25 91" ] || fail "exec output: $(cat "$WORK/sock-exec.out")" || return 1
  R delete -f scs || fail "delete" || return 1
  wait $rcv
  assert_no_leftovers scs
}

run_tests
