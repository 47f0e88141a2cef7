#!/bin/bash
# Attacks on the runtime from inside a container, tried for real:
#   CVE-2019-5736: a container process opening the host's rune binary for writing, (a) through a
#     workload that runs /proc/self/exe (directly or as a script's interpreter) with a hostile
#     dynamic loader in the rootfs, (b) through /proc/1/exe of a created container's init or of an
#     enclave container's runelet, from a second container in the same pid namespace;
#   CVE-2024-21626: a host descriptor reachable by the workload (its descriptors, `process.cwd`
#     through /proc/self/fd/N).
# The runtime under test is a COPY of rune in $WORK: a successful attack changes only that copy,
# whose sha256 every test compares, never the build's binary.
# Needs PROBE (tests/helpers/cve_probe), EVIL_LD (tests/helpers/evil_ld), INTERP_SELF
# (tests/helpers/interp_self) and PAL_DIR (runtimes).
. "$(dirname "$0")/lib.sh"
PROBE=${PROBE:?set PROBE to the static cve_probe binary}
EVIL_LD=${EVIL_LD:?set EVIL_LD to the static evil_ld binary}
INTERP_SELF=${INTERP_SELF:?set INTERP_SELF to the interp_self binary}
PAL_DIR=${PAL_DIR:?set PAL_DIR to the directory of the built liberpal-*.so}
cp "$RUNE" "$WORK/rune-pristine"
cp "$RUNE" "$WORK/rune-under-test"
RUNE=$WORK/rune-under-test
RUNE_SUM=$(sha256sum < "$RUNE")

# rune_intact: the copy under test is unchanged (a changed one is replaced for the next test).
rune_intact() {
  [ "$(sha256sum < "$RUNE")" = "$RUNE_SUM" ] && return 0
  echo "the rune binary was MODIFIED: $(tail -c 16 "$RUNE" | od -c | head -2)"
  cp --remove-destination "$WORK/rune-pristine" "$RUNE"
  return 1
}
# attack_bundle NAME: a bundle with cve_probe at /bin/cve_probe, evil_ld as the rootfs's dynamic
# loader, and the host's $REC (emptied) at /rec for the attackers' logs.
attack_bundle() {
  [ "$(sha256sum < "$RUNE")" = "$RUNE_SUM" ] || cp --remove-destination "$WORK/rune-pristine" "$RUNE"
  bundle "$1" || return 1
  REC=$WORK/rec-$1; rm -rf "$REC"; mkdir -p "$REC" "$B/rootfs/lib64"
  cp "$PROBE" "$B/rootfs/bin/cve_probe"
  cp "$EVIL_LD" "$B/rootfs/lib64/ld-linux-x86-64.so.2"
  cp "$INTERP_SELF" "$B/rootfs/bin/interp_self"
  cfg --arg r "$REC" '.mounts += [{"destination":"/rec","type":"bind","source":$r,"options":["rbind","rw"]}]'
}
# wait_log FILE PATTERN [SECONDS=10]
wait_log() {
  local i; for i in $(seq $((${3:-10} * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1
}
# thief NAME VICTIM_PID: a second container in VICTIM_PID's pid namespace, with the default
# capabilities, that opens /proc/1/exe (the victim's init) and, if it may, keeps a descriptor and
# tries for 6 s to reopen it for writing.
thief() {
  attack_bundle "$1" || return 1
  cfg --arg p "/proc/$2/ns/pid" '.linux.namespaces |= map(if .type=="pid" then .path=$p else . end)
       | .process.args=["/bin/cve_probe","steal","/proc/1/exe","6","/rec/attack.log"]'
  R run -d --bundle "$B" "$1" </dev/null || fail "run the thief container"
}

# --- CVE-2019-5736 (a): the workload runs /proc/self/exe -------------------------------------

t_workload_running_proc_self_exe_cannot_overwrite_rune() {
  local how
  for how in direct script interp; do
    attack_bundle a || return 1
    case $how in
      direct) cfg '.process.args=["/proc/self/exe","run"]' ;;
      script) printf '#!/proc/self/exe\n' > "$B/rootfs/x.sh"; chmod 755 "$B/rootfs/x.sh"
              cfg '.process.args=["/x.sh"]' ;;
      interp) cfg '.process.args=["/bin/interp_self"]' ;;  # an ELF file whose loader is /proc/self/exe
    esac
    # Detached: rune exits at once, so a held descriptor to its image could be reopened for
    # writing (the image is no longer busy) while the attacker retries for 6 s.
    R run -d --bundle "$B" sec-c1 </dev/null >"$B/out" 2>&1 || fail "$how: run -d: $(cat "$B/out")" || return 1
    local i; for i in $(seq 160); do [ "$(status_of sec-c1)" = stopped ] && break; sleep 0.05; done
    [ "$(status_of sec-c1)" = stopped ] || fail "$how: the container still runs: $(cat "$REC"/* 2>/dev/null)" || return 1
    sleep 0.5  # a descriptor kept by a process of the container could be reopened by now
    rune_intact || { fail "$how: $(cat "$REC"/* 2>/dev/null)"; return 1; }
    [ -e "$REC/ld.log" ] && { fail "$how: the rootfs's loader ran rune: $(cat "$REC"/*)"; return 1; }
    [ -e "$REC/attack.log" ] && { fail "$how: $(cat "$REC/attack.log")"; return 1; }
    grep -q "init image (/proc/self/exe) cannot be run by the workload" "$B/out" || fail "$how: stderr: $(cat "$B/out")" || return 1
    R delete sec-c1 || return 1
  done
}
t_enclave_workload_running_proc_self_exe_under_liberpal_sim() {
  # The runelet is rune's image for life; liberpal-sim runs the workload from a sealed copy it
  # makes (and refuses scripts): /proc/self/exe as the workload reaches only that copy.
  attack_bundle sim || return 1
  cfg --arg pal "$PAL_DIR/liberpal-sim.so" '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal/liberpal-sim.so"]
     | .mounts += [{"destination":"/opt/pal/liberpal-sim.so","type":"bind","source":$pal,"options":["bind","ro"]}]
     | .process.args=["/proc/self/exe","run"]'
  R run -d --bundle "$B" sec-s1 </dev/null >"$B/out" 2>&1 || fail "run -d: $(cat "$B/out")" || return 1
  local i; for i in $(seq 160); do [ "$(status_of sec-s1)" = stopped ] && break; sleep 0.05; done
  [ "$(status_of sec-s1)" = stopped ] || fail "the container still runs: $(cat "$REC"/* 2>/dev/null)" || return 1
  rune_intact || { cat "$REC"/* 2>/dev/null; return 1; }
}
t_hooks_of_the_init_cannot_run_rune() {
  # The startContainer hook runs in the container, from the init: `#!/proc/self/exe` there must
  # not reach rune either.
  attack_bundle a || return 1
  printf '#!/proc/self/exe\n' > "$B/rootfs/hook.sh"; chmod 755 "$B/rootfs/hook.sh"
  sh_args 'sleep 5'; cfg '.hooks={startContainer:[{path:"/hook.sh"}]}'
  R create --bundle "$B" sec-c1 </dev/null || fail "create" || return 1
  R start sec-c1 2>"$B/err" && { fail "start succeeded with a hook that cannot run"; return 1; }
  grep -q 'startContainer' "$B/err" || fail "start error: $(cat "$B/err")" || return 1
  sleep 1
  [ -e "$REC/ld.log" ] && { fail "the rootfs's loader ran rune: $(cat "$REC"/*)"; return 1; }
  rune_intact
}

t_credentials_through_rune_dmz_are_those_of_a_direct_exec() {
  # A non-root user with an ambient capability, no_new_privs: the workload, exec'd through
  # rune-dmz, has what one exec would give it (ambient -> permitted and effective).
  bundle a
  cfg '.process.user={"uid":1000,"gid":1000} | .process.noNewPrivileges=true
       | .process.capabilities={"bounding":["CAP_NET_BIND_SERVICE","CAP_KILL"],"effective":["CAP_NET_BIND_SERVICE"],
          "permitted":["CAP_NET_BIND_SERVICE"],"inheritable":["CAP_NET_BIND_SERVICE"],"ambient":["CAP_NET_BIND_SERVICE"]}'
  sh_args 'id -u; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status | tr -s "\t" " "'
  local out; out=$(R run --bundle "$B" sec-c1 </dev/null 2>"$B/err") || fail "run: $(cat "$B/err")" || return 1
  [ "$out" = "1000
CapInh: 0000000000000400
CapPrm: 0000000000000400
CapEff: 0000000000000400
CapBnd: 0000000000000420
CapAmb: 0000000000000400
NoNewPrivs: 1" ] || fail "credentials: $out"
}

# --- CVE-2019-5736 (b): /proc/<init>/exe from the container's pid namespace ------------------

t_created_init_exe_cannot_be_opened_from_its_pid_namespace() {
  bundle victim; sh_args 'sleep 30'
  R create --bundle "$B" sec-v1 </dev/null || fail "create" || return 1
  local pid; pid=$(R state sec-v1 | jq .pid)
  thief sec-t1 "$pid" || return 1
  wait_log "$REC/attack.log" 'steal:' 5 || fail "the thief did not report" || return 1
  # Start the victim: its init execs the workload, and no rune runs any more, so a descriptor
  # the thief kept could be reopened for writing now.
  R start sec-v1 || fail "start the victim" || return 1
  wait_log "$REC/attack.log" 'steal: refused\|reopen:' 8
  grep -q 'steal: refused: /proc/1/exe: Permission denied' "$REC/attack.log" || fail "$(cat "$REC/attack.log")" || return 1
  rune_intact
}
# An enclave container whose runelet (rune's image, PID 1 for life) runs the workload.
ebundle() {
  bundle "$1" || return 1
  mkdir -p "$B/rootfs/lib"; cp "$PAL_DIR/liberpal-abitest-v2.so" "$B/rootfs/lib/pal.so"
  cp "$PROBE" "$B/rootfs/bin/cve_probe"
  cfg '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/lib/pal.so"]'
}
t_enclave_runelet_exe_cannot_be_opened_from_its_pid_namespace() {
  ebundle enc || return 1; sh_args 'sleep 30'
  R run -d --bundle "$B" sec-e1 </dev/null || fail "run the enclave container" || return 1
  local pid; pid=$(R state sec-e1 | jq .pid)
  [ "$(readlink /proc/$pid/exe)" = "$RUNE" ] || fail "PID 1 is not the runelet: $(readlink /proc/$pid/exe)" || return 1
  thief sec-t1 "$pid" || return 1
  wait_log "$REC/attack.log" 'steal: refused\|reopen:' 8
  grep -q 'steal: refused: /proc/1/exe: Permission denied' "$REC/attack.log" || fail "$(cat "$REC/attack.log")" || return 1
  rune_intact
}

# --- descriptors: only stdio and --preserve-fds reach the container ---------------------------

# fd_numbers OUTPUT: the descriptor numbers of a `cve_probe fds` listing, on one line.
fd_numbers() { cut -d' ' -f1 <<<"$1" | sort -n | tr '\n' ' ' | sed 's/ $//'; }
t_workload_holds_only_stdio_and_preserved_fds() {
  bundle a; cp "$PROBE" "$B/rootfs/bin/cve_probe"
  cfg '.process.args=["/bin/cve_probe","fds","1"]'
  local out; out=$(R run --bundle "$B" sec-c1 </dev/null 2>"$B/err") || fail "run: $(cat "$B/err")" || return 1
  [ "$(fd_numbers "$out")" = "0 1 2" ] || fail "PID 1's descriptors: $out" || return 1
  echo preserved > "$WORK/pfile"
  out=$(R run --preserve-fds 2 --bundle "$B" sec-c2 </dev/null 3<"$WORK/pfile" 4<"$WORK/pfile" 2>"$B/err") || fail "run --preserve-fds: $(cat "$B/err")" || return 1
  [ "$(fd_numbers "$out")" = "0 1 2 3 4" ] || fail "PID 1's descriptors with --preserve-fds 2: $out" || return 1
}
# fds_of PID: "N FLAGS TARGET" for each descriptor of PID, from the host.
fds_of() {
  local f; for f in /proc/$1/fd/*; do
    echo "${f##*/} $(awk '/^flags:/{print $2}' /proc/$1/fdinfo/${f##*/}) $(readlink "$f")"
  done
}
# No descriptor of PID beyond stdio and the first N preserved ones survives exec, and none is a
# directory (what `process.cwd` = /proc/self/fd/N would reach).
# (The exec fifo of a created container is left open for rune-dmz, which closes it at start.)
only_cloexec_beyond() { # only_cloexec_beyond PID N
  local fd flags target
  while read -r fd flags target; do
    [ -d "/proc/$1/fd/$fd" ] && { fail "descriptor $fd of $1 is a directory: $target"; return 1; }
    [ "$fd" -lt $((3 + $2)) ] && continue
    [ "$target" = "$ROOT/${3:-}/exec.fifo" ] && continue
    [ $((0$flags & 02000000)) != 0 ] || { fail "descriptor $fd of $1 ($target) survives exec"; return 1; }
  done < <(fds_of "$1")
}
t_created_init_holds_nothing_for_the_container() {
  bundle a; cp "$PROBE" "$B/rootfs/bin/cve_probe"; sh_args '/bin/cve_probe fds 1'
  echo preserved > "$WORK/pfile"
  R create --preserve-fds 1 --bundle "$B" sec-c1 </dev/null >"$B/out" 2>&1 3<"$WORK/pfile" || fail "create: $(cat "$B/out")" || return 1
  local pid; pid=$(R state sec-c1 | jq .pid)
  # Created, the init is rune-dmz already: no rune image in the container before start.
  local i; for i in $(seq 100); do [ "$(readlink /proc/$pid/exe)" != "$RUNE" ] && break; sleep 0.01; done
  readlink /proc/$pid/exe | grep -q '^/memfd:rune-dmz' || fail "the created init is $(readlink /proc/$pid/exe)" || return 1
  only_cloexec_beyond "$pid" 1 sec-c1 || { fds_of "$pid"; return 1; }
  R start sec-c1 || fail "start" || return 1
  wait_status sec-c1 stopped || fail "not stopped" || return 1
  [ "$(fd_numbers "$(cat "$B/out")")" = "0 1 2 3" ] || fail "the workload's descriptors: $(cat "$B/out")"
}
t_enclave_workload_and_runelet_descriptors() {
  ebundle enc || return 1
  sh_args '/bin/cve_probe fds self; echo ---; /bin/cve_probe fds 1; sleep 30'
  R run -d --bundle "$B" sec-e1 </dev/null >"$B/out" 2>&1 || fail "run: $(cat "$B/out")" || return 1
  wait_log "$B/out" '^---' 5 || fail "no output: $(cat "$B/out")" || return 1
  sleep 0.2
  local mine; mine=$(sed -n '1,/^---/p' "$B/out" | grep -v '^---')
  [ "$(fd_numbers "$mine")" = "0 1 2" ] || fail "the workload's descriptors: $mine" || return 1
  # The runelet keeps what it serves the container with (its socket, pipes), out of the
  # container's reach: not dumpable, so no link of its /proc/1/fd can be read or opened.
  local theirs; theirs=$(sed -n '/^---/,$p' "$B/out" | grep -v '^---')
  [ -n "$theirs" ] || fail "no listing of the runelet's descriptors: $(cat "$B/out")" || return 1
  grep -vqE '^([0-9]+ !Permission denied|error Permission denied)$' <<<"$theirs" &&
    { fail "the runelet's descriptors are reachable from the container: $theirs"; return 1; }
  only_cloexec_beyond "$(R state sec-e1 | jq .pid)" 0
}

# --- the exec path (`rune exec`), where CVE-2019-5736 struck runc ------------------------------

t_exec_of_proc_self_exe_cannot_overwrite_rune() {
  local how
  attack_bundle a || return 1
  sh_args 'sleep 60'
  printf '#!/proc/self/exe\n' > "$B/rootfs/x.sh"; chmod 755 "$B/rootfs/x.sh"
  R run -d --bundle "$B" sec-c1 </dev/null || fail "run -d" || return 1
  for how in /proc/self/exe /x.sh /bin/interp_self; do
    # Detached: rune exits at once, so a held descriptor to its image could be reopened.
    R exec -d sec-c1 "$how" run </dev/null >"$B/out" 2>&1
    sleep 0.5
    rune_intact || { fail "$how: $(cat "$REC"/* 2>/dev/null)"; return 1; }
    [ -e "$REC/ld.log" ] && { fail "$how: the rootfs's loader ran rune: $(cat "$REC"/*)"; return 1; }
    [ -e "$REC/attack.log" ] && { fail "$how: $(cat "$REC/attack.log")"; return 1; }
  done
  # No process of the container can read the link to rune's image: a watcher tries /proc/N/exe
  # of every process while rune execs into the container (rune-dmz's sealed memfd it may see).
  cat > "$B/rootfs/watch.sh" <<'W'
while [ ! -e /rec/stop ]; do
  for p in /proc/[0-9]*; do
    l=$(readlink $p/exe 2>/dev/null)
    case "$l" in *rune-under-test*) echo "SAW $p $l" >> /rec/watch.log ;; *rune-dmz*) echo "$l" > /rec/dmz.log ;; esac
  done
done
W
  R exec -d sec-c1 sh /watch.sh </dev/null || fail "start the watcher" || return 1
  local i; for i in $(seq 40); do R exec sec-c1 true </dev/null || fail "exec $i" || return 1; done
  touch "$REC/stop"; sleep 0.3
  [ -e "$REC/watch.log" ] && { fail "a process of the container could read rune's image link: $(head -3 "$REC/watch.log")"; return 1; }
  [ -e "$REC/dmz.log" ] || echo "NOTE: the watcher saw no exec in progress (it checks what it sees)"
  rune_intact
}
t_exec_process_holds_only_stdio_and_preserved_fds() {
  bundle a; cp "$PROBE" "$B/rootfs/bin/cve_probe"; sh_args 'sleep 60'
  R run -d --bundle "$B" sec-c1 </dev/null || fail "run -d" || return 1
  local out; out=$(R exec sec-c1 /bin/cve_probe fds self </dev/null 2>"$B/err") || fail "exec: $(cat "$B/err")" || return 1
  [ "$(fd_numbers "$out")" = "0 1 2" ] || fail "the exec'd process's descriptors: $out" || return 1
  echo preserved > "$WORK/pfile"
  out=$(R exec --preserve-fds 1 sec-c1 /bin/cve_probe fds self </dev/null 3<"$WORK/pfile" 2>"$B/err") || fail "exec --preserve-fds: $(cat "$B/err")" || return 1
  [ "$(fd_numbers "$out")" = "0 1 2 3" ] || fail "with --preserve-fds 1: $out"
}
t_exec_cwd_through_a_magic_link_is_refused() {
  bundle a; ln -s /proc/self/fd/6 "$B/rootfs/link-to-fd"; sh_args 'sleep 60'
  R run -d --bundle "$B" sec-c1 </dev/null || fail "run -d" || return 1
  local cwd
  for cwd in /proc/self/fd/3 /proc/self/fd/5 /proc/self/fd/7 /proc/1/cwd /link-to-fd; do
    R exec --cwd "$cwd" sec-c1 pwd </dev/null >"$B/out" 2>"$B/err" && { fail "--cwd $cwd accepted: $(cat "$B/out")"; return 1; }
    grep -q '`process.cwd`' "$B/err" || fail "--cwd $cwd: $(cat "$B/err")" || return 1
  done
  [ "$(R exec --cwd /tmp sec-c1 pwd </dev/null)" = /tmp ] || fail "--cwd /tmp"
}

# --- CVE-2024-21626: process.cwd through a magic link ----------------------------------------

t_cwd_through_a_magic_link_is_refused() {
  local cwd
  for cwd in /proc/self/fd/7 /proc/self/fd/3 /proc/self/fd/5 /proc/self/fd/9 /proc/1/cwd /proc/self/root /link-to-fd /link-to-fd/sub; do
    bundle a; ln -s /proc/self/fd/6 "$B/rootfs/link-to-fd"; cfg --arg c "$cwd" '.process.cwd=$c'
    sh_args 'pwd; ls'
    R run --bundle "$B" sec-c1 </dev/null >"$B/out" 2>"$B/err" && { fail "cwd $cwd accepted: $(cat "$B/out")"; return 1; }
    grep -q '`process.cwd`' "$B/err" || fail "cwd $cwd: the error does not name process.cwd: $(cat "$B/err")" || return 1
    assert_no_leftovers sec-c1 || return 1
  done
  # An ordinary symlink inside the rootfs still works, resolved inside it.
  bundle a; mkdir -p "$B/rootfs/real/dir"; ln -s /real/dir "$B/rootfs/lnk"; cfg '.process.cwd="/lnk"'
  sh_args 'pwd -P'
  [ "$(R run --bundle "$B" sec-c1 </dev/null)" = /real/dir ] || fail "cwd through a symlink"
}

run_tests
