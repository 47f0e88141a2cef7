#!/bin/bash
# Bad input: each case fails with exit code 1 and a one-line error naming the input, and leaves
# no state dir, cgroup, mount or process behind.
. "$(dirname "$0")/lib.sh"

# expect_error WANT_SUBSTRING CMD...: CMD must exit 1 with one stderr line containing WANT.
expect_error() {
  local want=$1; shift
  "$@" </dev/null >"$WORK/out" 2>"$WORK/err"; local rc=$?
  [ $rc = 1 ] || fail "exit code $rc, want 1 (stderr: $(cat "$WORK/err"))" || return 1
  [ "$(wc -l < "$WORK/err")" = 1 ] || fail "want one line of stderr, got: $(cat "$WORK/err")" || return 1
  grep -qF -- "$want" "$WORK/err" || fail "stderr does not name [$want]: $(cat "$WORK/err")"
}
no_processes_of() { ! pgrep -f -- "$1" >/dev/null || fail "a process of $1 is left"; }

t_missing_config_json() {
  bundle a; rm "$B/config.json"
  expect_error "$B/config.json" R create --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_malformed_config_json() {
  bundle a; echo '{"ociVersion": ' > "$B/config.json"
  expect_error "is not valid JSON" R create --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_missing_bundle_dir() { expect_error "$WORK/nope" R create --bundle "$WORK/nope" ${c1} && assert_no_leftovers ${c1}; }
t_unknown_namespace_type() {
  bundle a; cfg '.linux.namespaces+=[{"type":"bogus"}]'
  expect_error '`linux.namespaces[5].type`: unknown namespace type `bogus`' R run --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_namespace_path_missing() {
  bundle a; cfg '.linux.namespaces|=map(if .type=="network" then .path="/run/no-such-netns" else . end)'
  expect_error '/run/no-such-netns' R create --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_bind_source_missing() {
  bundle a; cfg '.mounts+=[{"destination":"/mnt","type":"bind","source":"/no/such/source","options":["rbind"]}]'
  expect_error '`mounts[7].source`: bind source `/no/such/source`' R create --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_destination_cannot_be_created() {
  bundle a; cfg '.mounts+=[{"destination":"/bin/busybox/sub","type":"tmpfs","source":"tmpfs"}]'
  expect_error 'mounts[7] (`tmpfs` on `/bin/busybox/sub`)' R create --bundle "$B" ${c1} && assert_no_leftovers ${c1} &&
    no_processes_of "create --bundle $B"
}
t_mount_that_the_kernel_refuses() {
  bundle a; cfg '.mounts+=[{"destination":"/mnt/x","type":"nosuchfs","source":"none"}]'
  expect_error 'mounts[7] (`nosuchfs` on `/mnt/x`)' R run --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_field_not_supported_yet_is_rejected() {
  bundle a; cfg '.linux.intelRdt={"closID":"x"}'
  expect_error '`linux.intelRdt`: Intel RDT is not supported' \
    R create --bundle "$B" ${c1} && assert_no_leftovers ${c1} || return 1
  bundle a; cfg '.process.apparmorProfile="docker-default"'
  expect_error '`process.apparmorProfile`' R create --bundle "$B" ${c2} && assert_no_leftovers ${c2} || return 1
  bundle a; cfg '.hooks={"prestart":[{"path":"bin/true"}]}'
  expect_error '`hooks.prestart[0].path`: `bin/true` is not an absolute path' \
    R create --bundle "$B" ${c3} && assert_no_leftovers ${c3} || return 1
}
t_resource_no_hierarchy_can_take_is_rejected() {
  bundle a; cfg '.linux.resources.network={"classID":1048577}'
  expect_error '`linux.resources.network.classID`: no mounted cgroup hierarchy has the `net_cls` controller' \
    R create --bundle "$B" ${c3} && assert_no_leftovers ${c3} || return 1
  bundle a; cfg '.linux.resources.hugepageLimits=[{"pageSize":"3MB","limit":1}]'
  expect_error '`linux.resources.hugepageLimits[0].pageSize`: `3MB` is not a huge page size' \
    R create --bundle "$B" c4 && assert_no_leftovers c4 || return 1
  bundle a; cfg '.linux.resources.unified={"nosuch.file":"1"}'
  expect_error '`linux.resources.unified.nosuch.file`' R create --bundle "$B" c5 && assert_no_leftovers c5
}
t_seccomp_section_errors_name_the_field() {
  bundle a; cfg '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_SOMETIMES"}]}'
  expect_error '`linux.seccomp.syscalls[0].action`: unknown action `SCMP_ACT_SOMETIMES`' \
    R create --bundle "$B" ${c1} && assert_no_leftovers ${c1}
}
t_terminal_without_a_console_socket_fails_clearly_instead_of_hanging() {
  bundle a; cfg '.process.terminal=true'
  expect_error 'cannot allocate tty if runc will detach without setting console socket' R run -d --bundle "$B" ${c1} && assert_no_leftovers ${c1} || return 1
  expect_error '`--console-socket`: connect to `/tmp/nosock`' R create --console-socket /tmp/nosock --bundle "$B" ${c2} && assert_no_leftovers ${c2} || return 1
  bundle a
  expect_error 'cannot use console socket if runc will not detach or allocate tty' R create --console-socket /tmp/nosock --bundle "$B" ${c2} && assert_no_leftovers ${c2}
}
t_executable_not_found() {
  bundle a; cfg '.process.args=["nosuchprog"]'
  expect_error 'executable `nosuchprog` not found' R create --bundle "$B" ${c1} && assert_no_leftovers ${c1} &&
    no_processes_of "create --bundle $B"
}
t_duplicate_id() {
  bundle a; sh_args 'sleep 30'
  R create --bundle "$B" ${c1} </dev/null || fail "first create"
  expect_error "container \`${c1}\` already exists" R create --bundle "$B" ${c1} || return 1
  [ "$(status_of ${c1})" = created ] || fail "first container disturbed: $(status_of ${c1})"
}
t_invalid_ids() {
  bundle a
  expect_error 'container id is empty' R create --bundle "$B" "" || return 1
  expect_error 'invalid container id `a/b`' R create --bundle "$B" a/b || return 1
  expect_error 'invalid container id `..`' R create --bundle "$B" .. || return 1
  # (The seccomp program cache is not container state.)
  local left; left=$(ls "$ROOT" 2>/dev/null | grep -vx '@seccomp-cache')
  [ -z "$left" ] || fail "state left: $left"
}
t_config_json_that_is_a_fifo_is_refused_not_waited_on() {
  bundle a; rm "$B/config.json"; mkfifo "$B/config.json"
  expect_error 'is not a regular file' timeout 10 "$RUNE" --root "$ROOT" create --bundle "$B" ${c1} &&
    assert_no_leftovers ${c1}
}
t_args_beyond_the_exec_limit_are_a_runtime_error() {
  bundle a
  cfg '.process.args=["/bin/echo", ("x" * 200000)]'
  expect_error '`process.args[1]` is 200000 bytes; the kernel takes at most 131071 per string' \
    R run --bundle "$B" ${c1} && assert_no_leftovers ${c1} || return 1
  cfg '.process.args=["/bin/true"] | .process.env += [range(0; 40) | "K\(.)=" + ("y" * 100000)]'
  expect_error 'the kernel'"'"'s exec limit is' R run --bundle "$B" ${c2} && assert_no_leftovers ${c2}
}
t_long_and_odd_ids_are_named_in_valid_log_lines() {
  bundle a
  local long; long=$(printf 'a%.0s' $(seq 300))
  expect_error "container id \`$(printf 'a%.0s' $(seq 32))... (300 bytes)\` is longer than 255 bytes" \
    R create --bundle "$B" "$long" || return 1
  # An id that is not UTF-8: the JSON log line must still be JSON.
  "$RUNE" --root "$ROOT" --log "$WORK/log.json" --log-format json create --bundle "$B" $'bad\xff' 2>/dev/null
  jq -e .msg "$WORK/log.json" >/dev/null || fail "log line is not JSON: $(cat "$WORK/log.json")"
}
t_start_of_a_container_that_is_not_created() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" ${c1} || fail "run -d"
  expect_error 'already running' R start ${c1} || return 1
  R kill ${c1} KILL; wait_status ${c1} stopped || fail "not stopped"
  expect_error 'has stopped' R start ${c1} || return 1
  expect_error 'container `nope` does not exist' R start nope
}
t_delete_running_without_force() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" ${c1} || fail "run -d"
  expect_error "cannot delete container \`${c1}\` that is not stopped: running" R delete ${c1} || return 1
  [ "$(status_of ${c1})" = running ] || fail "status $(status_of ${c1})"
  R delete -f ${c1} || fail "delete -f"
  assert_no_leftovers ${c1}
}
t_unknown_signal_flag_and_command() {
  bundle a; sh_args 'sleep 30'
  R run -d --bundle "$B" ${c1} || fail "run -d"
  expect_error 'unknown signal `FOO`' R kill ${c1} FOO || return 1
  expect_error 'unknown flag `--nope`' R create --nope ${c2} || return 1
  expect_error 'unknown command `frobnicate`' R frobnicate || return 1
  expect_error 'expected 1 argument' R start
}
t_nonexistent_container_everywhere() {
  local c; for c in state start delete kill; do expect_error 'container `ghost` does not exist' R $c ghost || return 1; done
  R delete -f ghost || fail "delete -f of a missing container should succeed, as in runc"
}
t_spec_refuses_to_overwrite() {
  bundle a
  expect_error 'exists' R spec --bundle "$B"
}

run_tests
