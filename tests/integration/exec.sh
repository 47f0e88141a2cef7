#!/bin/bash
# `rune exec` into ordinary containers, with runc 1.1's flags: output and exit codes, the
# process's identity, every namespace of the init joined, cgroups, seccomp, terminals (console
# socket and the relay of rune's own terminal, through tmux), detach and pid file, the paused and
# stopped refusals. (Security of the exec path: security.sh; engines: tests/e2e/engines.)
# Needs CONSOLE_RECEIVER (tests/helpers/console_receiver) and SD_NOTIFY (tests/helpers/sd_notify).
. "$(dirname "$0")/lib.sh"
CONSOLE_RECEIVER=${CONSOLE_RECEIVER:?set CONSOLE_RECEIVER to tests/helpers/console_receiver}
SD_NOTIFY=${SD_NOTIFY:?set SD_NOTIFY to tests/helpers/sd_notify}
USERNS_MAPS='.linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}] | .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
userns_possible() { unshare --user true 2>/dev/null; }


# running NAME [jq filter]: a bundle whose init sleeps, run detached as container NAME.
running() {
  bundle "$1" || return 1
  sh_args 'sleep 300'
  [ -n "${2:-}" ] && { cfg "$2" || return 1; }
  R run -d --bundle "$B" "$1" </dev/null >"$WORK/run.err" 2>&1 || fail "run -d $1: $(cat "$WORK/run.err")"
}

t_output_exit_code_env_cwd_user() {
  running ex-$$ || return 1
  local out rc
  out=$(R exec -e FOO=bar -e HOME=/tmp --cwd /tmp -u 1000:1001 --additional-gids 7 ex-$$ \
        sh -c 'echo "$FOO $HOME $(pwd) $(id -u) $(id -g) $(id -G)"; exit 9' </dev/null); rc=$?
  [ $rc = 9 ] || fail "exit code $rc, want 9" || return 1
  [ "$out" = "bar /tmp /tmp 1000 1001 1001 7" ] || fail "got: $out" || return 1
  # The container's env is kept (PATH from rune spec), --env replaces the same name.
  out=$(R exec -e PATH=/bin ex-$$ sh -c 'echo $PATH; env | grep -c ^PATH=' </dev/null)
  [ "$out" = "/bin
1" ] || fail "env: $out" || return 1
  echo piped | R exec ex-$$ cat | grep -qx piped || fail "stdin not passed" || return 1
  R exec ex-$$ sh -c 'kill -9 $$' </dev/null; rc=$?
  [ $rc = 137 ] || fail "killed by SIGKILL: exit code $rc, want 137"
}

t_process_file_as_engines_send_it() {
  running ex-$$ || return 1
  jq -n '{terminal:false,user:{uid:0,gid:0},args:["sh","-c","echo $X $(pwd); exit 4"],env:["PATH=/bin","X=file"],cwd:"/tmp",
          capabilities:{bounding:["CAP_KILL"],effective:["CAP_KILL"],permitted:["CAP_KILL"]},noNewPrivileges:true}' > "$WORK/p.json"
  local out rc
  out=$(R exec --process "$WORK/p.json" ex-$$ </dev/null); rc=$?
  [ $rc = 4 ] && [ "$out" = "file /tmp" ] || fail "rc $rc, out: $out" || return 1
  jq '.args=["sh","-c","grep -E \"^(CapEff|CapBnd|NoNewPrivs)\" /proc/self/status"]' "$WORK/p.json" > "$WORK/p2.json"
  out=$(R exec --process "$WORK/p2.json" ex-$$ </dev/null | tr -s '\t ' ' ')
  [ "$out" = "CapEff: 0000000000000020
CapBnd: 0000000000000020
NoNewPrivs: 1" ] || fail "identity: $out"
}

t_detach_with_pid_file_leaves_the_process_to_the_caller() {
  running ex-$$ || return 1
  local t0 pid init
  t0=$(date +%s%N)
  R exec -d --pid-file "$WORK/exec.pid" ex-$$ sleep 30 </dev/null >/dev/null 2>&1 || fail "exec -d" || return 1
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "exec -d did not return at once" || return 1
  pid=$(cat "$WORK/exec.pid"); init=$(R state ex-$$ | jq .pid)
  [ -d /proc/$pid ] || fail "pid $pid from the pid file does not run" || return 1
  [ "$(readlink /proc/$pid/exe)" != "$(readlink -f "$RUNE")" ] || fail "pid file names rune" || return 1
  grep -q '^sleep' /proc/$pid/comm || fail "pid $pid is $(cat /proc/$pid/comm)" || return 1
  [ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$init/ns/pid)" ] || fail "not in the container's pid namespace" || return 1
  R ps ex-$$ | grep -qw "$pid" || fail "rune ps does not list it" || return 1
  kill $pid
}

t_joins_every_namespace_of_the_init() {
  local extra='.linux.namespaces+=[{"type":"cgroup"},{"type":"time"}]' ns
  if userns_possible; then extra="$extra | .linux.namespaces+=[{\"type\":\"user\"}] | $USERNS_MAPS"
  else echo "SKIPPED (user only): this kernel refuses user namespaces here (chroot?)"; fi
  running ex-$$ "$extra" || return 1
  local init; init=$(R state ex-$$ | jq .pid)
  R exec -d --pid-file "$WORK/exec.pid" ex-$$ sleep 30 </dev/null || fail "exec -d" || return 1
  local pid; pid=$(cat "$WORK/exec.pid")
  for ns in user mnt pid net ipc uts cgroup time; do
    [ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/$init/ns/$ns)" ] || fail "$ns: exec'd $(readlink /proc/$pid/ns/$ns), init $(readlink /proc/$init/ns/$ns)" || return 1
    [ "$ns" = user ] && ! userns_possible && continue
    [ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] || fail "$ns is the host's" || return 1
  done
  [ "$(stat -Lc %d:%i /proc/$pid/root)" = "$(stat -Lc %d:%i /proc/$init/root)" ] || fail "root differs from the init's" || return 1
  [ "$(cat /proc/$pid/cgroup)" = "$(cat /proc/$init/cgroup)" ] || fail "cgroups: $(cat /proc/$pid/cgroup) vs $(cat /proc/$init/cgroup)"
}

t_sub_cgroup_capabilities_rlimits_seccomp() {
  running ex-$$ '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]} | .process.rlimits=[{"type":"RLIMIT_NOFILE","soft":123,"hard":456}]' || return 1
  local out
  out=$(R exec ex-$$ sh -c 'mkdir /tmp/x 2>&1; ulimit -n' </dev/null)
  grep -q 'Operation not permitted' <<<"$out" || fail "seccomp filter not applied: $out" || return 1
  grep -qx 123 <<<"$out" || fail "rlimit not applied: $out" || return 1
  out=$(R exec --cap CAP_SYS_ADMIN ex-$$ sh -c 'grep CapEff /proc/self/status' </dev/null)
  [ $(( 0x$(awk '{print $2}' <<<"$out") >> 21 & 1 )) = 1 ] || fail "--cap CAP_SYS_ADMIN: $out" || return 1
  refused 'CAP_NOPE' R exec --cap CAP_NOPE ex-$$ true || return 1
  # --cgroup: an existing sub-cgroup of the container's, in every hierarchy.
  local d sub=sub-$$
  for d in /sys/fs/cgroup/*/ex-$$ /sys/fs/cgroup/ex-$$; do
    [ -d "$d" ] || continue
    mkdir "$d/$sub"
    [ -e "$d/cpuset.cpus" ] && cat "$d/cpuset.cpus" > "$d/$sub/cpuset.cpus" && cat "$d/cpuset.mems" > "$d/$sub/cpuset.mems"
  done
  out=$(R exec --cgroup $sub ex-$$ cat /proc/self/cgroup </dev/null)
  grep -q "/ex-$$/$sub\$" <<<"$out" || fail "--cgroup: $out" || return 1
  refused '`--cgroup`: no sub-cgroup `nosuch`' R exec --cgroup nosuch ex-$$ true || return 1
  refused 'stay below it' R exec --cgroup ../up ex-$$ true || return 1
  # delete removes the sub-cgroups too, as runc does.
  R delete -f ex-$$ || fail "delete" || return 1
  assert_no_leftovers ex-$$
}

t_paused_and_stopped_are_refused_with_runcs_texts() {
  running ex-$$ || return 1
  R pause ex-$$ || fail "pause" || return 1
  refused 'cannot exec in a paused container (use --ignore-paused to override)' R exec ex-$$ true || return 1
  # --ignore-paused passes the check; the process runs once the container is resumed.
  R exec --ignore-paused ex-$$ sh -c 'exit 6' </dev/null & local bg=$!
  sleep 0.5; R resume ex-$$ || fail "resume" || return 1
  wait $bg; local rc=$?
  [ $rc = 6 ] || fail "--ignore-paused: exit code $rc, want 6" || return 1
  R kill ex-$$ KILL; wait_status ex-$$ stopped || fail "not stopped" || return 1
  refused 'cannot exec in a stopped container' R exec ex-$$ true
}

t_signals_are_forwarded_and_fds_preserved() {
  running ex-$$ || return 1
  "$RUNE" --root "$ROOT" exec ex-$$ sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' </dev/null & local bg=$!
  sleep 0.5; kill -TERM $bg
  wait $bg; local rc=$?
  [ $rc = 42 ] || fail "SIGTERM to rune exec: exit code $rc, want 42 (the trap's)" || return 1
  echo preserved > "$WORK/pfile"
  # ls lists its own descriptors: stdio, the preserved 3, and 4, the directory it reads.
  local out; out=$(R exec --preserve-fds 1 ex-$$ sh -c 'cat <&3; exec ls /proc/self/fd' 3<"$WORK/pfile" </dev/null)
  grep -q preserved <<<"$out" || fail "fd 3 not passed: $out" || return 1
  [ "$(tail -n +2 <<<"$out" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ] || fail "descriptors: $out"
}

t_oom_score_adj_is_the_containers() {
  # runc 1.1 gives every exec the container's oomScoreAdj (a --process file's is not used).
  running oo-$$ '.process.oomScoreAdj=300' || return 1
  [ "$(R exec oo-$$ cat /proc/self/oom_score_adj </dev/null)" = 300 ] || fail "exec: $(R exec oo-$$ cat /proc/self/oom_score_adj </dev/null)"
}

t_console_socket_gets_the_master_and_the_slave_is_the_controlling_terminal() {
  running ex-$$ || return 1
  "$CONSOLE_RECEIVER" "$WORK/cs" "$WORK/cs.info" > "$WORK/cs.out" 2>&1 & local rcv=$!
  local i; for i in $(seq 50); do [ -S "$WORK/cs" ] && break; sleep 0.02; done
  jq -n '{terminal:true,consoleSize:{height:25,width:91},user:{uid:0,gid:0},args:["sh","-c","tty; stty size; ls -l /proc/self/fd/0 | grep -o pts"],env:["PATH=/bin"],cwd:"/"}' > "$WORK/p.json"
  R exec -d --console-socket "$WORK/cs" --pid-file "$WORK/exec.pid" --process "$WORK/p.json" ex-$$ </dev/null || fail "exec -t -d" || return 1
  wait $rcv
  grep -qx 'name=/dev/pts/[0-9]*' "$WORK/cs.info" || fail "name: $(cat "$WORK/cs.info")" || return 1
  grep -qx 'size=25x91' "$WORK/cs.info" || fail "size: $(cat "$WORK/cs.info")" || return 1
  local out; out=$(tr -d '\r' < "$WORK/cs.out")
  [ "$out" = "$(sed -n 's/^name=//p' "$WORK/cs.info")
25 91
pts" ] || fail "in the container: $out" || return 1
  # runc's refusals.
  refused 'cannot allocate tty if runc will detach without setting console socket' R exec -d -t ex-$$ true || return 1
  refused 'cannot use console socket if runc will not detach or allocate tty' R exec --console-socket "$WORK/cs" ex-$$ true
}

t_create_with_a_terminal_sends_the_master() {
  # As runc, the pty is also the container's /dev/console.
  bundle tty-$$; cfg '.process.terminal=true | .process.consoleSize={"height":30,"width":100} | .process.args=["sh","-c","read x; echo got $x; tty; [ \"$(stat -c %t:%T /dev/console)\" = \"$(stat -L -c %t:%T $(tty))\" ] && echo console-is-the-pty"]'
  "$CONSOLE_RECEIVER" "$WORK/cs" "$WORK/cs.info" $'hello\n' > "$WORK/cs.out" 2>&1 & local rcv=$!
  local i; for i in $(seq 50); do [ -S "$WORK/cs" ] && break; sleep 0.02; done
  R create --console-socket "$WORK/cs" --bundle "$B" tty-$$ </dev/null || fail "create" || return 1
  R start tty-$$ || fail "start" || return 1
  wait $rcv
  grep -qx 'size=30x100' "$WORK/cs.info" || fail "size: $(cat "$WORK/cs.info")" || return 1
  tr -d '\r' < "$WORK/cs.out" | grep -qx 'got hello' || fail "output: $(cat "$WORK/cs.out")" || return 1
  tr -d '\r' < "$WORK/cs.out" | grep -qx 'console-is-the-pty' || fail "/dev/console: $(cat "$WORK/cs.out")" || return 1
  refused 'cannot allocate tty if runc will detach without setting console socket' R create --bundle "$B" tty2-$$ || return 1
  assert_no_leftovers tty2-$$ || return 1
  refused '`--console-socket`: connect to `/nonexistent/sock`' R create --console-socket /nonexistent/sock --bundle "$B" tty2-$$ || return 1
  assert_no_leftovers tty2-$$
}

t_session_keyring_of_the_container_and_its_execs() {
  # /proc/keys lists the keys the process may view; runc spec masks it.
  running kr-$$ '.linux.maskedPaths -= ["/proc/keys"]' || return 1
  R exec kr-$$ cat /proc/keys </dev/null | grep -q " _ses.kr-$$: " || fail "no _ses.kr-$$ in: $(R exec kr-$$ cat /proc/keys </dev/null)" || return 1
  bundle nk-$$; sh_args 'cat /proc/keys'; cfg '.linux.maskedPaths -= ["/proc/keys"]'
  local out; out=$(R run --no-new-keyring --bundle "$B" nk-$$ </dev/null) || fail "run --no-new-keyring" || return 1
  grep -q "_ses.nk-$$" <<<"$out" && fail "--no-new-keyring made _ses.nk-$$: $out"
  return 0
}
t_socket_activation_fds_are_passed_on() {
  bundle la-$$; sh_args 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3; cat <&4'
  echo listen > "$WORK/lfile"; echo preserved > "$WORK/pfile"
  # LISTEN_PID must be rune's own pid: the shell execs rune.
  local out; out=$(sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" --root "$1" run --preserve-fds 1 --bundle "$2" "$3"' \
    "$RUNE" "$ROOT" "$B" la-$$ 3<"$WORK/lfile" 4<"$WORK/pfile" </dev/null) || fail "run: $out" || return 1
  [ "$out" = "1 1
listen
preserved" ] || fail "got: $out" || return 1
  # Another process's LISTEN_PID: nothing is passed.
  out=$(LISTEN_PID=1 LISTEN_FDS=1 R run --bundle "$B" la-$$ 3<"$WORK/lfile" </dev/null 2>&1)
  grep -q '^listen$' <<<"$out" && fail "fds passed for another LISTEN_PID: $out"
  return 0
}

t_sd_notify_ready_reaches_the_host_socket() {
  bundle nt-$$; cp "$SD_NOTIFY" "$B/rootfs/bin/sd_notify"
  sh_args 'echo "$NOTIFY_SOCKET"; sleep 0.3; sd_notify send "STATUS=starting"; sd_notify send "READY=1"; sleep 30'
  "$SD_NOTIFY" listen "$WORK/host.sock" "$WORK/host.msgs" 8 & local l=$!
  local i; for i in $(seq 50); do [ -S "$WORK/host.sock" ] && break; sleep 0.02; done
  # run -d returns once READY=1 came (as runc): the host socket has it by then.
  NOTIFY_SOCKET=$WORK/host.sock R run -d --bundle "$B" nt-$$ </dev/null >"$WORK/nt.out" 2>&1 || fail "run -d: $(cat "$WORK/nt.out")" || return 1
  sleep 0.2
  grep -qx 'READY=1' "$WORK/host.msgs" || fail "no READY=1 at the host: $(cat "$WORK/host.msgs" 2>/dev/null)" || return 1
  grep -qx "MAINPID=$(R state nt-$$ | jq .pid)" "$WORK/host.msgs" || fail "no MAINPID: $(cat "$WORK/host.msgs")" || return 1
  grep -q STATUS "$WORK/host.msgs" && { fail "more than READY was relayed: $(cat "$WORK/host.msgs")"; return 1; }
  # create + start: start waits for READY the same way.
  : > "$WORK/host.msgs"
  NOTIFY_SOCKET=$WORK/host.sock R create --bundle "$B" nt2-$$ </dev/null >/dev/null 2>&1 || fail "create" || return 1
  NOTIFY_SOCKET=$WORK/host.sock R start nt2-$$ || fail "start" || return 1
  sleep 0.2
  grep -qx 'READY=1' "$WORK/host.msgs" || fail "start: no READY=1 at the host: $(cat "$WORK/host.msgs")" || return 1
  kill $l 2>/dev/null
  return 0
}
# as_user CMD...: CMD as uid/gid 1000 without supplementary groups (no passwd entry needed).
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }
t_rootless_container_of_an_unprivileged_user() {
  userns_possible || { echo "SKIPPED: this kernel refuses user namespaces here (chroot?)"; return 0; }
  as_user true 2>/dev/null || { echo "SKIPPED: setpriv cannot switch to uid 1000 here"; return 0; }
  local b=$WORK/rootless-$$ xdg=$WORK/xdg-$$
  mkdir -p "$b" "$xdg"; cp -a "$WORK/rootfs" "$b/rootfs"; chown 1000:1000 "$b" "$xdg"; chmod 700 "$xdg"
  (cd "$b" && as_user "$RUNE" spec --rootless) || fail "spec --rootless as uid 1000" || return 1
  jq -e '.linux.uidMappings == [{"containerID":0,"hostID":1000,"size":1}] and .linux.gidMappings[0].hostID == 1000
         and ([.linux.namespaces[].type] | index("user") and (index("network") | not)) and (.linux.resources == null)' "$b/config.json" >/dev/null ||
    fail "spec --rootless: $(jq -c .linux "$b/config.json")" || return 1
  jq '.process.terminal=false | .process.args=["sh","-c","cat /proc/self/uid_map | tr -s \" \" | sed \"s/^ //\"; id -u; exit 4"]' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
  chown 1000:1000 "$b/config.json"
  local out rc
  out=$(cd "$b" && XDG_RUNTIME_DIR=$xdg as_user "$RUNE" run rl-$$ </dev/null 2>&1); rc=$?
  [ $rc = 4 ] || fail "run as uid 1000: exit $rc: $out" || return 1
  [ "$out" = "0 1000 1
0" ] || fail "in the container: $out" || return 1
  # Its state is under $XDG_RUNTIME_DIR/rune, and detached containers are the user's to manage.
  jq '.process.args=["sleep","30"]' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json" && chown 1000:1000 "$b/config.json"
  (cd "$b" && XDG_RUNTIME_DIR=$xdg as_user "$RUNE" run -d rl-$$ </dev/null) || fail "run -d as uid 1000" || return 1
  [ -f "$xdg/rune/rl-$$/state.json" ] || fail "no state under \$XDG_RUNTIME_DIR/rune" || return 1
  XDG_RUNTIME_DIR=$xdg as_user "$RUNE" list -q | grep -qx rl-$$ || fail "list as uid 1000" || return 1
  XDG_RUNTIME_DIR=$xdg as_user "$RUNE" exec rl-$$ id -u </dev/null | grep -qx 0 || fail "exec as uid 1000" || return 1
  XDG_RUNTIME_DIR=$xdg as_user "$RUNE" delete -f rl-$$ || fail "delete -f as uid 1000" || return 1
  [ -e "$xdg/rune/rl-$$" ] && { fail "state left"; return 1; }
  # Limits need a delegated cgroup: an error naming the field, nothing left.
  jq '.linux.resources={"pids":{"limit":10}}' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json" && chown 1000:1000 "$b/config.json"
  out=$(cd "$b" && XDG_RUNTIME_DIR=$xdg as_user "$RUNE" run rl-$$ </dev/null 2>&1) && { fail "limits without a cgroup were taken"; return 1; }
  grep -q '`linux.resources.pids`: a rootless container has no cgroup' <<<"$out" || fail "error: $out" || return 1
  [ -e "$xdg/rune/rl-$$" ] && { fail "state left after the refusal"; return 1; }
  # As root, --rootless maps host id 0 (as runc spec --rootless does).
  mkdir -p "$WORK/rs-$$" && (cd "$WORK/rs-$$" && R spec --rootless) &&
    jq -e '.linux.uidMappings[0].hostID == 0' "$WORK/rs-$$/config.json" >/dev/null || fail "spec --rootless as root"
}
t_run_keep_leaves_the_stopped_container() {
  bundle keep-$$; sh_args 'exit 3'
  R run --keep --bundle "$B" keep-$$ </dev/null; local rc=$?
  [ $rc = 3 ] || fail "exit code $rc, want 3" || return 1
  [ "$(status_of keep-$$)" = stopped ] || fail "status $(status_of keep-$$), want stopped" || return 1
  R delete keep-$$ || fail "delete" || return 1
  assert_no_leftovers keep-$$
}

# The leaf paths of a stats event, numbers and array indices left out (values differ by run).
stat_paths() { jq -c '[paths(scalars) | map(select(type == "string")) | join(".")] | unique
  | map(select(test("^data\\.memory\\.cache$") | not))'; }
t_events_stats_in_runcs_shape_and_oom_kills() {
  [ -d /sys/fs/cgroup/memory ] || { echo "SKIPPED: no v1 memory hierarchy (cgroup2.sh checks v2)"; return 0; }
  local res='.linux.resources={"pids":{"limit":50},"memory":{"limit":33554432}}'
  running ev-$$ "$res" || return 1
  local ours theirs
  ours=$(R events --stats ev-$$) || fail "events --stats" || return 1
  jq -e '.type == "stats" and .data.memory.usage.limit == 33554432 and .data.pids.limit == 50 and .data.pids.current >= 1' <<<"$ours" >/dev/null ||
    fail "stats: $ours" || return 1
  # The same paths as runc 1.1's for the same config on this host.
  if command -v runc >/dev/null; then
    local rb=$WORK/runc-bundle; mkdir -p "$rb"
    jq --arg r "$B/rootfs" '.root.path=$r' "$B/config.json" > "$rb/config.json"
    runc --root "$WORK/runc-state" run -d --bundle "$rb" rev-$$ </dev/null >/dev/null 2>&1 || fail "runc run -d" || return 1
    theirs=$(runc --root "$WORK/runc-state" events --stats rev-$$)
    runc --root "$WORK/runc-state" delete -f rev-$$
    [ "$(stat_paths <<<"$ours")" = "$(stat_paths <<<"$theirs")" ] ||
      fail "paths differ from runc's: ours $(stat_paths <<<"$ours") runc $(stat_paths <<<"$theirs")" || return 1
  fi
  # An OOM kill in the container is an `oom` event; the stream ends when the container stops.
  "$RUNE" --root "$ROOT" events --interval 200ms ev-$$ > "$WORK/events" 2>&1 & local ev=$!
  sleep 0.3
  R exec ev-$$ dd if=/dev/zero of=/dev/null bs=100M count=1 </dev/null >/dev/null 2>&1
  local i; for i in $(seq 50); do grep -q '"type":"oom"' "$WORK/events" && break; sleep 0.1; done
  grep -q "{\"type\":\"oom\",\"id\":\"ev-$$\"}" "$WORK/events" || fail "no oom event: $(head -c 300 "$WORK/events")" || return 1
  grep -q '"type":"stats"' "$WORK/events" || fail "no periodic stats" || return 1
  R kill ev-$$ KILL
  for i in $(seq 50); do kill -0 $ev 2>/dev/null || break; sleep 0.1; done
  kill -0 $ev 2>/dev/null && { kill $ev; fail "events did not end with the container"; return 1; }
  refused 'is not running' R events --stats ev-$$
}

t_foreground_terminal_is_relayed_and_restored() {
  command -v tmux >/dev/null || { echo "SKIPPED: tmux is not installed"; return 0; }
  running ex-$$ || return 1
  trap 'tmux -L rune-it-$$ kill-server 2>/dev/null' RETURN
  tmux_run s1 "$RUNE --root $ROOT exec -t ex-$$ sh"
  sleep 0.5
  tmux -L rune-it-$$ send-keys -t s1 'stty size; tty; echo $((6*7))' Enter; sleep 0.4
  tmux -L rune-it-$$ resize-window -t s1 -x 100 -y 30; sleep 0.3
  tmux -L rune-it-$$ send-keys -t s1 'stty size' Enter; sleep 0.3
  tmux -L rune-it-$$ send-keys -t s1 C-d
  tmux_wait_rc s1 || fail "Ctrl-D did not end it: $(tmux -L rune-it-$$ capture-pane -p -t s1)" || return 1
  local pane; pane=$(tmux -L rune-it-$$ capture-pane -p -t s1)
  grep -qx '40 120' <<<"$pane" || fail "size: $pane" || return 1
  grep -qx '30 100' <<<"$pane" || fail "resize: $pane" || return 1
  grep -qx '/dev/pts/[0-9]*' <<<"$pane" || fail "tty: $pane" || return 1
  grep -qx '42' <<<"$pane" || fail "typed input not run: $pane" || return 1
  [ "$(cat $WORK/s1.rc)" = 0 ] || fail "exit code $(cat $WORK/s1.rc)" || return 1
  cmp -s $WORK/s1.before $WORK/s1.after || fail "terminal not restored after Ctrl-D" || return 1
  # Restored however the process ends: SIGTERM and SIGINT to rune (relayed), the container killed.
  local how
  for how in TERM INT crash; do
    tmux_run s-$how "$RUNE --root $ROOT exec -t ex-$$ sleep 100"
    sleep 0.5
    local pid; pid=$(pgrep -f "^$RUNE --root $ROOT exec -t ex-$$ sleep 100")
    [ -n "$pid" ] || fail "$how: no rune exec" || return 1
    case $how in
      crash) R kill ex-$$ KILL ;;  # the init dies: the kernel kills the whole pid namespace
      *) kill -$how $pid ;;
    esac
    tmux_wait_rc s-$how || fail "$how: rune did not end" || return 1
    cmp -s $WORK/s-$how.before $WORK/s-$how.after || fail "$how: terminal not restored: $(cat $WORK/s-$how.before) -> $(cat $WORK/s-$how.after)" || return 1
  done
}

run_tests
