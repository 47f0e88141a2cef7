#!/bin/bash
# cgroup v2 for real. The suite runs in a private mount namespace whose /sys/fs/cgroup is the
# host's cgroup2 hierarchy alone (the v1 mounts are detached in that namespace only): rune sees a
# cgroup2-only host. On this hybrid host that hierarchy owns only hugetlb (memory, cpu, pids and io
# are bound to v1: their v2 files are checked against fixtures in the unit tests), but the core
# files — cgroup.freeze, cgroup.kill — and device programs (BPF) work on it.
# Also here: net_cls/net_prio in a nested namespace where they are mounted (v1), and the errors
# for controllers mounted nowhere.
if [ -z "${RUNE_IT_CGROUP2_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "integration tests must run as root" >&2; exit 2; }
  grep -qw cgroup2 /proc/filesystems || { echo "SKIPPED: no cgroup2 in this kernel"; exit 77; }
  exec unshare -m --propagation private env RUNE_IT_CGROUP2_NS=1 bash "$0" "$@"
fi
# In the private namespace: /sys/fs/cgroup becomes the cgroup2 hierarchy (lazily detaching the
# tmpfs and every v1 hierarchy under it — in this namespace only).
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
  umount -l /sys/fs/cgroup || { echo "umount /sys/fs/cgroup failed" >&2; exit 1; }
  mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "mount cgroup2 failed" >&2; exit 1; }
fi
# Any other cgroup mount in this namespace (e.g. a chroot's /sys/fs/cgroup elsewhere on the
# host) would show rune v1 hierarchies: detach them here too, deepest first.
awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break } }
     t == "cgroup" || (t == "cgroup2" && $5 != "/sys/fs/cgroup") { print $5 }' /proc/self/mountinfo |
  sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup
ID=v2-$$        # ids unique to this run: the cgroup2 hierarchy is the host's
NEST=rune-it-v2-$$
SUBTREE_BEFORE=$(cat $CG/cgroup.subtree_control)
v2_cleanup() {
  local d
  for d in $(find "$CG/$NEST" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
  # Controllers rune enabled at the root for this suite go back (an error means some other
  # cgroup uses them now: left as they are).
  for c in $(cat $CG/cgroup.subtree_control); do
    grep -qw "$c" <<<"$SUBTREE_BEFORE" || echo "-$c" > $CG/cgroup.subtree_control 2>/dev/null
  done
}
trap 'cleanup; v2_cleanup' EXIT

# attached_device_programs DIR: how many BPF_CGROUP_DEVICE programs are attached to DIR
# (bpf(BPF_PROG_QUERY) through Debian's python: no bpftool here).
attached_device_programs() {
  /usr/bin/python3 - "$1" <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
ids = (ctypes.c_uint32 * 64)()
attr = ctypes.create_string_buffer(128)
# union bpf_attr.query: target_fd, attach_type (BPF_CGROUP_DEVICE = 6), query_flags,
# attach_flags, prog_ids, prog_cnt. SYS_bpf = 321, BPF_PROG_QUERY = 16 (x86-64).
struct.pack_into("IIIIQI", attr, 0, fd, 6, 0, 0, ctypes.addressof(ids), 64)
if libc.syscall(321, 16, attr, 128) != 0:
    sys.exit("BPF_PROG_QUERY: " + os.strerror(ctypes.get_errno()))
print(struct.unpack_from("I", attr, 24)[0])
EOF
}

# wait_for FILE TEXT: waits up to 5 s until FILE's content is TEXT.
wait_for() {
  local i; for i in $(seq 100); do [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.05; done
  fail "$1: want [$2] got [$(cat "$1" 2>/dev/null)]"
}

t_rune_sees_a_cgroup2_only_host() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" $ID-1 </dev/null 2>"$B/err" || fail "run -d: $(cat "$B/err")" || return 1
  local pid; pid=$(R state $ID-1 | jq .pid)
  grep -qx "0::/$ID-1" /proc/$pid/cgroup || fail "not in /$ID-1 on cgroup2: $(cat /proc/$pid/cgroup)" || return 1
  grep -v '^0::' /proc/$pid/cgroup | grep -q "/$ID-1\$" && { fail "a v1 cgroup was made: $(cat /proc/$pid/cgroup)"; return 1; }
  [ -f $CG/$ID-1/cgroup.controllers ] || fail "no cgroup2 directory" || return 1
  R delete -f $ID-1 && assert_no_leftovers $ID-1
}

t_events_stats_from_cgroup2() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" $ID-ev </dev/null || fail "run -d" || return 1
  local out; out=$(R events --stats $ID-ev) || fail "events --stats" || return 1
  jq -e '.type == "stats" and (.data | keys_unsorted) == ["cpu","cpuset","memory","pids","blkio","hugetlb","intel_rdt","network_interfaces"]' <<<"$out" >/dev/null ||
    fail "shape: $out" || return 1
  # What cgroup2 owns on this host (hugetlb, see above) is read from it.
  local sizes; sizes=$(ls $CG/$ID-ev | sed -n 's/^hugetlb\.\([0-9]*[KMG]B\)\.current$/\1/p' | sort | tr '\n' ' ')
  [ "$(jq -r '.data.hugetlb | keys | join(" ")' <<<"$out") " = "$sizes" ] || [ -z "$sizes" ] ||
    fail "hugetlb sizes: $(jq -c .data.hugetlb <<<"$out") want [$sizes]" || return 1
  R delete -f $ID-ev && assert_no_leftovers $ID-ev
}

t_hugetlb_max_in_a_nested_cgroup() {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || { echo "SKIPPED: no 2MB huge pages here"; return 0; }
  grep -qw hugetlb $CG/cgroup.controllers || { echo "SKIPPED: cgroup2 has no hugetlb controller here ($(cat $CG/cgroup.controllers))"; return 0; }
  # A nested path: hugetlb is enabled in the subtree_control of the root and of $NEST.
  bundle a; sh_args 'cat /sys/fs/cgroup/hugetlb.2MB.max; sleep 30'
  cfg --arg p "/$NEST/h1" '.linux.cgroupsPath=$p
       | .linux.resources.hugepageLimits=[{"pageSize":"2MB","limit":4194304}]'
  R run -d --bundle "$B" $ID-1 </dev/null >"$B/out" 2>"$B/err" || fail "run -d: $(cat "$B/err")" || return 1
  grep -qw hugetlb $CG/$NEST/cgroup.subtree_control || fail "hugetlb not enabled in $NEST: $(cat $CG/$NEST/cgroup.subtree_control)" || return 1
  [ "$(cat $CG/$NEST/h1/hugetlb.2MB.max)" = 4194304 ] || fail "hugetlb.2MB.max = $(cat $CG/$NEST/h1/hugetlb.2MB.max)" || return 1
  # The container sees its own cgroup at /sys/fs/cgroup.
  wait_for "$B/out" 4194304 || return 1
  # And the kernel holds it: a limit under one huge page is accepted and kept, as written.
  echo '{"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]}' | R update -r - $ID-1 || fail "update" || return 1
  [ "$(cat $CG/$NEST/h1/hugetlb.2MB.max)" = 2097152 ] || fail "after update: $(cat $CG/$NEST/h1/hugetlb.2MB.max)" || return 1
  R delete -f $ID-1 || return 1
  [ -e $CG/$NEST/h1 ] && { fail "cgroup $NEST/h1 left"; return 1; }
  rmdir $CG/$NEST
}

t_pause_and_resume_with_cgroup_freeze() {
  bundle a; mkdir -p "$B/share"
  cfg --arg s "$B/share" '.mounts+=[{"destination":"/share","type":"bind","source":$s,"options":["rbind","rw"]}]'
  # Written beside and renamed: a reader never sees the file truncated by `>` (a freeze, or a
  # read, can fall between the truncation and the write).
  sh_args 'i=0; while :; do i=$((i+1)); echo $i > /share/n.t; mv /share/n.t /share/n; sleep 0.02; done'
  R run -d --bundle "$B" $ID-1 </dev/null || fail "run -d" || return 1
  local n; for n in $(seq 100); do [ -s "$B/share/n" ] && break; sleep 0.05; done
  [ -s "$B/share/n" ] || fail "the workload never wrote /share/n" || return 1
  R pause $ID-1 || fail "pause" || return 1
  [ "$(status_of $ID-1)" = paused ] || fail "status: $(status_of $ID-1)" || return 1
  [ "$(cat $CG/$ID-1/cgroup.freeze)" = 1 ] || fail "cgroup.freeze: $(cat $CG/$ID-1/cgroup.freeze)" || return 1
  grep -qx 'frozen 1' $CG/$ID-1/cgroup.events || fail "events: $(cat $CG/$ID-1/cgroup.events)" || return 1
  local a b; a=$(cat "$B/share/n"); sleep 0.5; b=$(cat "$B/share/n")
  [ "$a" = "$b" ] || fail "the workload ran while paused: $a then $b" || return 1
  R resume $ID-1 || fail "resume" || return 1
  [ "$(status_of $ID-1)" = running ] || fail "status after resume: $(status_of $ID-1)" || return 1
  for n in $(seq 100); do b=$(cat "$B/share/n"); [ "$b" -gt "$a" ] && break; sleep 0.05; done
  [ "$b" -gt "$a" ] || fail "the workload did not run after resume: $a then $b" || return 1
  # delete -f of a paused container thaws it so that it can die.
  R pause $ID-1 && R delete -f $ID-1 || fail "delete -f of a paused container" || return 1
  assert_no_leftovers $ID-1
}

t_kill_all_uses_cgroup_kill() {
  bundle a; sh_args 'sleep 100 & sleep 100 & wait'
  R run -d --bundle "$B" $ID-1 </dev/null || fail "run -d" || return 1
  local n; for n in $(seq 50); do [ "$(wc -l < $CG/$ID-1/cgroup.procs)" -ge 3 ] && break; sleep 0.05; done
  # LeakSanitizer cannot run under ptrace (the sanitizer build): no leak check for this one call.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=openat -o "$B/trace" "$RUNE" --root "$ROOT" kill --all $ID-1 KILL || fail "kill --all" || return 1
  grep -q "$CG/$ID-1/cgroup.kill" "$B/trace" || fail "cgroup.kill was not used: $(grep cgroup "$B/trace")" || return 1
  wait_status $ID-1 stopped || fail "not stopped: $(status_of $ID-1)" || return 1
  for n in $(seq 50); do [ -z "$(cat $CG/$ID-1/cgroup.procs)" ] && break; sleep 0.05; done
  [ -z "$(cat $CG/$ID-1/cgroup.procs)" ] || fail "processes left: $(cat $CG/$ID-1/cgroup.procs)" || return 1
  R delete $ID-1 && assert_no_leftovers $ID-1
}

mknod_caps='.process.capabilities.bounding+=["CAP_MKNOD"] | .process.capabilities.effective+=["CAP_MKNOD"] | .process.capabilities.permitted+=["CAP_MKNOD"]'
# probe FILE r|w: "ok", or the error's cause ("not permitted").
probe='probe() { if [ $2 = r ]; then dd if=$1 of=/dev/null count=0 2>/tmp/e; else dd if=/dev/zero of=$1 count=0 conv=notrunc 2>/tmp/e; fi && echo ok || grep -o "not permitted" /tmp/e || cat /tmp/e; }'

t_device_program_denies_and_allows() {
  # rune spec's deny-all, then b 7:0 (loop0) for reading only: the program, not the v1 devices
  # cgroup (there is none in this namespace), decides.
  bundle a; cfg "$mknod_caps"
  cfg '.linux.resources.devices+=[{"allow":true,"type":"b","major":7,"minor":0,"access":"r"}]'
  sh_args "$probe"'; mknod /tmp/l0 b 7 0; mknod /tmp/l1 b 7 1
    echo "l0 r $(probe /tmp/l0 r)"; echo "l0 w $(probe /tmp/l0 w)"; echo "l1 r $(probe /tmp/l1 r)"
    echo "null $(probe /dev/null w)"; echo "kmsg $(mknod /tmp/k c 1 11 && probe /tmp/k r)"'
  local out; out=$(R run --bundle "$B" $ID-1 </dev/null 2>"$B/err") || fail "run: $(cat "$B/err")" || return 1
  [ "$out" = "l0 r ok
l0 w not permitted
l1 r not permitted
null ok
kmsg not permitted" ] || fail "got: $out" || return 1
  grep -q 'not enforced' "$B/err" && { fail "warned: $(cat "$B/err")"; return 1; }
  # Allow all but one device: mknod of that one is denied too.
  bundle a; cfg "$mknod_caps"
  cfg '.linux.resources.devices=[{"allow":true,"access":"rwm"},{"allow":false,"type":"b","major":7,"minor":1,"access":"rwm"}]'
  sh_args "$probe"'; mknod /tmp/l1 b 7 1 2>&1 | grep -o "not permitted"; mknod /tmp/l0 b 7 0 && probe /tmp/l0 w'
  out=$(R run --bundle "$B" $ID-2 </dev/null 2>"$B/err") || fail "run: $(cat "$B/err")" || return 1
  [ "$out" = "not permitted
ok" ] || fail "allow-all but 7:1, got: $out" || return 1
  assert_no_leftovers $ID-1 && assert_no_leftovers $ID-2
}

t_update_replaces_the_device_program() {
  bundle a; cfg "$mknod_caps"; mkdir -p "$B/share"
  cfg --arg s "$B/share" '.mounts+=[{"destination":"/share","type":"bind","source":$s,"options":["rbind","rw"]}]
       | .linux.resources.devices+=[{"allow":true,"type":"b","major":7,"minor":0,"access":"r"}]'
  # The workload reports, again and again, what it may open.
  sh_args "$probe"'; mknod /tmp/l0 b 7 0; mknod /tmp/l1 b 7 1
    while :; do echo "$(probe /tmp/l0 r) $(probe /tmp/l1 r)" > /share/t; mv /share/t /share/out; sleep 0.05; done'
  R run -d --bundle "$B" $ID-1 </dev/null 2>"$B/err" || fail "run -d: $(cat "$B/err")" || return 1
  wait_for "$B/share/out" "ok not permitted" || return 1
  [ "$(attached_device_programs $CG/$ID-1)" = 1 ] || fail "programs after create: $(attached_device_programs $CG/$ID-1)" || return 1
  # Swapped: were the first program stacked rather than replaced, 7:1 would stay denied.
  echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":7,"minor":1,"access":"r"}]}' |
    R update -r - $ID-1 || fail "update devices" || return 1
  wait_for "$B/share/out" "not permitted ok" || return 1
  [ "$(attached_device_programs $CG/$ID-1)" = 1 ] || fail "programs after update: $(attached_device_programs $CG/$ID-1)" || return 1
  echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":7,"access":"r"}]}' |
    R update -r - $ID-1 || fail "second update" || return 1
  wait_for "$B/share/out" "ok ok" || return 1
  [ "$(attached_device_programs $CG/$ID-1)" = 1 ] || fail "programs after the second update" || return 1
  # A rule the devices cgroup cannot express is refused, and the program stays.
  echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","access":"r"},{"allow":false,"type":"b","major":7,"minor":0,"access":"r"}]}' |
    R update -r - $ID-1 2>"$B/err" && { fail "a hole in a wildcard was accepted"; return 1; }
  grep -q 'linux.resources.devices\[2\].*punch a hole' "$B/err" || fail "error: $(cat "$B/err")" || return 1
  wait_for "$B/share/out" "ok ok" || return 1
  R delete -f $ID-1 && assert_no_leftovers $ID-1
}

t_controllers_mounted_nowhere_are_errors_naming_the_field() {
  local r f
  for r in '{"network":{"classID":1048577}}:network.classID' '{"network":{"priorities":[{"name":"lo","priority":5}]}}:network.priorities' \
           '{"memory":{"limit":33554432}}:memory' '{"pids":{"limit":10}}:pids.limit'; do
    f=${r##*:}; r=${r%:*}
    grep -qw "${f%%.*}" $CG/cgroup.controllers && continue   # a host where cgroup2 has it
    bundle a; cfg --argjson r "$r" '.linux.resources += $r'
    R run --bundle "$B" $ID-1 </dev/null 2>"$B/err" && { fail "$r: run succeeded"; return 1; }
    grep -q "linux.resources.$f.*no mounted cgroup hierarchy" "$B/err" || fail "$r: $(cat "$B/err")" || return 1
    assert_no_leftovers $ID-1 || return 1
  done
}

t_net_cls_and_net_prio_where_mounted() {
  # Both enabled, and in no hierarchy or in the same one (a hierarchy outlives its last umount for
  # a while: a new mount with the same options gets it back).
  local cls prio; cls=$(awk '$1=="net_cls" && $4==1 {print $2}' /proc/cgroups)
  prio=$(awk '$1=="net_prio" && $4==1 {print $2}' /proc/cgroups)
  [ -n "$cls" ] && [ "$cls" = "$prio" ] ||
    { echo "SKIPPED: net_cls and net_prio cannot be mounted together here: $(grep net_ /proc/cgroups | tr '\t\n' ' ')"; return 0; }
  # A nested mount namespace where they are mounted (v1); everything made there is undone there.
  bundle a; sh_args 'sleep 30'
  cfg '.linux.resources.network={"classID":1048577,"priorities":[{"name":"lo","priority":5}]}'
  local out
  out=$(unshare -m --propagation private env RUNE="$RUNE" ROOT="$ROOT" B="$B" ID="$ID" bash -c '
    hier=/sys/fs/cgroup/net_cls,net_prio
    # A hierarchy whose child was just removed outlives its umount; a later mount and umount ends
    # it, and net_cls/net_prio are free again.
    release() {
      "$RUNE" --root "$ROOT" delete -f $ID-1 2>/dev/null; rmdir $hier/$ID-1 2>/dev/null; umount $hier
      for i in $(seq 50); do
        awk "\$1==\"net_cls\" && \$2!=0 {b=1} END {exit !b}" /proc/cgroups || return 0
        sleep 0.1; mount -t cgroup -o net_cls,net_prio cgroup $hier 2>/dev/null && umount $hier
      done
    }
    trap release EXIT
    umount -l /sys/fs/cgroup && mount -t tmpfs tmpfs /sys/fs/cgroup && mkdir $hier &&
      mount -t cgroup -o net_cls,net_prio cgroup $hier || { echo "mount net_cls,net_prio failed"; exit 1; }
    "$RUNE" --root "$ROOT" run -d --bundle "$B" $ID-1 </dev/null 2>"$B/err" || { echo "run -d: $(cat "$B/err")"; exit 1; }
    echo "classid $(cat $hier/$ID-1/net_cls.classid)"
    grep -x "lo 5" $hier/$ID-1/net_prio.ifpriomap || echo "ifpriomap: $(cat $hier/$ID-1/net_prio.ifpriomap)"
    "$RUNE" --root "$ROOT" delete -f $ID-1 || echo "delete failed"
    [ -e $hier/$ID-1 ] && echo "cgroup left"' 2>&1)
  [ "$out" = "classid 1048577
lo 5" ] || fail "got: $out" || return 1
  assert_no_leftovers $ID-1
}

run_tests
