#!/bin/bash
# Real containers from a busybox rootfs: what the process sees inside, and the lifecycle.
. "$(dirname "$0")/lib.sh"

# expect_out SCRIPT WANT: runs SCRIPT in the bundle $B with `rune run`, compares stdout.
expect_out() {
  sh_args "$1"
  local got rc; got=$(R run --bundle "$B" "c-$RANDOM" </dev/null 2>"$B/err"); rc=$?
  [ $rc = 0 ] || fail "run rc=$rc: $(cat "$B/err")" || return 1
  [ "$got" = "$2" ] || fail "want [$2] got [$got] stderr: $(cat "$B/err")"
}

t_output_and_exit_code() {
  bundle a; sh_args 'echo out; echo err >&2; exit 7'
  local out rc; out=$(R run --bundle "$B" ${c1} 2>"$B/err"); rc=$?
  [ $rc = 7 ] || fail "rc=$rc"; [ "$out" = out ] || fail "stdout=$out"; grep -qx err "$B/err" || fail "stderr=$(cat "$B/err")"
  assert_no_leftovers ${c1}
}
# The start path loads no library but libc: what the dynamic loader maps for a whole `rune run` of
# an ordinary container (rune and the re-executions it makes of itself).
t_an_ordinary_run_loads_only_libc() {
  if [ "${CHECK_NEEDED:-1}" != 1 ]; then echo "SKIPPED: a sanitizer build links its runtimes"; return 0; fi
  bundle ld || return 1
  LD_DEBUG=libs R run --bundle "$B" "$c1" >/dev/null 2>"$WORK/ld.log" </dev/null || fail "run: $(tail -3 "$WORK/ld.log")" || return 1
  local loaded; loaded=$(sed -n 's/.*calling init: \([^ ]*\).*/\1/p' "$WORK/ld.log" | sort -u | tr '\n' ' ')
  [ -n "$loaded" ] || fail "LD_DEBUG printed no init lines: $(head -5 "$WORK/ld.log")" || return 1
  for l in $loaded; do
    case "$l" in /lib/x86_64-linux-gnu/libc.so.6|/lib64/ld-linux-x86-64.so.2) ;; *) fail "rune run loaded $l"; return 1 ;; esac
  done
  echo "NOTE: loaded: $loaded"
}

t_killed_container_exits_128_plus_signal() {
  # PID 1 cannot SIGKILL itself inside its namespace: kill it from outside, as an operator would.
  bundle a; sh_args 'echo ready; sleep 30'
  "$RUNE" --root "$ROOT" run --bundle "$B" ${c1} >"$B/out" 2>&1 </dev/null & local rp=$!
  for i in $(seq 100); do grep -q ready "$B/out" && break; sleep 0.05; done
  R kill ${c1} KILL || fail "kill"
  wait $rp; local rc=$?
  [ $rc = 137 ] || fail "rc=$rc, want 137"
  assert_no_leftovers ${c1}
}
t_config_from_runc_spec_runs() {
  # Debian's `runc spec` lists ambient capabilities that are not inheritable: runc and crun run
  # it, skipping them with a warning; so does rune.
  bundle a; (cd "$B" && rm config.json && runc spec) || fail "runc spec" || return 1
  cfg '.process.terminal=false | .process.args=["/bin/sh","-c","grep CapAmb /proc/self/status"] | .root.readonly=false'
  local out; out=$(R run --bundle "$B" ${c1} 2>"$B/err") || fail "run: $(cat "$B/err")" || return 1
  echo "$out" | grep -qE '^CapAmb:\s+0+$' || fail "ambient set: $out"
  grep -q 'process.capabilities.ambient' "$B/err" || fail "no warning naming the field: $(cat "$B/err")"
  assert_no_leftovers ${c1}
}
t_hostname_in_a_joined_uts_namespace() {
  # hostname with the UTS namespace joined by path is valid (runc sets it in that namespace).
  bundle a; local ns=/run/rune-it-uts-$$; touch $ns; unshare --uts=$ns true || fail "unshare" || return 1
  cfg --arg p $ns '.hostname="joined" | .linux.namespaces|=map(if .type=="uts" then .path=$p else . end)'
  expect_out 'hostname' joined
  local rc=$?
  [ "$(nsenter --uts=$ns hostname)" = joined ] || fail "the joined namespace's hostname: $(nsenter --uts=$ns hostname)"
  umount $ns; rm -f $ns; return $rc
}
t_resources_engines_send_by_default_are_accepted() {
  # docker 20.10, podman 4.3 (and --pids-limit -1), ctr run: their no-op or default values.
  local r
  for r in '{"memory":{"disableOOMKiller":false},"cpu":{"shares":0},"blockIO":{"weight":0}}' \
           '{"pids":{"limit":2048}}' '{"pids":{"limit":0}}' '{"cpu":{"shares":1024}}'; do
    bundle a; cfg --argjson r "$r" '.linux.resources += $r'
    R run --bundle "$B" ${c1} </dev/null >"$B/out" 2>&1 || fail "$r: $(cat "$B/out")" || return 1
    assert_no_leftovers ${c1} || return 1
  done
}
t_v1_resource_files_hold_their_values() {
  bundle a; sh_args 'sleep 30'
  cfg '.linux.resources += {"memory":{"limit":33554432,"reservation":16777216,"swappiness":20},
                            "cpu":{"shares":512,"quota":20000,"period":100000,"cpus":"0"},
                            "pids":{"limit":50}}'
  R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
  local want f got
  for want in memory/memory.limit_in_bytes=33554432 memory/memory.soft_limit_in_bytes=16777216 \
              memory/memory.swappiness=20 cpu/cpu.shares=512 cpu/cpu.cfs_quota_us=20000 \
              cpu/cpu.cfs_period_us=100000 cpuset/cpuset.cpus=0 pids/pids.max=50; do
    f=${want%%=*}; got=$(cat "/sys/fs/cgroup/${f%%/*}/${c1}/${f#*/}")
    [ "$got" = "${want#*=}" ] || fail "$f = $got, want ${want#*=}" || return 1
  done
  R delete -f ${c1} && assert_no_leftovers ${c1}
}
t_memory_limit_kills_a_hog() {
  bundle a; cfg '.linux.resources.memory={"limit":16777216}'
  # dd with a 64 MiB block holds 64 MiB: the OOM killer ends it (SIGKILL, 137).
  sh_args 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "dd $?"'
  local out; out=$(R run --bundle "$B" ${c1} 2>&1 </dev/null)
  [ "$out" = "dd 137" ] || fail "want dd killed (137) under a 16 MiB limit, got: $out" || return 1
  bundle a; sh_args 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "dd $?"'
  out=$(R run --bundle "$B" ${c2} 2>&1 </dev/null)
  [ "$out" = "dd 0" ] || fail "without the limit dd should pass: $out" || return 1
  assert_no_leftovers ${c1} && assert_no_leftovers ${c2}
}
t_pids_limit_stops_a_fork_bomb() {
  bundle a; cfg '.linux.resources.pids={"limit":8}'
  sh_args 'for i in $(seq 20); do sleep 5 & done; echo all started'
  local out; out=$(R run --bundle "$B" ${c1} 2>&1 </dev/null)
  echo "$out" | grep -q "can't fork" || fail "20 forks under pids.limit 8: $out" || return 1
  assert_no_leftovers ${c1}
}
t_hugetlb_on_the_hybrid_cgroup2() {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || { echo "no 2MB huge pages here: not tested"; return 0; }
  # On this hybrid host hugetlb belongs to the cgroup2 mount (runc 1.1.5 fails here).
  local v2; v2=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
  grep -qw hugetlb "$v2/cgroup.controllers" 2>/dev/null || { echo "hugetlb is not on cgroup2 here: not tested"; return 0; }
  local before; before=$(cat "$v2/cgroup.subtree_control")
  bundle a; sh_args 'sleep 30'
  cfg '.linux.resources.hugepageLimits=[{"pageSize":"2MB","limit":4194304}]
       | .linux.resources.unified={"cgroup.max.descendants":"7"}'
  R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
  local got; got=$(cat "$v2/${c1}/hugetlb.2MB.max"); local d; d=$(cat "$v2/${c1}/cgroup.max.descendants")
  R delete -f ${c1}
  grep -qw hugetlb <<<"$before" || echo -hugetlb > "$v2/cgroup.subtree_control"
  [ "$got" = 4194304 ] || fail "hugetlb.2MB.max = $got" || return 1
  [ "$d" = 7 ] || fail "cgroup.max.descendants = $d (unified)" || return 1
  assert_no_leftovers ${c1}
}
t_blkio_weight_device_on_a_bfq_loop_device() {
  # A loop device switched to BFQ: weightDevice goes to blkio.bfq.weight_device (v1) or
  # io.bfq.weight (v2), as runc writes it.
  truncate -s 16M "$WORK/bfq.img"
  local dev; dev=$(losetup -f --show "$WORK/bfq.img") || fail "losetup" || return 1
  local sched=/sys/block/${dev#/dev/}/queue/scheduler mm
  grep -qw bfq "$sched" || { command -v modprobe >/dev/null && modprobe bfq 2>/dev/null; }
  if ! grep -qw bfq "$sched"; then
    losetup -d "$dev"
    echo "SKIPPED: no BFQ I/O scheduler here (schedulers: $(cat "$sched"); kernel built without CONFIG_IOSCHED_BFQ or no module): weightDevice not tested for real"
    return 0
  fi
  echo bfq > "$sched" || { losetup -d "$dev"; fail "cannot switch $dev to bfq"; return 1; }
  mm=$(cat "/sys/block/${dev#/dev/}/dev")
  bundle a; sh_args 'sleep 30'
  cfg --argjson ma "${mm%:*}" --argjson mi "${mm#*:}" '.linux.resources.blockIO={"weightDevice":[{"major":$ma,"minor":$mi,"weight":500}]}'
  local file=/sys/fs/cgroup/blkio/c1/blkio.bfq.weight_device got
  [ -d /sys/fs/cgroup/blkio ] || file=/sys/fs/cgroup/c1/io.bfq.weight
  R run -d --bundle "$B" c1 </dev/null 2>"$B/err" || { losetup -d "$dev"; fail "run -d: $(cat "$B/err")"; return 1; }
  got=$(cat "$file"); R delete -f c1; losetup -d "$dev"
  grep -qx "$mm 500" <<<"$got" || fail "$file: [$got], want [$mm 500]" || return 1
  assert_no_leftovers c1
}
t_device_rules_are_not_updated_on_v1() {
  # On v1, rune update leaves the devices cgroup alone and says so (cgroup v2 replaces the device
  # program: tests/integration/cgroup2.sh).
  [ -d /sys/fs/cgroup/devices ] || { echo "SKIPPED: no v1 devices controller here"; return 0; }
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" c1 </dev/null || fail "run -d" || return 1
  echo '{"devices":[{"allow":true,"access":"rwm"}]}' | R update -r - c1 2>"$B/err" && { fail "update of devices on v1 succeeded"; return 1; }
  grep -q 'a v1 devices cgroup' "$B/err" || fail "error: $(cat "$B/err")" || return 1
  grep -qx 'a \*:\* rwm' /sys/fs/cgroup/devices/c1/devices.list && { fail "the devices cgroup changed"; return 1; }
  R delete -f c1 && assert_no_leftovers c1
}
t_seccomp_errno_ret_with_and_without_no_new_privs() {
  # Without noNewPrivileges the filter is loaded before the capabilities drop, with it just
  # before execve: both must give the rule's errno.
  local nnp
  for nnp in true false; do
    bundle a
    cfg --argjson n $nnp '.process.noNewPrivileges=$n | .linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW",
         "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
         "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}'
    expect_out 'grep Seccomp: /proc/self/status | tr -d "\t "; mkdir /tmp/x 2>&1 | grep -o "not implemented"' \
      "Seccomp:2
not implemented" || return 1
  done
}
t_seccomp_profiles_docker_and_podman_send() {
  local fixtures=$(cd "$(dirname "$0")/../../.." && pwd)/shared/fixtures f
  if [ ! -f "$fixtures/docker-20.10-default-seccomp.json" ]; then
    [ "${CI:-}" = true ] && { fail "$fixtures missing (CI=true requires ../shared)"; return 1; }
    echo "SKIPPED: $fixtures not found"; return 0
  fi
  # Each profile, with mkdir and mkdirat taken out of its allow list: the shell and the rest run
  # under it, and mkdir gets the profile's default action instead of succeeding (docker's:
  # EPERM; podman's defaultErrnoRet 38, ENOSYS).
  local want
  for f in docker-20.10-default-seccomp.json:"not permitted" podman-4.3-default-seccomp.json:"not implemented"; do
    want=${f#*:}; f=${f%%:*}
    bundle a
    cfg --slurpfile s "$fixtures/$f" '.linux.seccomp=($s[0] | .syscalls |= map(.names -= ["mkdir","mkdirat"]))'
    expect_out "grep Seccomp: /proc/self/status | tr -d '\t '; ls /bin/busybox; mkdir /tmp/x 2>&1 | grep -o '$want'" \
      "Seccomp:2
/bin/busybox
$want" || { echo "$f"; return 1; }
  done
  bundle a; expect_out 'mkdir /tmp/x && echo made' made
}
t_pause_resume_ps_update() {
  bundle a; sh_args 'sleep 60 & sleep 60'
  R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
  R pause ${c1} || fail "pause" || return 1
  [ "$(status_of ${c1})" = paused ] || fail "status after pause: $(status_of ${c1})" || return 1
  grep -q FROZEN /sys/fs/cgroup/freezer/${c1}/freezer.state || fail "freezer: $(cat /sys/fs/cgroup/freezer/${c1}/freezer.state)" || return 1
  R pause ${c1} 2>/dev/null && { fail "a second pause succeeded"; return 1; }
  R delete ${c1} 2>"$B/err" && { fail "delete of a paused container without --force succeeded"; return 1; }
  grep -q 'that is not stopped: paused' "$B/err" || fail "delete error: $(cat "$B/err")" || return 1
  R resume ${c1} || fail "resume" || return 1
  [ "$(status_of ${c1})" = running ] || fail "status after resume: $(status_of ${c1})" || return 1
  local pids; pids=$(R ps --format json ${c1}) || fail "ps json" || return 1
  [ "$(jq length <<<"$pids")" = 2 ] || fail "ps json: $pids" || return 1
  local table; table=$(R ps ${c1}) || fail "ps" || return 1
  [ "$(echo "$table" | grep -c 'sleep 60')" = 2 ] || fail "ps table: $table" || return 1
  echo "$table" | head -1 | grep -q PID || fail "ps header: $table" || return 1
  R update --memory 64m --pids-limit 20 ${c1} || fail "update flags" || return 1
  [ "$(cat /sys/fs/cgroup/memory/${c1}/memory.limit_in_bytes)" = 67108864 ] || fail "memory after update" || return 1
  [ "$(cat /sys/fs/cgroup/pids/${c1}/pids.max)" = 20 ] || fail "pids after update" || return 1
  echo '{"pids":{"limit":12},"cpu":{"shares":256}}' | R update -r - ${c1} || fail "update -r -" || return 1
  [ "$(cat /sys/fs/cgroup/pids/${c1}/pids.max)" = 12 ] || fail "pids after update -r" || return 1
  [ "$(cat /sys/fs/cgroup/cpu/${c1}/cpu.shares)" = 256 ] || fail "shares after update -r" || return 1
  R pause ${c1} && R delete -f ${c1} || fail "delete -f of a paused container" || return 1
  assert_no_leftovers ${c1}
}
t_kill_all_and_kill_when_stopped_use_runcs_texts() {
  bundle a; sh_args 'sleep 60 & sleep 60 & wait'
  R run -d --bundle "$B" ${c1} </dev/null || fail "run -d" || return 1
  R kill --all ${c1} KILL || fail "kill --all" || return 1
  wait_status ${c1} stopped || fail "not stopped after kill --all: $(status_of ${c1})" || return 1
  [ -z "$(cat /sys/fs/cgroup/pids/${c1}/cgroup.procs 2>/dev/null)" ] || fail "processes left" || return 1
  R kill ${c1} TERM 2>"$B/err" && { fail "kill of a stopped container succeeded"; return 1; }
  grep -q 'container not running' "$B/err" || fail "kill error: $(cat "$B/err")" || return 1
  R delete ${c1} && assert_no_leftovers ${c1}
}
# hook KIND NAME [TIMEOUT] [SCRIPT]: a hook object writing its stdin (the state) and $HOOK_ENV to
# DIR/NAME.json and DIR/NAME.env (DIR: $WORK/hooks on the host, /hooks in the container).
hook() {
  local dir=$WORK/hooks; [ "$1" = startContainer ] && dir=/hooks
  local script=${4:-"cat > $dir/$2.json; echo \$HOOK_ENV > $dir/$2.env"}
  jq -n --arg s "$script" --argjson t "${3:-null}" \
    '{path:"/bin/sh", args:["sh","-c",$s], env:["HOOK_ENV=set"]} + (if $t then {timeout:$t} else {} end)'
}
t_hooks_run_where_and_when_the_spec_says() {
  bundle a; sh_args 'sleep 30'; mkdir -p "$WORK/hooks"; rm -f "$WORK/hooks"/*
  local k hooks='{}'
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    hooks=$(jq --arg k $k --argjson h "$(hook $k $k)" '.[$k] = [$h]' <<<"$hooks")
  done
  cfg --argjson h "$hooks" --arg d "$WORK/hooks" '.hooks=$h | .annotations={"a":"b"}
       | .mounts += [{"destination":"/hooks","type":"bind","source":$d,"options":["rbind","rw"]}]'
  R create --bundle "$B" ${c1} </dev/null || fail "create" || return 1
  local pid; pid=$(R state ${c1} | jq .pid)
  for k in prestart createRuntime createContainer; do
    [ -f "$WORK/hooks/$k.json" ] || fail "$k did not run at create" || return 1
    jq -e --argjson p "$pid" --arg id "${c1}" '.id==$id and .status=="creating" and .pid==$p and .annotations.a=="b"' \
      "$WORK/hooks/$k.json" >/dev/null || fail "$k state: $(cat "$WORK/hooks/$k.json")" || return 1
    [ "$(cat "$WORK/hooks/$k.env")" = set ] || fail "$k env" || return 1
  done
  [ -f "$WORK/hooks/startContainer.json" ] && { fail "startContainer ran before start"; return 1; }
  R start ${c1} || fail "start" || return 1
  jq -e --arg id "${c1}" '.id==$id' "$WORK/hooks/startContainer.json" >/dev/null || fail "startContainer" || return 1
  jq -e '.status=="running"' "$WORK/hooks/poststart.json" >/dev/null || fail "poststart" || return 1
  [ -f "$WORK/hooks/poststop.json" ] && { fail "poststop ran before delete"; return 1; }
  R delete -f ${c1} || fail "delete" || return 1
  jq -e --arg id "${c1}" '.status=="stopped" and .id==$id' "$WORK/hooks/poststop.json" >/dev/null || fail "poststop" || return 1
  assert_no_leftovers ${c1}
}
t_failing_or_hanging_hooks() {
  mkdir -p "$WORK/hooks"
  local k
  for k in prestart createRuntime createContainer; do
    bundle a; cfg --arg k $k --argjson h "$(hook $k x null 'echo no; exit 3')" '.hooks={($k): [$h]}'
    R create --bundle "$B" ${c1} </dev/null 2>"$B/err" && { fail "$k failing: create succeeded"; return 1; }
    grep -q "hooks.$k\[0\]" "$B/err" && grep -q 'exited with status 3' "$B/err" && grep -q 'printed: no' "$B/err" ||
      fail "$k error: $(cat "$B/err")" || return 1
    assert_no_leftovers ${c1} || return 1
  done
  bundle a; cfg --argjson h "$(hook createContainer x 1 'sleep 30')" '.hooks={createContainer: [$h]}'
  local t0=$SECONDS
  R create --bundle "$B" ${c1} </dev/null 2>"$B/err" && { fail "hanging hook: create succeeded"; return 1; }
  grep -q 'did not finish within its timeout of 1 s' "$B/err" || fail "timeout error: $(cat "$B/err")" || return 1
  [ $((SECONDS - t0)) -lt 10 ] || fail "the timeout took $((SECONDS - t0)) s" || return 1
  assert_no_leftovers ${c1} || return 1
  # startContainer failing: start fails and the container stops.
  bundle a; sh_args 'sleep 30'; cfg --argjson h "$(hook startContainer x null 'exit 1')" '.hooks={startContainer: [$h]}'
  R create --bundle "$B" ${c2} </dev/null || fail "create" || return 1
  R start ${c2} 2>"$B/err" && { fail "start with a failing startContainer hook succeeded"; return 1; }
  grep -q 'startContainer hook failed' "$B/err" || fail "start error: $(cat "$B/err")" || return 1
  wait_status ${c2} stopped || fail "not stopped: $(status_of ${c2})" || return 1
  R delete ${c2} || return 1
  # poststart and poststop failing: warnings, the commands succeed.
  bundle a; sh_args 'sleep 30'
  cfg --argjson h "$(hook poststart x null 'exit 1')" '.hooks={poststart: [$h], poststop: [$h]}'
  R run -d --bundle "$B" ${c3} </dev/null 2>"$B/err" || fail "run with failing poststart: $(cat "$B/err")" || return 1
  grep -q 'hooks.poststart\[0\]' "$B/err" || fail "no poststart warning: $(cat "$B/err")" || return 1
  R delete -f ${c3} 2>"$B/err" || fail "delete with failing poststop" || return 1
  grep -q 'hooks.poststop\[0\]' "$B/err" || fail "no poststop warning: $(cat "$B/err")" || return 1
  assert_no_leftovers ${c3}
}
t_hostname_and_domainname() { bundle a; cfg '.hostname="box" | .domainname="example.org"'; expect_out 'hostname; cat /proc/sys/kernel/domainname' "box
example.org"; }
t_pid_1_and_new_namespaces() {
  bundle a; local host_net; host_net=$(readlink /proc/self/ns/net)
  sh_args 'echo $$; readlink /proc/self/ns/net'
  local out; out=$(R run --bundle "$B" ${c1}) || fail "run"
  [ "$(echo "$out" | head -1)" = 1 ] || fail "pid=$out"
  [ "$(echo "$out" | tail -1)" != "$host_net" ] || fail "shares the host's net ns"
}
t_user_groups_umask() {
  bundle a; cfg '.process.user={"uid":1000,"gid":1001,"additionalGids":[5,6],"umask":23}'
  expect_out 'id -u; id -g; id -G; umask' "1000
1001
1001 5 6
0027"
}
t_env_and_cwd_created() {
  bundle a; cfg '.process.env+=["FOO=bar baz"] | .process.cwd="/work/here"'
  expect_out 'echo "$FOO"; pwd' "bar baz
/work/here"
}
t_capabilities_and_no_new_privileges() {
  bundle a; cfg '.process.capabilities={"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]} | .process.noNewPrivileges=true'
  expect_out 'grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status | tr -s "\t" " "' "CapEff: 0000000000000020
CapBnd: 0000000000000020
NoNewPrivs: 1"
}
t_rlimit_and_oom_score_adj() {
  bundle a; cfg '.process.rlimits=[{"type":"RLIMIT_NOFILE","soft":500,"hard":600}] | .process.oomScoreAdj=200'
  expect_out 'ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj' "500
600
200"
}
t_mounts_tmpfs_bind_ro_and_propagation() {
  bundle a; mkdir -p "$B/share"; echo data > "$B/share/f"
  cfg --arg s "$B/share" '.mounts+=[{"destination":"/mnt/t","type":"tmpfs","source":"tmpfs","options":["size=1m","nodev"]},
     {"destination":"/mnt/s","type":"bind","source":$s,"options":["rbind","ro","rprivate"]}]'
  expect_out 'awk "\$2==\"/mnt/t\"{print \$3}" /proc/mounts; cat /mnt/s/f; touch /mnt/s/g 2>/dev/null && echo rw || echo ro' "tmpfs
data
ro"
  [ -e "$B/share/g" ] && fail "write went through"; true
}
t_tmpfs_tmpcopyup_starts_with_the_directory_contents() {
  # podman's --read-only mounts tmpfs on /tmp, /var/tmp and /run with `tmpcopyup` (a runc and crun
  # extension): the tmpfs starts with a copy of what the rootfs has there (owners, modes, links,
  # nodes), the rootfs itself is not written, and a read-only one is read-only after the copy.
  bundle a; local d=$B/rootfs/data
  mkdir -p "$d/sub/deeper" "$B/rootfs/rodata"; echo content >"$d/sub/deeper/file"; chmod 777 "$d/sub"
  chown 1000:1001 "$d/sub/deeper/file"; chmod 4755 "$d/sub/deeper/file"; ln -s sub/deeper/file "$d/link"
  mkfifo "$d/fifo"; echo ro-content >"$B/rootfs/rodata/f"
  cfg '.mounts+=[{"destination":"/data","type":"tmpfs","source":"tmpfs","options":["tmpcopyup","mode=755"]},
                 {"destination":"/rodata","type":"tmpfs","source":"tmpfs","options":["ro","tmpcopyup"]},
                 {"destination":"/fresh","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]}]'
  expect_out 'cd /data; stat -c "%A %u:%g %n" sub sub/deeper/file link fifo; cat link
awk "\$2==\"/data\"||\$2==\"/rodata\"||\$2==\"/fresh\"{print \$2, \$3, substr(\$4,1,2)}" /proc/mounts
touch /data/new && echo data-writable; cat /rodata/f; touch /rodata/x 2>/dev/null || echo rodata-read-only; ls -A /fresh | wc -l' \
"drwxrwxrwx 0:0 sub
-rwsr-xr-x 1000:1001 sub/deeper/file
lrwxrwxrwx 0:0 link
prw-r--r-- 0:0 fifo
content
/data tmpfs rw
/rodata tmpfs ro
/fresh tmpfs rw
data-writable
ro-content
rodata-read-only
0" || return 1
  [ -e "$d/new" ] && fail "the write went to the rootfs, not the tmpfs"; true
}
t_destination_under_absolute_symlink_stays_inside() {
  bundle a; mkdir -p "$B/rootfs/var"; ln -s /run "$B/rootfs/var/run"
  local marker=/run/rune-it-escape-$$
  cfg --arg d "/var/run/rune-it-escape-$$" '.mounts+=[{"destination":$d,"type":"tmpfs","source":"tmpfs"}]'
  expect_out "awk '\$2==\"/run/rune-it-escape-$$\"{print \$3}' /proc/mounts" tmpfs
  [ -e "$marker" ] && { rmdir "$marker"; fail "destination escaped to the host's $marker"; }
  [ -d "$B/rootfs/run/rune-it-escape-$$" ] || fail "destination not created inside the rootfs"
}
t_masked_and_readonly_paths() {
  bundle a
  cfg '.linux.maskedPaths+=["/proc/version"]'
  expect_out 'wc -c < /proc/version; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo rw || echo ro' "0
0
ro"
}
t_readonly_root() { bundle a; cfg '.root.readonly=true'; expect_out 'touch /x 2>/dev/null && echo rw || echo ro; touch /tmp/../dev/shm/x && echo shm-rw' "ro
shm-rw"; }
t_devices_symlinks_and_device_cgroup() {
  # CAP_MKNOD is granted, so that it is the devices cgroup that denies reading the new node.
  bundle a; cfg '.process.capabilities.bounding+=["CAP_MKNOD"] | .process.capabilities.effective+=["CAP_MKNOD"] | .process.capabilities.permitted+=["CAP_MKNOD"]'
  cfg '.linux.devices=[{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":384}]
    | .linux.resources.devices+=[{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]'
  expect_out 'stat -c "%t:%T %a" /dev/mynull; readlink /dev/fd; readlink /dev/ptmx; mknod /tmp/loop b 7 0 || echo mknod-failed; cat /tmp/loop >/dev/null 2>&1 && echo allowed || echo denied' "1:3 600
/proc/self/fd
pts/ptmx
denied"
}
t_cgroup_mount_shows_the_containers_cgroup() {
  local p=rune-it-$$; bundle a; cfg --arg p "/$p/cg1" '.linux.cgroupsPath=$p'
  sh_args 'cat /sys/fs/cgroup/pids/cgroup.procs; touch /sys/fs/cgroup/pids/x 2>/dev/null && echo rw || echo ro; sleep 1'
  R run -d --bundle "$B" ${c1} || fail "run -d"
  local pid; pid=$(R state ${c1} | jq .pid)
  grep -q ":/$p/cg1\$" /proc/$pid/cgroup || fail "not in /$p/cg1: $(cat /proc/$pid/cgroup)"
  [ -d /sys/fs/cgroup/unified/$p/cg1 ] || [ ! -d /sys/fs/cgroup/unified ] || fail "no cgroup2 directory"
  R delete -f ${c1} || fail "delete -f"
  [ -e /sys/fs/cgroup/pids/$p/cg1 ] && fail "cgroup left"
  rmdir /sys/fs/cgroup/*/$p /sys/fs/cgroup/$p 2>/dev/null; true
}
t_lifecycle_created_running_stopped_deleted() {
  bundle a; sh_args 'touch /started; sleep 30'
  R create --bundle "$B" --pid-file "$B/pid" ${c1} || fail "create"
  [ "$(status_of ${c1})" = created ] || fail "after create: $(status_of ${c1})"
  [ -e "$B/rootfs/started" ] && fail "process ran before start"
  local pid; pid=$(R state ${c1} | jq .pid); [ "$(cat "$B/pid")" = "$pid" ] || fail "pid file $(cat "$B/pid") != $pid"
  R start ${c1} || fail "start"
  wait_status ${c1} running || fail "not running: $(status_of ${c1})"
  for i in $(seq 50); do [ -e "$B/rootfs/started" ] && break; sleep 0.05; done
  [ -e "$B/rootfs/started" ] || fail "process did not run"
  R start ${c1} 2>/dev/null && fail "second start succeeded"
  R delete ${c1} 2>"$B/err" && fail "delete of a running container without --force succeeded"
  grep -q "not stopped" "$B/err" || fail "message: $(cat "$B/err")"
  R kill ${c1} KILL || fail "kill"
  wait_status ${c1} stopped || fail "not stopped: $(status_of ${c1})"
  R kill ${c1} TERM 2>/dev/null && fail "kill of a stopped container succeeded"
  R delete ${c1} || fail "delete"
  R state ${c1} 2>/dev/null && fail "state after delete"
  assert_no_leftovers ${c1}
}
t_delete_created_without_force_like_runc() {
  bundle a; sh_args 'sleep 30'
  R create --bundle "$B" ${c1} || fail create
  local pid; pid=$(R state ${c1} | jq .pid)
  R delete ${c1} || fail "delete of created container failed"
  kill -0 "$pid" 2>/dev/null && fail "init $pid still alive"
  assert_no_leftovers ${c1}
}
t_kill_all_reaches_every_process() {
  bundle a; sh_args 'sleep 100 & sleep 100 & wait'
  R run -d --bundle "$B" ${c1} || fail "run -d"; sleep 0.3
  local n; n=$(cat /sys/fs/cgroup/pids/${c1}/cgroup.procs | wc -l); [ "$n" -ge 3 ] || fail "only $n processes"
  R kill --all ${c1} KILL || fail "kill --all"
  wait_status ${c1} stopped || fail "status $(status_of ${c1})"
  R delete ${c1} || fail delete
  assert_no_leftovers ${c1}
}
t_list_formats() {
  bundle a; sh_args 'sleep 30'
  R create --bundle "$B" ${c1} || fail create
  R list | grep -qE "^${c1} +[0-9]+ +created +$B " || fail "table: $(R list)"
  [ "$(R list -q)" = ${c1} ] || fail "quiet: $(R list -q)"
  R list --format json | jq -e --arg id "${c1}" '.[0].id==$id and .[0].status=="created" and .[0].owner=="root"' >/dev/null || fail "json: $(R list --format json)"
}
t_no_pivot() { bundle a; sh_args 'echo ok'; [ "$(R run --no-pivot --bundle "$B" ${c1})" = ok ] || fail "no-pivot run"; }
t_join_network_namespace_by_path() {
  local ns=/run/rune-it-netns-$$; touch $ns; unshare --net=$ns true || fail "unshare"
  local want; want=$(nsenter --net=$ns readlink /proc/self/ns/net)
  bundle a; cfg --arg p $ns '.linux.namespaces|=map(if .type=="network" then .path=$p else . end)'
  expect_out 'readlink /proc/self/ns/net' "$want"; local rc=$?
  umount $ns; rm -f $ns; return $rc
}
t_log_file_json() {
  bundle a; cfg '.process.args=["/nonexistent"]'
  R --log "$B/log.json" --log-format json run --bundle "$B" ${c1} 2>"$B/err" && fail "run succeeded"
  jq -e '.level=="error" and (.msg|contains("/nonexistent")) and (.time|length>0)' "$B/log.json" >/dev/null || fail "log: $(cat "$B/log.json")"
  grep -q /nonexistent "$B/err" || fail "stderr: $(cat "$B/err")"
}
t_signals_are_forwarded_in_foreground_run() {
  bundle a; sh_args 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
  "$RUNE" --root "$ROOT" run --bundle "$B" ${c1} >"$B/out" 2>&1 </dev/null & local rp=$!
  for i in $(seq 100); do grep -q ready "$B/out" && break; sleep 0.05; done
  kill -TERM $rp; wait $rp; local rc=$?
  [ $rc = 3 ] || fail "rc=$rc out=$(cat "$B/out")"; grep -q got-term "$B/out" || fail "out=$(cat "$B/out")"
}

USERNS_MAPS='.linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}] | .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
# The kernel refuses new user namespaces to a chrooted process (CI's fresh-machine root).
userns_possible() { unshare --user true 2>/dev/null; }
t_new_user_namespace_with_mappings() {
  userns_possible || { echo "SKIPPED: this kernel refuses user namespaces here (chroot?)"; return 0; }
  bundle a; cfg ".linux.namespaces+=[{\"type\":\"user\"}] | $USERNS_MAPS"
  # runc spec's mounts (sysfs, cgroup) and devices, from inside the user namespace.
  expect_out 'cat /proc/self/uid_map /proc/self/gid_map | tr -s " " | sed "s/^ //"; id -u; id -g
echo x > /dev/null && head -c 3 /dev/zero | wc -c; hostname; test -f /sys/fs/cgroup/memory/memory.limit_in_bytes && echo cg' "0 100000 65536
0 100000 65536
0
0
3
rune
cg" || return 1
  [ -z "$(R list -q)" ] || fail "left: $(R list -q)"
}
t_user_namespace_joined_by_path() {
  userns_possible || { echo "SKIPPED: this kernel refuses user namespaces here (chroot?)"; return 0; }
  unshare -U sleep 30 & local holder=$!
  local i; for i in $(seq 50); do [ "$(readlink /proc/$holder/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.02; done
  echo "0 200000 65536" > /proc/$holder/uid_map; echo "0 200000 65536" > /proc/$holder/gid_map
  local want; want=$(readlink /proc/$holder/ns/user)
  bundle a; cfg --arg p /proc/$holder/ns/user '.linux.namespaces+=[{"type":"user","path":$p}]'
  # The new namespaces belong to the joined one: proc and sysfs mount, the hostname is set.
  expect_out 'readlink /proc/self/ns/user; cat /proc/self/uid_map | tr -s " " | sed "s/^ //"; id -u; hostname' "$want
0 200000 65536
0
rune"; local rc=$?
  kill $holder; wait $holder 2>/dev/null
  [ $rc = 0 ] && { [ -z "$(R list -q)" ] || fail "left: $(R list -q)"; }
}
t_user_namespace_without_root_mapped_fails_cleanly() {
  userns_possible || { echo "SKIPPED: this kernel refuses user namespaces here (chroot?)"; return 0; }
  bundle a; cfg '.linux.namespaces+=[{"type":"user"}] | .linux.uidMappings=[{"containerID":1,"hostID":100000,"size":10}] | .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":10}]'
  R run --bundle "$B" ${c1} >/dev/null 2>"$B/err" && fail "run succeeded"
  grep -q "become root in the user namespace" "$B/err" || fail "error: $(cat "$B/err")"
  assert_no_leftovers ${c1}
}

t_no_namespaces_leaves_the_hosts_mount_table_as_it_was() {
  # No namespace at all (valid; runc runs it): the container mounts in the host's namespace,
  # below rune's private bind of the rootfs; delete and the end of run take every mount away.
  bundle a; cfg '.linux.namespaces=[] | del(.hostname)'
  # Mount points under this suite's directory (other suites may mount elsewhere meanwhile).
  ours() { awk -v w="$WORK" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort; }
  local before; before=$(ours)
  sh_args 'test -c /dev/null && grep -q " /proc proc " /proc/self/mounts && echo mounted; sleep 30'
  R run -d --bundle "$B" ${c1} </dev/null >"$B/out" || fail "run -d: $(cat "$B/out")" || return 1
  local i; for i in $(seq 100); do grep -q mounted "$B/out" 2>/dev/null && break; sleep 0.05; done
  grep -q mounted "$B/out" || fail "not mounted inside: $(cat "$B/out")" || return 1
  grep -qF " $B/rootfs/proc " /proc/self/mountinfo || fail "the container's /proc is not in the host's table" || return 1
  R delete -f ${c1} || fail "delete -f" || return 1
  [ "$(ours)" = "$before" ] || fail "mount table changed: $(grep -F "$B" /proc/self/mountinfo)" || return 1
  sh_args 'echo ran'
  [ "$(R run --bundle "$B" ${c2} </dev/null)" = ran ] || fail "run" || return 1
  [ "$(ours)" = "$before" ] || fail "mount table changed after run: $(grep -F "$B" /proc/self/mountinfo)" || return 1
  # A failed create undoes the bind too.
  cfg '.process.args=["/nonexistent"]'
  R run --bundle "$B" ${c3} </dev/null 2>/dev/null && fail "run of /nonexistent succeeded"
  [ "$(ours)" = "$before" ] || fail "mount table changed after a failed create" || return 1
  assert_no_leftovers ${c3}
}

t_scheduler_io_priority_personality_and_time_offsets() {
  bundle a
  cfg '.linux.namespaces+=[{"type":"time"}] | .linux.timeOffsets={"boottime":{"secs":86400},"monotonic":{"secs":-10,"nanosecs":5}} | .linux.personality={"domain":"LINUX32"} | .process.scheduler={"policy":"SCHED_BATCH","nice":5} | .process.ioPriority={"class":"IOPRIO_CLASS_IDLE","priority":7}'
  local host_up; host_up=$(cut -d. -f1 /proc/uptime)
  expect_out 'uname -m; tr -s " " < /proc/self/timens_offsets; cut -d" " -f19,41 /proc/self/stat; ionice; cut -d. -f1 /proc/uptime > /tmp/up' "i686
monotonic -10 5
boottime 86400 0
5 3
idle" || return 1
  local up; up=$(cat "$B/rootfs/tmp/up")
  [ "$up" -ge $((host_up + 86400)) ] || fail "uptime inside $up, host $host_up: boottime offset not applied" || return 1
  # A real-time policy needs a real-time budget in the cgroup on this kernel: said, or it runs.
  bundle a; cfg '.process.scheduler={"policy":"SCHED_FIFO","priority":10}'
  sh_args 'cut -d" " -f41 /proc/self/stat'
  if ! R run --bundle "$B" ${c1} >"$B/out" 2>"$B/err"; then
    grep -q "realtimeRuntime" "$B/err" || fail "FIFO error: $(cat "$B/err")" || return 1
    [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || return 0
    cfg '.linux.resources.cpu={"realtimeRuntime":10000,"realtimePeriod":1000000}'
    R run --bundle "$B" ${c1} >"$B/out" 2>"$B/err" || fail "FIFO with a budget: $(cat "$B/err")" || return 1
  fi
  [ "$(cat "$B/out")" = 1 ] || fail "policy: $(cat "$B/out")"
}

t_seccomp_notify_reaches_the_listener() {
  [ -x "${SECCOMP_LISTENER:-}" ] || { echo "SECCOMP_LISTENER not set (CTest sets it)"; return 1; }
  local sock=$WORK/listener.sock lp
  for nnp in false true; do
    "$SECCOMP_LISTENER" "$sock" "$WORK/listener.state" 42 & lp=$!
    local i; for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
    bundle a
    cfg --arg p "$sock" --argjson n $nnp '.process.noNewPrivileges=$n | .annotations={"k":"v"} | .linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","listenerPath":$p,"listenerMetadata":"meta-1",
      "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}'
    # The listener answers ENOMSG (42), which no real mkdir gives.
    expect_out 'mkdir /tmp/x 2>&1 | grep -c "No message of desired type"; [ -d /tmp/x ] && echo made || echo not-made' "1
not-made" || { kill $lp; return 1; }
    wait $lp
    grep -q "^fd=yes$" "$WORK/listener.state" || fail "no fd: $(cat "$WORK/listener.state")" || return 1
    head -1 "$WORK/listener.state" | jq -e '.ociVersion=="1.0.2" and .fds==["seccompFd"] and .metadata=="meta-1" and (.pid|type)=="number" and .state.status=="creating" and .state.pid==.pid and .state.annotations.k=="v" and (.state.id|startswith("c-"))' >/dev/null \
      || fail "state (nnp=$nnp): $(cat "$WORK/listener.state")" || return 1
  done
  # What no listener could answer is refused by name, before anything is made.
  bundle a; cfg --arg p "$sock" '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","listenerPath":$p,"syscalls":[{"names":["sendmsg"],"action":"SCMP_ACT_NOTIFY"}]}'
  R run --bundle "$B" ${c1} 2>"$B/err" && fail "NOTIFY on sendmsg accepted"
  grep -q 'linux.seccomp.syscalls\[0\].action`: SCMP_ACT_NOTIFY on `sendmsg`' "$B/err" || fail "err: $(cat "$B/err")" || return 1
  # A listener that is not there fails the create and leaves nothing.
  bundle a; cfg --arg p "$WORK/nobody.sock" '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","listenerPath":$p,"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'
  R run --bundle "$B" ${c1} 2>"$B/err" && fail "run without a listener succeeded"
  grep -q 'listenerPath`: connect to' "$B/err" || fail "err: $(cat "$B/err")" || return 1
  assert_no_leftovers ${c1}
}

run_tests
