#!/bin/bash
# podman 4.3 (conmon 2.1.6) with its default settings running the runtime under test through
# `--runtime`: its seccomp profile, default mounts, pids limit. Private state: --root,
# --runroot, --tmpdir, a containers.conf that only lowers the default nofile/nproc ulimits (root
# lacks CAP_SYS_RESOURCE here, so podman's defaults cannot be set by any runtime) and a signature
# policy of its own; cgroupfs, events to a file and `--network none` (podman's networks need
# iptables). The runtime keeps its state in its default root (/run/rune, /run/runc): podman 4.3
# does not hand --runtime-flag to conmon's exit command, whose `podman container cleanup` then
# deletes containers in the default root, not in a --runtime-flag root=.
ENGINE=podman
. "$(dirname "$0")/lib.sh"
IMG=localhost/rune-e2e/busybox:latest
export CONTAINERS_CONF=$WORK/containers.conf
export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf
P() {
  podman --root "$WORK/root" --runroot "$WORK/runroot" --tmpdir "$WORK/tmp" \
    --network-config-dir "$WORK/net" --volumepath "$WORK/volumes" \
    --cgroup-manager cgroupfs --events-backend file \
    --runtime "$RUNTIME" "$@"
}
RUN() { P run --network none "$@"; }
E_CMD="podman --root $WORK/root --runroot $WORK/runroot --tmpdir $WORK/tmp --network-config-dir $WORK/net --volumepath $WORK/volumes --cgroup-manager cgroupfs --events-backend file --runtime $RUNTIME"
RUN_CMD="$E_CMD run --network none"
note_parent_cgroups libpod_parent
case "$RUNTIME" in */rune) RUNTIME_ROOT=/run/rune ;; */runc) RUNTIME_ROOT=/run/runc ;; *) RUNTIME_ROOT= ;; esac
[ -n "$RUNTIME_ROOT" ] && note_existing "$RUNTIME_ROOT"

engine_start() {
  command -v podman >/dev/null || { echo "podman missing (scripts/install-deps.sh)" >"$WORK/start.err"; return 1; }
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=32768:32768"]\n' >"$CONTAINERS_CONF"
  : >"$CONTAINERS_REGISTRIES_CONF"
  printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' >"$WORK/policy.json"
  mkdir -p "$WORK/net"
  P load --signature-policy "$WORK/policy.json" -i "$IMAGE_DIR/busybox.tar" >"$WORK/load.out" 2>&1 ||
    { cat "$WORK/load.out" >"$WORK/start.err"; return 1; }
  # umoci's tag `latest` loads as localhost/latest:latest.
  P tag localhost/latest:latest "$IMG" 2>>"$WORK/start.err"
}
engine_reset() { track; P rm -a -f -t 0; }
engine_stop() {
  local id
  for id in $(P ps -aq --no-trunc 2>/dev/null); do
    P rm -f -t 0 "$id"
    remove_cgroups "libpod_parent/libpod-$id" "libpod_parent/libpod-conmon-$id"
  done
  unmount_under "$WORK"
  # conmon of a container podman lost track of, and the containers' cgroups.
  local base d
  for base in "${CGROUP_PARENTS[@]}"; do
    for d in "$base"/libpod_parent/*/; do
      d=${d%/}; [ -d "$d" ] || continue
      grep -qF "${d##*-}" "$WORK/ids" 2>/dev/null && remove_cgroups "libpod_parent/${d##*/}"
    done
  done
  rmdir_cgroups libpod_parent/conmon # every conmon's, of any podman on the host: only if empty
  remove_parent_cgroups libpod_parent
  # conmon and its exit command (`podman container cleanup ID`, which runs the runtime's delete)
  # outlive `podman rm`: wait for every process that names one of this suite's containers.
  local i
  for id in $(sort -u "$WORK/ids" 2>/dev/null); do
    for i in $(seq 50); do pgrep -f "$id" >/dev/null || break; sleep 0.1; done
  done
  # The runtime's state of this suite's containers (gone unless a delete failed), and its default
  # root if this suite made it.
  [ -n "$RUNTIME_ROOT" ] || return 0
  for id in $(sort -u "$WORK/ids" 2>/dev/null); do rm -rf "${RUNTIME_ROOT:?}/$id"; done
  if [ -z "${EXISTED[$RUNTIME_ROOT]:-}" ]; then
    rm -rf "$RUNTIME_ROOT/@seccomp-cache"; rmdir "$RUNTIME_ROOT" 2>/dev/null
  fi
  return 0
}
track() { P ps -aq --no-trunc >>"$WORK/ids" 2>/dev/null; }
logs_have() { P logs "$1" 2>/dev/null | grep -q "$2"; }
top_has() { P top "$1" args 2>/dev/null | grep -q "$2"; }
E() { P "$@"; }
container_cgroup() { echo "libpod_parent/libpod-$1"; }
. "$(dirname "$0")/cli_cases.sh"

t_memory_limit_oom_killed() {
  # podman 4.3 with conmon 2.1.6 reports OOMKilled false here even with runc: the exit code
  # (SIGKILL) and the memory cgroup's OOM count are what show it.
  RUN --name oom --memory 32m "$IMG" dd if=/dev/zero of=/dev/null bs=100M count=1 >/dev/null 2>&1
  local rc=$?; track
  expect_eq "exit code" 137 $rc
}
t_read_only_rootfs() {
  # podman's --read-only also mounts writable tmpfs (with tmpcopyup) on /tmp, /var/tmp and /run.
  local out; out=$(RUN --rm --read-only "$IMG" sh -c 'touch /x; echo rc=$?; touch /tmp/y && echo tmp-writable' 2>&1)
  expect_match "write refused" 'touch: /x: Read-only file system' "$out" || return 1
  expect_match "touch's status" '^rc=1$' "$out" || return 1
  expect_match "/tmp writable" '^tmp-writable$' "$out"
}
t_user() {
  # podman adds the user to the container's /etc/passwd and /etc/group, named by its number.
  local out; out=$(RUN --rm --user 1000:1000 "$IMG" id 2>&1)
  expect_eq "id" "uid=1000(1000) gid=1000(1000) groups=1000(1000)" "$out"
}
t_update_memory() {
  local id pid f; id=$(RUN -d --memory 32m "$IMG" sleep 1000) || return 1; track
  pid=$(P inspect -f '{{.State.Pid}}' "$id"); f=$(cgroup_file "$pid" memory memory.limit_in_bytes)
  expect_eq "limit before" 33554432 "$(cat "$f")" || return 1
  P update --memory 64m "$id" >/dev/null || fail "podman update failed" || return 1
  expect_eq "limit after update" 67108864 "$(cat "$f")"
}
t_top() {
  local id out; id=$(RUN -d "$IMG" sh -c 'sleep 1000 & sleep 1001') || return 1; track
  wait_for top_has "$id" 'sleep 1000'
  out=$(P top "$id" args 2>&1) || fail "podman top failed: $out" || return 1
  expect_match "the first process" 'sleep 1001' "$out" || return 1
  expect_match "its child" 'sleep 1000' "$out" || return 1
  # In a chroot (CI's fresh-machine root), podman's top reads the host's /proc: every process.
  if [ "$(stat -c %d:%i /)" != "$(stat -c %d:%i /proc/1/root/. 2>/dev/null)" ]; then
    echo "SKIPPED: process count: podman top lists the host's processes when run in a chroot"
    return 0
  fi
  expect_eq "processes" 3 "$(wc -l <<<"$out")"
}
t_stats_no_stream() {
  local id out; id=$(RUN -d --memory 32m "$IMG" sleep 1000) || return 1; track
  out=$(P stats --no-stream --format '{{.MemUsage}}|{{.PIDs}}' "$id" 2>&1) || fail "stats failed: $out" || return 1
  expect_match "memory usage of 32 MiB (33.55 MB), 1 pid" '^[0-9.]+[kM]B / 33.55MB\|1$' "$out"
}
# The sim PAL's notice is written at create (pal_init), before `podman run` attaches: it is in
# the container's log, not in what run prints.
t_enclave_default_profile() {
  needs_rune || return
  local out rc
  out=$(RUN --name enc1 -e ENCLAVE_TYPE=sim -e ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" sh -c "$ENCLAVE_SCRIPT" 2>/dev/null)
  rc=$?; check_enclave_output $rc "$out" "$(P logs enc1 2>&1 >/dev/null)"
}
t_enclave_from_annotations() {
  # The enclave settings as OCI annotations (podman --annotation) instead of the environment.
  needs_rune || return
  local out rc
  out=$(RUN --name enc2 --annotation enclave.type=sim --annotation enclave.runtime.path=$SIM_PAL "$IMG" sh -c "$ENCLAVE_SCRIPT" 2>/dev/null)
  rc=$?; check_enclave_output $rc "$out" "$(P logs enc2 2>&1 >/dev/null)"
}

run_suite
