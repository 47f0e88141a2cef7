# Shared helpers for the engine suites (docker.sh, podman.sh, containerd.sh): a real container
# engine with its default settings, started privately (own data root, state, socket, pidfile), runs
# a busybox image through the runtime under test.
#
#   RUNE=/abs/rune PAL=/abs/liberpal-sim.so bash tests/e2e/engines/<engine>.sh
#   RUNTIME=runc ...   runs the same suite against another runtime, to check the suite itself
#                      (the enclave cases are then skipped: only rune runs enclaves)
#
# A suite sets ENGINE, defines engine_start (starts the daemon, or returns non-zero with the
# reason in $WORK/start.err), engine_stop, and its t_* cases, then calls run_suite. Exit 77 (skip)
# only when the engine cannot start, and never under CI=true.
set -u
RUNE=${RUNE:?set RUNE to the rune binary}
PAL=${PAL:?set PAL to the built liberpal-sim.so}
RUNTIME=$(command -v "${RUNTIME:-$RUNE}") || { echo "RUNTIME ${RUNTIME:-} not found" >&2; exit 2; }
RUNTIME=$(realpath "$RUNTIME")
RUNE=$(realpath "$RUNE")
PAL=$(realpath "$PAL")
SUITE_FILE=$(realpath "$0")
CASE_FILES=("$SUITE_FILE") # and the shared case files the suite sources (cli_cases.sh)
[ "$RUNTIME" = "$RUNE" ] && IS_RUNE=1 || IS_RUNE=0
[ "$(id -u)" = 0 ] || { echo "engine tests must run as root" >&2; exit 2; }
for tool in jq umoci sha256sum; do
  command -v $tool >/dev/null || { echo "$tool is required (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x /bin/busybox ] || { echo "busybox-static is required (scripts/install-deps.sh)" >&2; exit 2; }
[ -f "$PAL" ] || { echo "PAL $PAL not found (build runtimes/)" >&2; exit 2; }

exec 8>&1 # the suite's stdout, for the cleanup (which may run inside a redirected function)
WORK=$(mktemp -d "/tmp/rune-e2e-$ENGINE.XXXXXX")
chmod 755 "$WORK"
# conmon writes a file `oom` into its working directory (podman's) when the container is OOM-killed.
cd "$WORK" || exit 2
T_START=$(date +%s%N)
IMAGE_DIR=$WORK/image

# --- host state the suite may create, recorded before it does -----------------------------------
# Cgroup parents the engines create on first use (removed at the end only if this suite made them
# and they are empty), /run/containerd (shim sockets), /etc/docker/key.json.
# Every cgroup mount (v1 hierarchies and cgroup2), wherever it is mounted.
CGROUP_PARENTS=()
for d in $(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) ~ /^cgroup2?$/) print $5; break } }' /proc/self/mountinfo | sort -u); do
  CGROUP_PARENTS+=("$d")
done
# podman creates the directories of controllers that are not mounted (hugetlb on this host) as
# plain directories in /sys/fs/cgroup's tmpfs: what is new there and no mount point goes at the end.
CGROUP_ENTRIES=$(ls -A /sys/fs/cgroup 2>/dev/null)
remove_new_cgroup_entries() {
  local e
  for e in $(ls -A /sys/fs/cgroup 2>/dev/null); do
    grep -qx -- "$e" <<<"$CGROUP_ENTRIES" && continue
    mountpoint -q "/sys/fs/cgroup/$e" && continue
    [ -z "$(awk -v d="/sys/fs/cgroup/$e" 'index($5, d "/") == 1' /proc/self/mountinfo)" ] || continue
    rm -r --one-file-system "/sys/fs/cgroup/$e"
  done
}
declare -A EXISTED=()
note_existing() { local p; for p in "$@"; do [ -e "$p" ] && EXISTED[$p]=1; done; }
note_existing /run/containerd /run/containerd/s /run/containerd/runc /etc/docker /etc/docker/key.json \
  /opt/containerd # the opt plugin's directory of docker's own containerd (it has no setting for it)
SHIM_SOCKETS=()  # shim sockets of this suite's containers (/run/containerd/s/<hash>)

# shim_socket ADDRESS NS ID: where containerd-shim-runc-v2 (1.6) listens for the container ID of
# namespace NS started by the containerd at ADDRESS: /run/containerd/s/sha256(ADDRESS/NS/ID).
shim_socket() { echo "/run/containerd/s/$(printf '%s' "$1/$2/$3" | sha256sum | cut -d' ' -f1)"; }

# remove_cgroups NAME...: every cgroup /sys/fs/cgroup/*/NAME (a path below the controller's root),
# children first; processes still in it are killed (they are this suite's containers).
# rmdir_cgroups NAME...: the same, if empty; nothing is killed.
rmdir_cgroups() {
  local name base d
  for name in "$@"; do
    for base in "${CGROUP_PARENTS[@]}"; do
      [ -d "$base/$name" ] || continue
      for d in $(find "$base/$name" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
    done
  done
  return 0
}
remove_cgroups() {
  local name base d i pid
  for name in "$@"; do
    for base in "${CGROUP_PARENTS[@]}"; do
      [ -d "$base/$name" ] || continue
      for i in 1 2 3 4 5; do
        for pid in $(find "$base/$name" -name cgroup.procs -exec cat {} + 2>/dev/null); do
          kill -9 "$pid" 2>/dev/null
        done
        for d in $(find "$base/$name" -depth -type d 2>/dev/null); do
          [ "$(cat "$d/freezer.state" 2>/dev/null)" = FROZEN ] && echo THAWED >"$d/freezer.state" 2>/dev/null
          rmdir "$d" 2>/dev/null
        done
        [ -d "$base/$name" ] || break
        sleep 0.2
      done
      [ -d "$base/$name" ] && echo "# cleanup: could not remove cgroup $base/$name" >&2
    done
  done
}
# remove_parent_cgroups NAME...: /sys/fs/cgroup/*/NAME if this suite created it and it is empty.
declare -A PARENT_EXISTED=()
note_parent_cgroups() {
  local name base
  for name in "$@"; do
    for base in "${CGROUP_PARENTS[@]}"; do [ -d "$base/$name" ] && PARENT_EXISTED[$base/$name]=1; done
  done
}
remove_parent_cgroups() {
  local name base
  for name in "$@"; do
    for base in "${CGROUP_PARENTS[@]}"; do
      [ -d "$base/$name" ] && [ -z "${PARENT_EXISTED[$base/$name]:-}" ] && rmdir "$base/$name" 2>/dev/null
    done
  done
  return 0
}

# --- cgroup v1 hierarchies the kernel keeps but nothing mounts ------------------------------------
# A v1 hierarchy whose child cgroups were just removed survives its umount (the shared
# oci-validation tool moves hugetlb to v1 for its run and back after, and other tests mount
# net_cls); its controllers still show in /proc/PID/cgroup. containerd's cgroups library (in the
# runc shim: OOM events, metrics) then fails to load any container's cgroup ("cannot find cgroup
# mount destination"), whatever the runtime. hidden_v1_hierarchies prints such hierarchies.
hidden_v1_hierarchies() {
  local id ctrls path opts
  opts=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup") print $(i+3); break } }' /proc/self/mountinfo | tr ',' '\n')
  while IFS=: read -r id ctrls path; do
    [ "$id" = 0 ] || [ -z "$ctrls" ] && continue
    grep -qx -- "${ctrls%%,*}" <<<"$opts" || echo "$ctrls"
  done </proc/self/cgroup
}
# release_hidden_hierarchies: a mount+umount ends a hierarchy that only survived its umount (as
# the oci-validation tool does after its run); one that someone still holds stays. Up to ~5 s.
release_hidden_hierarchies() {
  local h d i children
  for h in $(hidden_v1_hierarchies); do
    # One with child cgroups (someone else's) stays whatever we do: no need to wait for it.
    children=$(d=$(mktemp -d) && mount -t cgroup -o "$h" cgroup "$d" 2>/dev/null &&
      find "$d" -mindepth 1 -type d | sed "s|^$d||" | head -3; umount "$d" 2>/dev/null; rmdir "$d")
    [ -z "$children" ] && for i in $(seq 25); do
      hidden_v1_hierarchies | grep -qx -- "$h" || break
      if [ $((i % 10)) = 1 ]; then
        d=$(mktemp -d) && mount -t cgroup -o "$h" cgroup "$d" 2>/dev/null && umount "$d"; rmdir "$d"
      fi
      sleep 0.2
    done
    hidden_v1_hierarchies | grep -qx -- "$h" &&
      echo "# WARNING: the cgroup v1 hierarchy [$h] is kept by the kernel but not mounted${children:+ (it has child cgroups: $(echo $children))}: containerd cannot load containers' cgroups (OOM events, metrics) while it is"
  done
  return 0
}
# needs_loadable_cgroups: a case that depends on the shim loading the container's cgroup skips
# (loudly) while such a hierarchy exists.
needs_loadable_cgroups() {
  local h; h=$(hidden_v1_hierarchies | tr '\n' ' ')
  [ -z "$h" ] && return 0
  echo "host state: cgroup v1 hierarchy [${h% }] exists but is not mounted, so containerd's runc shim cannot load any container's cgroup"
  return 77
}

# unmount_under DIR: every mount point at or below DIR, deepest first (lazily if busy).
unmount_under() {
  local m
  for m in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
}

# stop_pid PID: TERM, then KILL after 10 s.
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null; sleep 0.2
}

cleanup() {
  tmux -L "$TMUX_SERVER" kill-server 2>/dev/null
  trap - EXIT
  trap '' INT TERM # the cleanup itself is not interrupted
  engine_stop >/dev/null 2>&1
  unmount_under "$WORK"
  local s
  for s in "${SHIM_SOCKETS[@]}"; do rm -f "$s"; done
  [ -z "${EXISTED[/etc/docker/key.json]:-}" ] && rm -f /etc/docker/key.json
  local p
  remove_new_cgroup_entries
  for p in /etc/docker /run/containerd/runc /run/containerd/s /run/containerd; do
    [ -z "${EXISTED[$p]:-}" ] && [ -d "$p" ] && rmdir "$p" 2>/dev/null
  done
  [ -z "${EXISTED[/opt/containerd]:-}" ] && [ -d /opt/containerd ] &&
    rmdir /opt/containerd/bin /opt/containerd/lib /opt/containerd 2>/dev/null
  rm -rf "$WORK"
  echo "# $ENGINE suite took $(( ($(date +%s%N) - T_START) / 1000000 )) ms" >&8
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cannot_start REASON: the engine does not start on this host. A skip (77), except under CI=true.
cannot_start() {
  echo "$ENGINE: cannot start: $*"
  [ -f "$WORK/daemon.log" ] && tail -20 "$WORK/daemon.log" | sed 's/^/#   /'
  if [ "${CI:-}" = true ]; then echo "FAIL: under CI=true the engine must start"; exit 1; fi
  echo "SKIP: $ENGINE suite skipped (the engine cannot start here)"; exit 77
}

# wait_for CMD...: up to 30 s for CMD to succeed.
wait_for() { local i; for i in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# wait_daemon PID CMD...: up to 30 s for CMD to succeed while the daemon PID lives.
wait_daemon() {
  local pid=$1 i; shift
  for i in $(seq 300); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "it exited"; return 1; }
    sleep 0.1
  done
  echo "it did not answer within 30 s"; return 1
}

# --- the image --------------------------------------------------------------------------------
# $IMAGE_DIR/rootfs: busybox-static with its applets, /etc/passwd and group, and the sim PAL at
# /opt/pal/liberpal-sim.so (the path an enclave container's ENCLAVE_RUNTIME_PATH names).
# $IMAGE_DIR/busybox.tar: that rootfs as an OCI image archive made with umoci (tag `latest`).
# $IMAGE_DIR/rootfs.tar: the plain rootfs (what `docker import` takes).
SIM_PAL=/opt/pal/liberpal-sim.so
make_image() {
  local r=$IMAGE_DIR/rootfs
  mkdir -p "$r"/{bin,proc,sys,dev,tmp,etc,root,opt/pal} || return 1
  cp /bin/busybox "$r/bin/busybox" && chroot "$r" /bin/busybox --install -s /bin || return 1
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  cp "$PAL" "$r$SIM_PAL"
  tar -C "$r" -cf "$IMAGE_DIR/rootfs.tar" . || return 1
  (cd "$IMAGE_DIR" && umoci init --layout oci && umoci new --image oci:latest &&
    umoci insert --image oci:latest rootfs / &&
    umoci config --image oci:latest --os linux --architecture amd64 \
      --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.cmd sh &&
    umoci gc --layout oci && tar -C oci -cf busybox.tar .) >"$WORK/umoci.log" 2>&1 ||
    { cat "$WORK/umoci.log"; return 1; }
}

# --- assertions ---------------------------------------------------------------------------------
fail() { echo "$*"; return 1; }

# Interactive cases drive a real pty through tmux (`script` cannot resize), on a private server.
# tty_session NAME CMD: CMD in a new 120x40 session; its exit code goes to $WORK/NAME.rc.
# tty_keys NAME KEYS...: tmux send-keys. tty_screen NAME: the visible text.
# tty_check NAME: types a size query and arithmetic, resizes to 100x30, asks the size again, ends
# the shell with Ctrl-D; checks the prompt, the echo and the results, and exit code 0.
TMUX_SERVER=rune-e2e-$$
tty_session() {
  command -v tmux >/dev/null || { echo "tmux is required (scripts/install-deps.sh)"; return 1; }
  tmux -L "$TMUX_SERVER" new-session -d -s "$1" -x 120 -y 40 "$2; echo \$? > $WORK/$1.rc; sleep 60"
}
tty_keys() { local n=$1; shift; tmux -L "$TMUX_SERVER" send-keys -t "$n" "$@"; }
tty_screen() { tmux -L "$TMUX_SERVER" capture-pane -p -t "$1"; }
tty_check() {
  local n=$1 i
  for i in $(seq 100); do tty_screen "$n" | grep -qE '#( )?$' && break; sleep 0.1; done
  tty_screen "$n" | grep -qE '#( )?$' || fail "no prompt: $(tty_screen "$n")" || return 1
  tty_keys "$n" 'stty size; echo $((6*7))' Enter; sleep 0.5
  tmux -L "$TMUX_SERVER" resize-window -t "$n" -x 100 -y 30; sleep 0.5
  tty_keys "$n" 'stty size' Enter; sleep 0.5
  tty_keys "$n" C-d
  for i in $(seq 100); do [ -s "$WORK/$n.rc" ] && break; sleep 0.1; done
  local screen; screen=$(tty_screen "$n")
  tmux -L "$TMUX_SERVER" kill-session -t "$n" 2>/dev/null
  grep -q 'stty size; echo \$((6\*7))' <<<"$screen" || fail "typed input not echoed: $screen" || return 1
  grep -qx '40 120' <<<"$screen" || fail "size: $screen" || return 1
  grep -qx '42' <<<"$screen" || fail "input not run: $screen" || return 1
  grep -qx '30 100' <<<"$screen" || fail "resize: $screen" || return 1
  expect_eq "exit code after Ctrl-D" 0 "$(cat "$WORK/$n.rc" 2>/dev/null)"
}
# expect_eq WHAT WANT GOT
expect_eq() { [ "$2" = "$3" ] || fail "$1: want [$2], got [$3]"; }
# expect_match WHAT REGEX TEXT (grep -E, any line)
expect_match() { grep -qE -- "$2" <<<"$3" || fail "$1: no line matches /$2/ in [$3]"; }
# cgroup_file PID CONTROLLER FILE: the host path of FILE in PID's cgroup of CONTROLLER (v1).
cgroup_file() {
  local path; path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
  [ -n "$path" ] || { echo "/nonexistent/no-$2-cgroup-for-pid-$1"; return; }
  echo "/sys/fs/cgroup/$2$path/$3"
}
# no_cgroup_left NAME: no hierarchy has the cgroup NAME (the runtime's delete removed it).
no_cgroup_left() {
  local base
  for base in "${CGROUP_PARENTS[@]}"; do
    [ -d "$base/$1" ] && { echo "cgroup $base/$1 left behind"; return 1; }
  done
  return 0
}
# Enclave cases run only with rune (runc would just run the workload, outside any enclave).
needs_rune() { [ $IS_RUNE = 1 ] || { echo "enclave containers need rune (RUNTIME=$RUNTIME)"; return 77; }; }
# What an enclave container through an engine must show: the workload's output and exit code, the
# sim PAL's startup notice on stderr (the PAL ran), and no ENCLAVE_* variable in the workload's
# environment (the runelet consumed them: with a plain runtime they would be visible).
ENCLAVE_SCRIPT='echo "hello from the enclave"; env | grep -c "^ENCLAVE_"; exit 4'
check_enclave_output() { # check_enclave_output RC STDOUT STDERR
  expect_eq "exit code" 4 "$1" || return 1
  expect_eq "stdout" "hello from the enclave
0" "$2" || return 1
  expect_match "the sim PAL's notice on stderr" 'liberpal-sim: software TEE' "$3"
}

# --- the runner ---------------------------------------------------------------------------------
# XFAIL[name]="reason": a case known to fail, reported as such with its reason (and not counted
# as a failure); should it pass, it is reported as XPASS so the mark can be removed.
declare -A XFAIL=()
PASS=0 FAIL=0 SKIP=0 XF=0 FAILED=""
run_suite() {
  echo "# $ENGINE suite, runtime $RUNTIME"
  mkdir -p "$IMAGE_DIR"
  make_image || { echo "could not build the busybox image"; exit 1; }
  : >"$WORK/start.err"
  release_hidden_hierarchies
  engine_start || cannot_start "$(tail -5 "$WORK/start.err")"
  echo "# $ENGINE started in $(( ($(date +%s%N) - T_START) / 1000000 )) ms (with the image)"
  local t rc out t0 ms
  # ONLY=REGEX: the cases matching it.
  for t in $(grep -hoE '^t_[A-Za-z0-9_]+\(\)' "${CASE_FILES[@]}" | sed 's/()$//' | grep -E -- "${ONLY:-.}"); do
    t0=$(date +%s%N)
    # Output to a file, not a pipe: a detached container may inherit the case's stdio.
    (set -u; "$t") >"$WORK/case.out" 2>&1 </dev/null; rc=$?
    out=$(cat "$WORK/case.out"); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    engine_reset >/dev/null 2>&1
    local name=${t#t_} why=${XFAIL[${t#t_}]:-}
    if [ $rc = 77 ]; then SKIP=$((SKIP+1)); echo "ok - $name # SKIP $out"
    elif [ $rc = 0 ] && [ -z "$why" ]; then PASS=$((PASS+1)); echo "ok - $name ($ms ms)"
    elif [ $rc = 0 ]; then PASS=$((PASS+1)); echo "ok - $name ($ms ms) # XPASS: marked as failing ($why), remove the mark"
    elif [ -n "$why" ]; then XF=$((XF+1)); echo "not ok - $name ($ms ms) # TODO expected failure: $why"; echo "$out" | sed 's/^/#   /' | head -10
    else FAIL=$((FAIL+1)); FAILED="$FAILED $name"; echo "not ok - $name ($ms ms)"; echo "$out" | sed 's/^/#   /' | head -30
    fi
  done
  echo "# failed:${FAILED:- none}"
  echo "$PASS passed, $FAIL failed, $XF expected failures, $SKIP skipped"
  [ $FAIL = 0 ]
}
