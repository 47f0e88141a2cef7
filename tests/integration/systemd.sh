#!/bin/bash
# `rune --systemd-cgroup`: the container's cgroups as a systemd scope, over D-Bus. systemd is not
# PID 1 here, so a private dbus-daemon carries a small fake org.freedesktop.systemd1
# (tests/helpers/fake_systemd.py, dbus-python: libdbus's marshalling, not rune's) that records
# each call with its arguments' D-Bus types and makes and removes the scope's cgroups as systemd
# would. runc 1.1 with --systemd-cgroup runs against the same fake (in a mount namespace whose
# /run/systemd/system exists, runc's test for a running systemd), and what rune sends must equal
# what runc sends. What this cannot check: a real systemd's reaction (its own writes to the
# controllers it manages, its refusals of a property value).
. "$(dirname "$0")/lib.sh"
FAKE=${FAKE_SYSTEMD:-$(dirname "$0")/../helpers/fake_systemd.py}
command -v dbus-daemon >/dev/null || { echo "SKIPPED: dbus-daemon is missing (scripts/install-deps.sh)"; exit 77; }
/usr/bin/python3 -c 'import dbus, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null ||
  { echo "SKIPPED: python3-dbus / python3-gi are missing (scripts/install-deps.sh)"; exit 77; }

SLICE=rit$$-sub.slice            # expands to /rit$$.slice/rit$$-sub.slice
SLICE_DIR=/rit$$.slice/rit$$-sub.slice
BUS=$WORK/bus
REC=$WORK/record
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BUS
cat > "$WORK/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$WORK/bus.conf" --nofork 2>"$WORK/dbus.err" & DAEMON=$!
for i in $(seq 100); do [ -S "$BUS" ] && break; sleep 0.05; done
/usr/bin/python3 "$FAKE" "unix:path=$BUS" "$REC" 2>"$WORK/fake.err" & FAKE_PID=$!
for i in $(seq 200); do [ -e "$REC.ready" ] && break; sleep 0.05; done
[ -e "$REC.ready" ] || { echo "the fake systemd did not start: $(cat "$WORK/dbus.err" "$WORK/fake.err")"; exit 1; }

# The default scope goes to system.slice: made by this suite when the host has none, removed after
# (a leftover cgroup2 child holding a controller keeps crun's hybrid fix from mounting it as v1).
SYSTEM_SLICE_EXISTED=0
[ -d /sys/fs/cgroup/memory/system.slice ] && SYSTEM_SLICE_EXISTED=1
sd_cleanup() {
  cleanup_containers
  [ $SYSTEM_SLICE_EXISTED = 1 ] || rmdir /sys/fs/cgroup/*/system.slice 2>/dev/null
  kill "$FAKE_PID" "$DAEMON" 2>/dev/null; wait "$FAKE_PID" "$DAEMON" 2>/dev/null
  # Slices stay after their scopes (as with systemd): this suite's go, leaves first.
  find /sys/fs/cgroup/*/rit$$.slice /sys/fs/cgroup/rit$$.slice -depth -type d -exec rmdir {} + 2>/dev/null
  cleanup
}
cleanup_containers() {
  local id
  for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done
  for id in $(RUNC list -q 2>/dev/null); do RUNC delete -f "$id" >/dev/null 2>&1; done
}
trap sd_cleanup EXIT

SD() { R --systemd-cgroup "$@"; }
# runc with --systemd-cgroup, seeing /run/systemd/system (only in its own mount namespace).
RUNC() {
  unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && exec runc "$@"' \
    sh --root "$WORK/runc" --systemd-cgroup "$@"
}
calls() { jq -c --arg m "$1" --arg u "$2" 'select(.method == $m and .unit == $u)' "$REC"; }
# scope_bundle NAME CGROUPS_PATH: a bundle whose init sleeps, with limits systemd takes.
scope_bundle() {
  bundle "$1" || return 1
  sh_args 'sleep 300'
  cfg --arg p "$2" --arg r "$B/rootfs" '.linux.cgroupsPath=$p | .root.path=$r
    | .linux.resources.memory={"limit":67108864} | .linux.resources.pids={"limit":100}
    | .linux.resources.cpu={"shares":512,"quota":50000,"period":100000}'
}
# no_scope_left UNIT ID: neither the scope's cgroups nor rune's state are left.
no_scope_left() {
  local d
  for d in /sys/fs/cgroup/*"$SLICE_DIR/$1" /sys/fs/cgroup/unified"$SLICE_DIR/$1"; do
    [ -e "$d" ] && { echo "cgroup $d left behind"; return 1; }
  done
  [ -e "$ROOT/$2" ] && { echo "state dir $ROOT/$2 left behind"; return 1; }
  return 0
}

t_scope_with_runc_properties_and_limits() {
  local id=sd-$$ unit="rune-sd-$$.scope" pid want got
  scope_bundle s1 "$SLICE:rune:$id" || return 1
  SD run -d --bundle "$B" "$id" </dev/null >"$WORK/err" 2>&1 || fail "run -d: $(cat "$WORK/err")" || return 1
  pid=$(R state "$id" | jq .pid)
  want=$(jq -nc --arg s "$SLICE" --arg id "$id" --argjson pid "$pid" '[
    {name:"Description",type:"s",value:("libcontainer container " + $id)},
    {name:"Slice",type:"s",value:$s}, {name:"Delegate",type:"b",value:true},
    {name:"PIDs",type:"au",value:[$pid]},
    {name:"MemoryAccounting",type:"b",value:true}, {name:"CPUAccounting",type:"b",value:true},
    {name:"BlockIOAccounting",type:"b",value:true}, {name:"TasksAccounting",type:"b",value:true},
    {name:"DefaultDependencies",type:"b",value:false}]')
  got=$(calls StartTransientUnit "$unit" | jq -c .properties)
  [ "$got" = "$want" ] || fail "StartTransientUnit properties: $got, want $want" || return 1
  [ "$(calls StartTransientUnit "$unit" | jq -r '.mode + " " + (.aux|tostring)')" = "replace 0" ] ||
    fail "mode/aux: $(calls StartTransientUnit "$unit")" || return 1
  got=$(calls SetUnitProperties "$unit" | jq -c '[.properties[] | select(.name | test("Device") | not)]')
  want='[{"name":"MemoryLimit","type":"t","value":67108864},{"name":"CPUShares","type":"t","value":512},{"name":"CPUQuotaPeriodUSec","type":"t","value":100000},{"name":"CPUQuotaPerSecUSec","type":"t","value":500000},{"name":"TasksMax","type":"t","value":100}]'
  [ "$got" = "$want" ] || fail "SetUnitProperties: $got" || return 1
  # The init is in the scope in every hierarchy (systemd's and those rune joins itself), and
  # the files systemd does not write are rune's.
  local n; n=$(grep -c ":$SLICE_DIR/$unit\$" /proc/"$pid"/cgroup)
  [ "$n" = "$(wc -l < /proc/"$pid"/cgroup)" ] || fail "not in the scope everywhere: $(cat /proc/"$pid"/cgroup)" || return 1
  [ "$(cat /sys/fs/cgroup/memory"$SLICE_DIR/$unit"/memory.limit_in_bytes)" = 67108864 ] || fail "memory limit" || return 1
  [ "$(cat /sys/fs/cgroup/pids"$SLICE_DIR/$unit"/pids.max)" = 100 ] || fail "pids.max" || return 1
  [ "$(cat /sys/fs/cgroup/cpu"$SLICE_DIR/$unit"/cpu.cfs_quota_us)" = 50000 ] || fail "cfs quota" || return 1
  # exec joins the scope too; update goes through systemd, then the files.
  R exec -d --pid-file "$WORK/exec.pid" "$id" sleep 30 </dev/null || fail "exec -d" || return 1
  grep -qx "$(cat "$WORK/exec.pid")" /sys/fs/cgroup/memory"$SLICE_DIR/$unit"/cgroup.procs ||
    fail "the exec'd process is not in the scope" || return 1
  R update --memory 134217728 "$id" || fail "update" || return 1
  calls SetUnitProperties "$unit" | tail -1 | jq -e '.properties == [{"name":"MemoryLimit","type":"t","value":134217728}]' >/dev/null ||
    fail "update's properties: $(calls SetUnitProperties "$unit" | tail -1)" || return 1
  [ "$(cat /sys/fs/cgroup/memory"$SLICE_DIR/$unit"/memory.limit_in_bytes)" = 134217728 ] || fail "updated limit" || return 1
  # Later commands know the scope from the state (no flag needed): delete stops it.
  R delete -f "$id" || fail "delete" || return 1
  [ -n "$(calls StopUnit "$unit")" ] || fail "no StopUnit" || return 1
  calls StopUnit "$unit" | jq -e '.mode == "replace"' >/dev/null || fail "StopUnit mode" || return 1
  no_scope_left "$unit" "$id"
}

t_sends_what_runc_sends() {
  command -v runc >/dev/null || { echo "SKIPPED: runc is missing"; return 0; }
  unshare -m true 2>/dev/null || { echo "SKIPPED: no mount namespace for runc's /run/systemd/system"; return 0; }
  local a=sa-$$ b=sb-$$ norm
  scope_bundle ra "$SLICE:runc:$b" || return 1
  local runc_b=$B
  scope_bundle rr "$SLICE:rune:$a" || return 1
  (cd "$runc_b" && RUNC run -d "$b") </dev/null >"$WORK/err" 2>&1 || fail "runc run -d: $(cat "$WORK/err")" || return 1
  SD run -d --bundle "$B" "$a" </dev/null >"$WORK/err" 2>&1 || fail "rune run -d: $(cat "$WORK/err")" || return 1
  # Equal but for the names and the pid. rune's device list has /dev/console (5:1) in addition:
  # rune allows it to every container (as its cgroupfs rules do); runc 1.1.5 leaves it out.
  norm='del(.unit) | .properties |= map(select(.name != "Description" and .name != "PIDs")
        | if .name == "DeviceAllow" then .value |= map(select(.[0] != "/dev/char/5:1")) else . end)'
  for m in StartTransientUnit SetUnitProperties; do
    local x y
    x=$(calls $m "runc-$b.scope" | jq -c "$norm"); y=$(calls $m "rune-$a.scope" | jq -c "$norm")
    [ -n "$x" ] && [ "$x" = "$y" ] || fail "$m: runc sent $x, rune sent $y" || return 1
  done
  (cd "$runc_b" && RUNC delete -f "$b") >/dev/null 2>&1
  R delete -f "$a" || fail "delete" || return 1
  [ -n "$(calls StopUnit "runc-$b.scope")" ] && [ -n "$(calls StopUnit "rune-$a.scope")" ] || fail "StopUnit missing"
}

# The unified driver (runc's v2 manager: IOAccounting, MemoryMax, CPUWeight, ...), on a
# cgroup2-only view of this host: a mount namespace whose /sys/fs/cgroup is the cgroup2 hierarchy
# alone (as integration.cgroup2), where runc picks its unified manager too. No limits (cgroup2
# owns only hugetlb here): the unit's properties and the device policy are compared.
t_unified_driver_sends_what_runc_sends() {
  command -v runc >/dev/null || { echo "SKIPPED: runc is missing"; return 0; }
  unshare -m true 2>/dev/null || { echo "SKIPPED: no mount namespace"; return 0; }
  grep -qw cgroup2 /proc/filesystems || { echo "SKIPPED: no cgroup2 in this kernel"; return 0; }
  local a=ua-$$ b=ub-$$ norm
  bundle ura || return 1
  sh_args 'sleep 300'
  cfg --arg p "$SLICE:runc:$b" --arg r "$B/rootfs" '.linux.cgroupsPath=$p | .root.path=$r'
  local runc_b=$B
  bundle urr || return 1
  sh_args 'sleep 300'
  cfg --arg p "$SLICE:rune:$a" '.linux.cgroupsPath=$p'
  RUNE=$RUNE ROOT=$ROOT unshare -m --propagation private bash -c '
    umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 3
    awk '"'"'{ for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break } }
         t == "cgroup" || (t == "cgroup2" && $5 != "/sys/fs/cgroup") { print $5 }'"'"' /proc/self/mountinfo |
      sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system || exit 3
    (cd "$1" && runc --root "$3/runc-v2" --systemd-cgroup run -d "$2") </dev/null >"$3/u.err" 2>&1 || exit 4
    "$RUNE" --root "$ROOT" --systemd-cgroup run -d --bundle "$5" "$4" </dev/null >>"$3/u.err" 2>&1 || exit 5
    grep -q "^0::/'"${SLICE_DIR#/}"'/rune-$4.scope\$" /proc/$("$RUNE" --root "$ROOT" state "$4" | jq .pid)/cgroup || exit 6
    runc --root "$3/runc-v2" delete -f "$2" >/dev/null 2>&1
    "$RUNE" --root "$ROOT" delete -f "$4" || exit 7
  ' sh "$runc_b" "$b" "$WORK" "$a" "$B"
  local rc=$?
  [ $rc = 0 ] || fail "in the cgroup2 namespace: step $rc: $(cat "$WORK/u.err")" || return 1
  norm='del(.unit) | .properties |= map(select(.name != "Description" and .name != "PIDs")
        | if .name == "DeviceAllow" then .value |= map(select(.[0] != "/dev/char/5:1")) else . end)'
  calls StartTransientUnit "rune-$a.scope" | jq -e '.properties | map(.name) | index("IOAccounting")' >/dev/null ||
    fail "no IOAccounting: $(calls StartTransientUnit "rune-$a.scope")" || return 1
  for m in StartTransientUnit SetUnitProperties; do
    local x y
    x=$(calls $m "runc-$b.scope" | jq -c "$norm"); y=$(calls $m "rune-$a.scope" | jq -c "$norm")
    [ -n "$x" ] && [ "$x" = "$y" ] || fail "$m: runc sent $x, rune sent $y" || return 1
  done
}

t_foreground_run_stops_its_scope() {
  local id=sf-$$ rc
  bundle fg || return 1
  cfg --arg p "$SLICE:rune:$id" '.linux.cgroupsPath=$p'
  sh_args 'grep -q "rune-'"$id"'.scope$" /proc/self/cgroup && exit 7'
  SD run --bundle "$B" "$id" </dev/null; rc=$?
  [ $rc = 7 ] || fail "exit $rc, want 7 (the workload in its scope)" || return 1
  [ -n "$(calls StopUnit "rune-$id.scope")" ] || fail "no StopUnit" || return 1
  no_scope_left "rune-$id.scope" "$id"
}

t_empty_path_is_rune_scope_in_system_slice() {
  local id=se-$$ d
  bundle se || return 1
  cfg 'del(.linux.cgroupsPath) | .linux.resources={}' && sh_args 'sleep 300'
  SD run -d --bundle "$B" "$id" </dev/null || fail "run -d" || return 1
  calls StartTransientUnit "rune-$id.scope" | jq -e '.properties[1] == {"name":"Slice","type":"s","value":"system.slice"}' >/dev/null ||
    fail "unit or slice: $(tail -3 "$REC")" || return 1
  grep -q "memory:/system.slice/rune-$id.scope\$" /proc/"$(R state "$id" | jq .pid)"/cgroup || fail "cgroup path" || return 1
  R delete -f "$id" || fail "delete" || return 1
  for d in /sys/fs/cgroup/*/system.slice/rune-$id.scope; do
    [ -e "$d" ] && { echo "cgroup $d left behind"; return 1; }
  done
  return 0
}


t_bad_cgroups_paths_refused_before_anything() {
  local before id=sbad-$$ p
  before=$(wc -l < "$REC")
  bundle bad || return 1
  cfg '.linux.cgroupsPath="foo"'
  # (the text log escapes the quotes of runc's text)
  refused 'expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"foo\" instead' SD run -d --bundle "$B" "$id" || return 1
  for p in 'a/b.slice:x:y' 'a--b.slice:x:y' 'nota-slice:x:y' '-a.slice:x:y'; do
    cfg --arg p "$p" '.linux.cgroupsPath=$p'
    refused "invalid slice name" SD run -d --bundle "$B" "$id" || return 1
  done
  cfg '.linux.cgroupsPath="x.slice:p:na me"'
  refused "which systemd does not accept" SD run -d --bundle "$B" "$id" || return 1
  [ "$(wc -l < "$REC")" = "$before" ] || fail "systemd was called: $(tail -2 "$REC")" || return 1
  assert_no_leftovers "$id"
}

t_no_systemd_is_an_error_naming_the_flag() {
  local id=snone-$$
  bundle none || return 1
  cfg --arg p "$SLICE:rune:$id" '.linux.cgroupsPath=$p'
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/no-such-bus refused '`--systemd-cgroup`: no systemd answers' SD run -d --bundle "$B" "$id" || return 1
  no_scope_left "rune-$id.scope" "$id" || return 1
  # A bus without systemd on it.
  sed "s#$BUS#$WORK/bus2#" "$WORK/bus.conf" > "$WORK/bus2.conf"
  dbus-daemon --config-file="$WORK/bus2.conf" --nofork 2>/dev/null & local d2=$!
  for i in $(seq 100); do [ -S "$WORK/bus2" ] && break; sleep 0.05; done
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus2 refused '`--systemd-cgroup`: systemd' SD run -d --bundle "$B" "$id"; local rc=$?
  grep -q "ServiceUnknown" "$WORK/err" || { fail "not named: $(cat "$WORK/err")"; rc=1; }
  kill $d2; wait $d2 2>/dev/null
  [ $rc = 0 ] || return 1
  no_scope_left "rune-$id.scope" "$id"
}

t_failed_job_resets_the_unit_and_leaves_nothing() {
  local id=jobfail-$$ unit="rune-jobfail-$$.scope"
  scope_bundle jf "$SLICE:rune:$id" || return 1
  refused "error creating systemd unit \`$unit\`: got \`failed\`" SD run -d --bundle "$B" "$id" || return 1
  [ -n "$(calls ResetFailedUnit "$unit")" ] || fail "no ResetFailedUnit" || return 1
  no_scope_left "$unit" "$id"
}

run_tests
