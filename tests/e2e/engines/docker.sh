#!/bin/bash
# docker 20.10 with its default settings (overlay2, cgroupfs, its seccomp profile, its own
# containerd and the runc v2 shim) running the runtime under test, registered in daemon.json's
# `runtimes` as `rune`; every case uses `docker run --runtime rune`. The daemon is private: own
# data root, exec root, pidfile, socket and client config; no bridge and no iptables.
ENGINE=docker
. "$(dirname "$0")/lib.sh"
DOCKER_BIN=/usr/bin/docker # Debian's client (another one may come first on PATH)
export DOCKER_CONFIG=$WORK/client
RT=rune
D() { "$DOCKER_BIN" -H "unix://$WORK/docker.sock" "$@"; }
RUN() { D run --runtime "$RT" "$@"; }
E_CMD="$DOCKER_BIN -H unix://$WORK/docker.sock" RUN_CMD="$DOCKER_BIN -H unix://$WORK/docker.sock run --runtime $RT"
IMG=rune-e2e/busybox:latest
note_parent_cgroups docker

engine_start() {
  command -v dockerd >/dev/null && [ -x "$DOCKER_BIN" ] ||
    { echo "dockerd or $DOCKER_BIN missing (scripts/install-deps.sh installs docker.io)" >"$WORK/start.err"; return 1; }
  jq -n --arg rt "$RUNTIME" '{runtimes: {rune: {path: $rt}}}' >"$WORK/daemon.json"
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/docker.pid" \
    -H "unix://$WORK/docker.sock" --config-file "$WORK/daemon.json" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false >"$WORK/daemon.log" 2>&1 &
  DOCKERD_PID=$!
  wait_daemon "$DOCKERD_PID" D version >"$WORK/start.err" || { sed -i 's/^/dockerd: /' "$WORK/start.err"; return 1; }
  D import "$IMAGE_DIR/rootfs.tar" "$IMG" >/dev/null 2>"$WORK/start.err" || return 1
  # docker import keeps no config: every case names its command.
}
engine_reset() { local ids; ids=$(D ps -aq); [ -z "$ids" ] || D rm -f $ids; }
engine_stop() {
  local id
  for id in $(D ps -aq --no-trunc 2>/dev/null); do
    D rm -f "$id"
    # The shim of a container of docker's containerd (namespace moby) listens here until it ends.
    SHIM_SOCKETS+=("$(shim_socket "$WORK/exec/containerd/containerd.sock" moby "$id")")
    remove_cgroups "docker/$id"
  done
  stop_pid "${DOCKERD_PID:-}"
  # Containers docker lost track of: their cgroups are under docker/ (a 64-hex id each).
  local base d
  for base in "${CGROUP_PARENTS[@]}"; do
    for d in "$base"/docker/*/; do
      d=${d%/}; [ -d "$d" ] || continue
      grep -qF "${d##*/}" "$WORK/ids" 2>/dev/null && remove_cgroups "docker/${d##*/}"
    done
  done
  remove_parent_cgroups docker
}
# Every container id this suite made (for the cleanup of cgroups after a lost daemon).
track() { D ps -aq --no-trunc >>"$WORK/ids" 2>/dev/null; }
logs_have() { D logs "$1" 2>/dev/null | grep -q "$2"; }
top_has() { D top "$1" 2>/dev/null | grep -q "$2"; }
E() { D "$@"; }
container_cgroup() { echo "docker/$1"; }
. "$(dirname "$0")/cli_cases.sh"

t_memory_limit_oom_killed() {
  # dd's 100 MiB buffer, touched as it reads /dev/zero, does not fit in 32 MiB (there is no swap
  # here; with swap, docker's default memory-swap of 2x would still be under 100 MiB).
  RUN --name oom --memory 32m "$IMG" dd if=/dev/zero of=/dev/null bs=100M count=1 >/dev/null 2>&1
  local rc=$?; track
  expect_eq "exit code" 137 $rc || return 1
  # OOMKilled comes from the shim's OOM events on the container's memory cgroup.
  needs_loadable_cgroups || return
  expect_eq "OOMKilled" true "$(D inspect -f '{{.State.OOMKilled}}' oom)"
}
t_read_only_rootfs() {
  local out; out=$(RUN --rm --read-only "$IMG" sh -c 'touch /x; echo rc=$?' 2>&1)
  expect_match "write refused" 'touch: /x: Read-only file system' "$out" || return 1
  expect_match "touch's status" '^rc=1$' "$out"
}
t_user() {
  local out; out=$(RUN --rm --user 1000:1000 "$IMG" id 2>&1)
  expect_eq "id" "uid=1000 gid=1000 groups=1000" "$out"
}
t_update_memory() {
  local id pid f; id=$(RUN -d --memory 32m "$IMG" sleep 1000) || return 1; track
  pid=$(D inspect -f '{{.State.Pid}}' "$id"); f=$(cgroup_file "$pid" memory memory.limit_in_bytes)
  expect_eq "limit before" 33554432 "$(cat "$f")" || return 1
  D update --memory 64m --memory-swap 128m "$id" >/dev/null || fail "docker update failed" || return 1
  expect_eq "limit after update" 67108864 "$(cat "$f")" || return 1
  expect_eq "inspect" 67108864 "$(D inspect -f '{{.HostConfig.Memory}}' "$id")"
}
t_top() {
  local id out; id=$(RUN -d "$IMG" sh -c 'sleep 1000 & sleep 1001') || return 1; track
  wait_for top_has "$id" 'sleep 1000'
  out=$(D top "$id" 2>&1) || fail "docker top failed: $out" || return 1
  expect_match "the first process" 'sleep 1001$' "$out" || return 1
  expect_match "its child" 'sleep 1000$' "$out" || return 1
  expect_eq "processes" 3 "$(wc -l <<<"$out")"
}
t_stats_no_stream() {
  needs_loadable_cgroups || return # the shim reads the stats from the container's cgroups
  local id out; id=$(RUN -d --memory 32m "$IMG" sleep 1000) || return 1; track
  out=$(D stats --no-stream --format '{{.MemUsage}}|{{.PIDs}}' "$id" 2>&1) || fail "stats failed: $out" || return 1
  expect_match "memory usage of 32 MiB, 1 pid" '^[0-9.]+[KM]iB / 32MiB\|1$' "$out"
}
t_enclave_default_profile() {
  needs_rune || return
  local out rc
  out=$(RUN --rm -e ENCLAVE_TYPE=sim -e ENCLAVE_RUNTIME_PATH=$SIM_PAL "$IMG" sh -c "$ENCLAVE_SCRIPT" 2>"$WORK/err")
  rc=$?; check_enclave_output $rc "$out" "$(cat "$WORK/err")"
}

run_suite
