#!/bin/bash
# epm and rune's pool client (docs/epm.md): a real epm daemon in this suite's directory, busybox
# bundles on liberpal-sim (size=4M unless said) and liberpal-abitest-v3, rune with
# --epm-socket pointing at it. Checks the one-shot rule (instance ids, memfd inodes, /proc fds),
# equal measurements cold and warm, memory charged to epm, the management API, signals, and every
# kind of bad input.
# Needs RUNE, EPM, PAL_DIR.
. "$(dirname "$0")/lib.sh"
EPM=${EPM:?set EPM to the epm binary}
PAL_DIR=${PAL_DIR:?set PAL_DIR to the directory of the built liberpal-*.so}
CLIENT="python3 $(dirname "$0")/epm_client.py"
SIM=$PAL_DIR/liberpal-sim.so
RUN=$WORK/run
REC=$WORK/rec
mkdir -p "$REC"
EPM_PID=
BID_SIM=$(readelf -n "$SIM" | awk '/Build ID/ {print $3}')

E() { "$EPM" "$@" --runtime-dir "$RUN"; }
RP() { R --epm-socket "$RUN/take.sock" "$@"; }

# conf EXTRA...: the configuration: liberpal-sim, -sim-tamper, -abitest-v3 and -fail allowed.
conf() {
  {
    echo 'max_bytes = "256M"'
    echo 'build_timeout = "2s"'
    printf '%s\n' "$@"
    for p in liberpal-sim liberpal-sim-tamper liberpal-abitest-v3 liberpal-fail; do
      printf '[[runtime]]\npath = "%s"\n' "$PAL_DIR/$p.so"
    done
  } >"$WORK/epm.toml"
}

start_epm() {
  "$EPM" serve --config "$WORK/epm.toml" --runtime-dir "$RUN" >"$WORK/epm.log" 2>&1 &
  EPM_PID=$!
  echo "$EPM_PID" >"$WORK/epm.pid"  # tests run in subshells: after_each stops it from here
  local i
  for i in $(seq 100); do [ -S "$RUN/epm.sock" ] && [ -S "$RUN/take.sock" ] && return 0; sleep 0.05; done
  echo "epm did not start: $(cat "$WORK/epm.log")"; return 1
}
stop_epm() {
  [ -n "$EPM_PID" ] || EPM_PID=$(cat "$WORK/epm.pid" 2>/dev/null)
  rm -f "$WORK/epm.pid"
  [ -n "$EPM_PID" ] || return 0
  kill "$EPM_PID" 2>/dev/null
  local i; for i in $(seq 100); do kill -0 "$EPM_PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$EPM_PID" 2>/dev/null; wait "$EPM_PID" 2>/dev/null; EPM_PID=
}

# pool_field ARGS FIELD: a field of the pool of liberpal-sim (or BID) with ARGS.
pool_field() { E status --json | jq -r --arg a "$1" --arg b "${3:-$BID_SIM}" \
  '[.pools[] | select(.args==$a and .build_id==$b)][0].'"$2"; }
# wait_ready ARGS N [BID]: until the pool has N ready entries (10 s).
wait_ready() {
  local i; for i in $(seq 200); do
    [ "$(pool_field "$1" ready "${3:-}")" -ge "$2" ] 2>/dev/null && return 0; sleep 0.05; done
  echo "pool \"$1\" has $(pool_field "$1" ready "${3:-}") ready, want $2: $(E status --json)"; return 1
}

# simbundle NAME ARGS: a bundle on the host's liberpal-sim (bind-mounted: the same build-id).
simbundle() {
  bundle "$1" || return 1
  cfg --arg rec "$REC" --arg pal "$SIM" --arg args "$2" \
    '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal.so","ENCLAVE_RUNTIME_ARGS=" + $args]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]},
                   {"destination":"/opt/pal.so","type":"bind","source":$pal,"options":["bind","ro"]}]'
}
pool_of() { RP state "$1" | jq -r .enclave.pool; }
instance_of() { RP state "$1" | jq -r '.enclave.instance // empty'; }
after_each() {
  local id; for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done
  stop_epm
  rm -rf "$RUN"
}

# --- the basic cycle -------------------------------------------------------------------------

t_miss_then_hit_with_equal_measurements() {
  conf; start_epm || return 1
  local args="measurement-log=/rec/m.log,size=4M" a="measurement-log=/rec/m.log size=4M"
  simbundle b "$args" || return 1
  RP create --bundle "$B" cold-$$ || return 1
  [ "$(pool_of cold-$$)" = miss ] || fail "first create: $(RP state cold-$$ | jq -c .enclave)" || return 1
  RP state cold-$$ | jq -e '.ociVersion and .id and .status == "created" and .bundle' >/dev/null \
    || fail "runc's fields: $(RP state cold-$$)"
  cp "$REC/m.log" "$WORK/cold.log"
  RP attest --report cold-$$ >"$WORK/cold.json" || fail "attest cold" || return 1
  wait_ready "$a" 1 || return 1
  RP create --bundle "$B" warm1-$$ || return 1
  [ "$(pool_of warm1-$$)" = hit ] || fail "second create: $(RP state warm1-$$ | jq -c .enclave)" || return 1
  cp "$REC/m.log" "$WORK/warm1.log"
  RP attest --report warm1-$$ >"$WORK/warm1.json" || fail "attest warm" || return 1
  wait_ready "$a" 1 || return 1
  RP create --bundle "$B" warm2-$$ || return 1
  [ "$(pool_of warm2-$$)" = hit ] || fail "third create: $(RP state warm2-$$ | jq -c .enclave)"
  local mc mw; mc=$(jq -r .mrenclave "$WORK/cold.json"); mw=$(jq -r .mrenclave "$WORK/warm1.json")
  [ "$mc" = "$mw" ] || fail "mrenclave cold $mc != warm $mw"
  [ "$mc" = "$(sha256sum "$WORK/cold.log" | cut -d' ' -f1)" ] || fail "cold mrenclave != sha256(log)"
  [ "$mw" = "$(sha256sum "$WORK/warm1.log" | cut -d' ' -f1)" ] || fail "warm mrenclave != sha256(log)"
  grep -q '^memory [0-9a-f]\{64\} size=4194304 pages=1024$' "$WORK/warm1.log" || fail "log: $(cat "$WORK/warm1.log")"
  [ -n "$(instance_of warm1-$$)" ] && [ "$(instance_of warm1-$$)" != "$(instance_of warm2-$$)" ] \
    || fail "instances: $(instance_of warm1-$$) $(instance_of warm2-$$)"
  RP start cold-$$ && RP start warm1-$$ && RP start warm2-$$ || fail "start"
  [ "$(pool_field "$a" hits)" = 2 ] && [ "$(pool_field "$a" misses)" = 1 ] \
    || fail "status: $(E status --json | jq -c .pools)"
}

# --- never reuse -----------------------------------------------------------------------------

# memfd_inode PID: the inode of the entry mapped by the runelet PID (its /proc/PID/maps).
memfd_inode() { awk '/memfd:liberpal-sim-entry/ {print $5; exit}' "/proc/$1/maps"; }
# fd_inodes PID: the inodes of every memfd PID holds open.
fd_inodes() { local f; for f in /proc/$1/fd/*; do
  case "$(readlink "$f")" in /memfd:*) stat -L -c %i "$f";; esac; done 2>/dev/null; }

t_never_reuse_50_sequential_and_8_concurrent() {
  conf; start_epm || return 1
  E pool set "$SIM" --args "size=4M" --depth 8 || return 1
  simbundle b "size=4M" || return 1
  sh_args 'sleep 1000'
  wait_ready "size=4M" 8 || return 1
  : >"$WORK/ids"; : >"$WORK/inodes"
  local i id pid ino
  for i in $(seq 50); do
    id=s$i-$$
    RP create --bundle "$B" $id || return 1
    [ "$(pool_of $id)" = hit ] || { wait_ready "size=4M" 1; R delete -f $id; RP create --bundle "$B" $id || return 1; }
    [ "$(pool_of $id)" = hit ] || fail "$id: $(RP state $id | jq -c .enclave)" || return 1
    pid=$(RP state $id | jq -r .pid)
    ino=$(memfd_inode $pid)
    [ -n "$ino" ] || fail "$id: no entry mapped in $pid: $(cat /proc/$pid/maps)" || return 1
    fd_inodes $pid | grep -qx "$ino" && { fail "$id: the runelet still holds the entry's fd"; return 1; }
    fd_inodes $EPM_PID | grep -qx "$ino" && { fail "$id: epm still holds a handed-out entry"; return 1; }
    instance_of $id >>"$WORK/ids"; echo "$ino" >>"$WORK/inodes"
    R delete -f $id || return 1
  done
  local pids=""
  for i in $(seq 8); do (RP create --bundle "$B" c$i-$$ >/dev/null 2>&1) & pids="$pids $!"; done
  wait $pids
  wait_ready "size=4M" 8 || return 1
  for i in $(seq 8); do
    [ "$(pool_of c$i-$$)" = hit ] || continue
    pid=$(RP state c$i-$$ | jq -r .pid)
    instance_of c$i-$$ >>"$WORK/ids"; memfd_inode $pid >>"$WORK/inodes"
  done
  local n; n=$(wc -l <"$WORK/ids")
  [ "$n" -ge 55 ] || fail "only $n hits of 58"
  [ "$(sort "$WORK/ids" | uniq -d)" = "" ] || fail "an instance id was handed out twice"
  [ "$(sort "$WORK/inodes" | uniq -d)" = "" ] || fail "a memfd inode was handed out twice"
  echo "NOTE: $n hits, all distinct instances and inodes"
}

t_an_entry_cannot_be_written() {
  conf; start_epm || return 1
  E pool set "$SIM" --args "size=4M" --depth 1 || return 1
  wait_ready "size=4M" 1 || return 1
  local out; out=$($CLIENT "$RUN/take.sock" take "$BID_SIM" "size=4M" --check-sealed) || return 1
  [ "$(jq -r .reply.status <<<"$out")" = hit ] || fail "take: $out" || return 1
  [ "$(jq -r .write <<<"$out")" = EPERM ] && [ "$(jq -r .mmap_shared_write <<<"$out")" = EPERM ] \
    || fail "the entry is writable: $out"
  # And through a running warm container's mapping (/proc/PID/map_files).
  simbundle b "size=4M" || return 1
  sh_args 'sleep 1000'
  wait_ready "size=4M" 1 || return 1
  RP run -d --bundle "$B" w-$$ >/dev/null || return 1
  [ "$(pool_of w-$$)" = hit ] || fail "not warm: $(RP state w-$$ | jq -c .enclave)" || return 1
  local pid range; pid=$(RP state w-$$ | jq -r .pid)
  range=$(awk '/memfd:liberpal-sim-entry/ {print $1; exit}' /proc/$pid/maps)
  python3 - "/proc/$pid/map_files/$range" <<'PY' || fail "map_files: writable"
import errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    sys.exit("shared writable mmap succeeded")
except OSError as e:
    assert e.errno in (errno.EPERM, errno.EACCES), e
try:
    w = os.open(sys.argv[1], os.O_RDWR)
    try:
        os.write(w, b"x")
        sys.exit("write succeeded")
    except OSError as e:
        assert e.errno == errno.EPERM, e
except OSError as e:
    assert e.errno in (errno.EPERM, errno.EACCES), e
PY
}

t_abitest_records_the_token_and_addr_sent() {
  conf; start_epm || return 1
  bundle ab || return 1
  mkdir -p "$B/rootfs/lib" "$B/rootfs/rec"
  cp "$PAL_DIR/liberpal-abitest-v3.so" "$B/rootfs/lib/pal.so"
  local bid; bid=$(readelf -n "$PAL_DIR/liberpal-abitest-v3.so" | awk '/Build ID/ {print $3}')
  cfg --arg rec "$REC" '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/lib/pal.so","ENCLAVE_RUNTIME_ARGS=record=/rec/calls.log"]
     | .mounts += [{"destination":"/rec","type":"bind","source":$rec,"options":["rbind","rw"]}]'
  E pool set "$PAL_DIR/liberpal-abitest-v3.so" --args "record=/rec/calls.log" --depth 1 || return 1
  wait_ready "record=/rec/calls.log" 1 "$bid" || return 1
  rm -f "$REC/calls.log"
  RP create --bundle "$B" ab-$$ || return 1
  [ "$(pool_of ab-$$)" = hit ] || fail "$(RP state ab-$$ | jq -c .enclave)" || return 1
  local init; init=$(jq -c 'select(.call=="init")' "$REC/calls.log")
  [ "$(jq -r .fd_token <<<"$init")" = "$(instance_of ab-$$)" ] || fail "token: $init vs $(instance_of ab-$$)"
  [ "$(jq -r .addr <<<"$init")" = $((0x100000000000)) ] || fail "addr: $init"
  [ "$(jq -r .fd <<<"$init")" -ge 3 ] || fail "fd: $init"
}

# --- memory ----------------------------------------------------------------------------------

# mem_of CGDIR: bytes charged (v1 usage_in_bytes or v2 memory.current).
mem_of() { cat "$1/memory.usage_in_bytes" 2>/dev/null || cat "$1/memory.current"; }
container_memcg() { # the container's memory cgroup directory, from its init's /proc/PID/cgroup
  local pid=$1 p
  p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/$pid/cgroup)
  if [ -n "$p" ]; then echo "/sys/fs/cgroup/memory$p"; else
    p=$(awk -F: '$1 == "0" {print $3}' /proc/$pid/cgroup)
    [ -e /sys/fs/cgroup/unified ] && echo "/sys/fs/cgroup/unified$p" || echo "/sys/fs/cgroup$p"; fi
}

t_warm_memory_is_charged_to_epm_not_the_container() {
  local cg
  if [ -d /sys/fs/cgroup/memory ]; then cg=/sys/fs/cgroup/memory/epm-it-$$; else cg=/sys/fs/cgroup/epm-it-$$; fi
  mkdir "$cg" || { echo "SKIPPED: cannot make a memory cgroup at $cg"; return 0; }
  conf; start_epm || { rmdir "$cg"; return 1; }
  echo "$EPM_PID" >"$cg/cgroup.procs"
  E pool set "$SIM" --args "size=64M" --depth 1 || return 1
  local size=$((64 << 20)) before after ccold cwarm
  # Cold: the same args with the pool off for this bundle.
  simbundle cold "size=64M" || return 1
  sh_args 'sleep 1000'; cfg '.process.env += ["ENCLAVE_POOL=off"]'
  RP run -d --bundle "$B" cold-$$ >/dev/null || return 1
  [ "$(pool_of cold-$$)" = off ] || fail "cold: $(RP state cold-$$ | jq -c .enclave)" || return 1
  ccold=$(mem_of "$(container_memcg "$(RP state cold-$$ | jq -r .pid)")")
  simbundle warm "size=64M" || return 1
  sh_args 'sleep 1000'
  wait_ready "size=64M" 1 || return 1
  RP run -d --bundle "$B" warm-$$ >/dev/null || return 1
  [ "$(pool_of warm-$$)" = hit ] || fail "not warm: $(RP state warm-$$ | jq -c .enclave)" || return 1
  cwarm=$(mem_of "$(container_memcg "$(RP state warm-$$ | jq -r .pid)")")
  wait_ready "size=64M" 1 || return 1
  before=$(mem_of "$cg")
  R delete -f warm-$$ || return 1
  sleep 0.2
  after=$(mem_of "$cg")
  echo "NOTE: size $size: warm container charged $cwarm bytes, cold $ccold; epm $before -> $after on the warm one's delete"
  [ "$cwarm" -lt $((size / 10)) ] || fail "warm container charged $cwarm >= 10% of $size"
  [ "$ccold" -ge $((size * 9 / 10)) ] || fail "cold container charged $ccold < 90% of $size"
  [ $((before - after)) -ge $((size * 9 / 10)) ] || fail "epm's charge dropped by $((before - after)), want >= 90% of $size"
  R delete -f cold-$$; stop_epm
  rmdir "$cg" 2>/dev/null
  return 0
}

# --- management ------------------------------------------------------------------------------

t_refill_budget_idle_ttl_pool_rm_drain_resume() {
  conf 'idle_ttl = "1s"' 'max_bytes = "9M"'
  sed -i '1d' "$WORK/epm.toml"  # the second max_bytes wins: 9M (two 4M entries fit, not three)
  start_epm || return 1
  E pool set "$SIM" --args "size=4M" --depth 3 || return 1
  local i; for i in $(seq 100); do [ "$(pool_field size=4M ready)" = 2 ] && break; sleep 0.05; done
  sleep 0.3
  [ "$(pool_field size=4M ready)" = 2 ] || fail "ready $(pool_field size=4M ready), want 2 (budget)" || return 1
  pool_field size=4M last_error | grep -q 'does not fit the .* bytes left of the budget' \
    || fail "no budget error: $(pool_field size=4M last_error)"
  $CLIENT "$RUN/take.sock" take "$BID_SIM" size=4M | jq -e '.reply.status == "hit"' >/dev/null || fail "take"
  wait_ready size=4M 2 || return 1  # refilled within the budget
  # An auto pool dropped after idle_ttl; a configured one is not.
  $CLIENT "$RUN/take.sock" take "$BID_SIM" "size=4M quiet" | jq -e '.reply.status == "miss"' >/dev/null || fail "auto miss"
  [ "$(pool_field "size=4M quiet" origin)" = auto ] || fail "no auto pool: $(E status --json)"
  for i in $(seq 60); do [ "$(pool_field "size=4M quiet" origin)" = null ] && break; sleep 0.1; done
  [ "$(pool_field "size=4M quiet" origin)" = null ] || fail "auto pool kept past idle_ttl"
  grep -q 'unused for idle_ttl' "$WORK/epm.log" || fail "no idle_ttl log line"
  E drain || return 1
  [ "$(pool_field size=4M ready)" = 0 ] && E status --json | jq -e '.drained and .bytes_ready == 0' >/dev/null \
    || fail "drain: $(E status --json)"
  $CLIENT "$RUN/take.sock" take "$BID_SIM" size=4M | jq -e '.reply.status == "miss"' >/dev/null || fail "take while drained"
  sleep 0.3; [ "$(pool_field size=4M ready)" = 0 ] || fail "refilled while drained"
  E resume || return 1
  wait_ready size=4M 2 || return 1
  E pool rm "$SIM" --args size=4M || return 1
  [ "$(E status --json | jq '.pools | length')" = 0 ] || fail "pool rm: $(E status --json)"
  E pool rm "$SIM" --args size=4M 2>"$WORK/err" && fail "second rm succeeded"
  grep -q 'no pool for runtime' "$WORK/err" || fail "rm: $(cat "$WORK/err")"
  E pool set /nowhere.so --depth 1 2>"$WORK/err" && fail "set on a runtime not allowed"
  grep -q 'is not among the allowed runtimes' "$WORK/err" || fail "set: $(cat "$WORK/err")"
}

t_an_entry_over_the_budget_refuses_the_pool() {
  conf; start_epm || return 1
  E pool set "$SIM" --args "size=512M" --depth 1 || return 1
  local i; for i in $(seq 100); do pool_field size=512M last_error | grep -q budget && break; sleep 0.05; done
  pool_field size=512M last_error | grep -q "an entry of 536875008 bytes is over the budget of 268435456 bytes" \
    || fail "error: $(pool_field size=512M last_error)"
  [ "$(pool_field size=512M ready)" = 0 ] || fail "built anyway"
}

t_sighup_after_the_pal_file_changes() {
  cp "$SIM" "$WORK/pal.so"
  conf "[[runtime]]" "path = \"$WORK/pal.so\""
  start_epm || return 1
  E pool set "$WORK/pal.so" --args "size=4M" --depth 2 || return 1
  wait_ready size=4M 2 || return 1
  cp "$PAL_DIR/liberpal-sim-tamper.so" "$WORK/pal.so.new" && mv "$WORK/pal.so.new" "$WORK/pal.so"
  kill -HUP "$EPM_PID"
  local i; for i in $(seq 100); do grep -q 'no longer among the allowed' "$WORK/epm.log" && break; sleep 0.05; done
  grep -q 'dropped with 2 ready entries: its build-id is no longer among the allowed runtimes' "$WORK/epm.log" \
    || fail "log: $(cat "$WORK/epm.log")"
  # The old build-id is still liberpal-sim's (allowed by its own path): that pool stays only if
  # it was keyed by it. The new file has the tamper build's id.
  E status --json | jq -e --arg p "$WORK/pal.so" '.runtimes[] | select(.path == $p) | .build_id' >/dev/null \
    || fail "runtime re-read: $(E status --json | jq -c .runtimes)"
}

t_sigterm_destroys_entries_and_removes_sockets() {
  conf; start_epm || return 1
  E pool set "$SIM" --args "size=4M" --depth 2 || return 1
  wait_ready size=4M 2 || return 1
  kill -TERM "$EPM_PID"; wait "$EPM_PID"; local rc=$?; EPM_PID=; rm -f "$WORK/epm.pid"
  [ $rc = 0 ] || fail "exit $rc"
  [ -e "$RUN/take.sock" ] && fail "take.sock left"
  [ -e "$RUN/epm.sock" ] && fail "epm.sock left"
  grep -q 'stopped: 2 ready entries destroyed' "$WORK/epm.log" || fail "log: $(tail -3 "$WORK/epm.log")"
  pgrep -f "epm __build" && fail "a builder is left"
  return 0
}

t_a_second_epm_is_refused() {
  conf; start_epm || return 1
  "$EPM" serve --config "$WORK/epm.toml" --runtime-dir "$RUN" 2>"$WORK/err" && fail "second epm started"
  grep -q "another epm serves $RUN/take.sock" "$WORK/err" || fail "$(cat "$WORK/err")"
  kill -9 "$EPM_PID"; wait "$EPM_PID" 2>/dev/null; EPM_PID=; rm -f "$WORK/epm.pid"
  start_epm || fail "restart over stale sockets"
}

# --- rune without epm ------------------------------------------------------------------------

t_without_epm_a_pooled_bundle_starts_cold() {
  simbundle b "size=4M" || return 1
  RP create --bundle "$B" u-$$ || return 1
  [ "$(pool_of u-$$)" = unavailable ] || fail "$(RP state u-$$ | jq -c .enclave)"
  RP state u-$$ | jq -r .enclave.reason | grep -q "no epm socket at $RUN/take.sock" || fail "reason"
  RP start u-$$ || fail "start"
  # Off: the annotation, no-epm, an empty --epm-socket.
  simbundle b2 "size=4M,no-epm" || return 1
  RP create --bundle "$B" o1-$$ && [ "$(pool_of o1-$$)" = off ] || fail "no-epm: $(RP state o1-$$ | jq -c .enclave)"
  simbundle b3 "size=4M" && cfg '.process.env += ["ENCLAVE_POOL=off"]'
  RP create --bundle "$B" o2-$$ && [ "$(pool_of o2-$$)" = off ] || fail "ENCLAVE_POOL=off"
  R --epm-socket "" create --bundle "$B" o3-$$ && [ "$(R state o3-$$ | jq -r .enclave.pool)" = off ] || fail "--epm-socket ''"
  cfg '.process.env = [.process.env[] | select(startswith("ENCLAVE_POOL=") | not)] + ["ENCLAVE_POOL=maybe"]'
  RP create --bundle "$B" o4-$$ 2>"$WORK/err" && fail "ENCLAVE_POOL=maybe accepted"
  grep -q '`maybe` is not `on` or `off`' "$WORK/err" || fail "$(cat "$WORK/err")"
  assert_no_leftovers o4-$$
}

t_a_server_that_never_answers_means_cold_after_the_deadline() {
  mkdir -p "$RUN"
  python3 - "$RUN/take.sock" "$WORK/silent.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
  local spid=$!
  local i; for i in $(seq 100); do [ -e "$WORK/silent.ready" ] && break; sleep 0.05; done
  simbundle b "size=4M" || return 1
  local t0 t1; t0=$(date +%s%N)
  RP --epm-timeout 200 create --bundle "$B" s-$$ 2>"$WORK/err" || fail "create: $(cat "$WORK/err")"
  t1=$(date +%s%N)
  kill $spid
  [ "$(pool_of s-$$)" = unavailable ] || fail "$(RP state s-$$ | jq -c .enclave)"
  RP state s-$$ | jq -r .enclave.reason | grep -q 'did not answer within 200 ms' || fail "reason: $(RP state s-$$ | jq -c .enclave)"
  [ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "create took $(( (t1 - t0) / 1000000 )) ms"
  RP start s-$$ || fail "start"
}

# --- bad input -------------------------------------------------------------------------------

t_malformed_requests_get_an_error_and_epm_serves_on() {
  conf; start_epm || return 1
  local req out
  while IFS= read -r req; do
    out=$($CLIENT "$RUN/take.sock" raw "$req") || { fail "no answer to $req"; return 1; }
    [ "$(jq -r .reply.status <<<"$out")" = error ] || fail "$req: $out"
    [ "$(jq -r .fds <<<"$out")" = 0 ] || fail "$req: fds"
  done <<EOF2
not json
[]
{"v":1,"op":"take","key":{"build_id":"$BID_SIM","args":"size=4M"},"container":"x","extra":1}
{"v":2,"op":"take","key":{"build_id":"$BID_SIM","args":"size=4M"},"container":"x"}
{"v":1,"op":"give","key":{"build_id":"$BID_SIM","args":"size=4M"},"container":"x"}
{"v":1,"op":"take","key":{"build_id":1,"args":"size=4M"},"container":"x"}
{"v":1,"op":"take","key":{"build_id":"XYZ","args":"size=4M"},"container":"x"}
{"v":1,"op":"take","key":{"build_id":"$BID_SIM","args":"size=4M","x":1},"container":"x"}
{"v":1,"op":"take","key":{"build_id":"$BID_SIM"},"container":"x"}
{"v":1,"op":"take","key":{"build_id":"$BID_SIM","args":"size=4M"}}
{"v":"1","op":"take","key":{"build_id":"$BID_SIM","args":"size=4M"},"container":"x"}
EOF2
  out=$($CLIENT "$RUN/take.sock" big 5000); jq -e '.reply.status == "error" and (.reply.reason | test("over 4096"))' <<<"$out" >/dev/null || fail "big: $out"
  out=$($CLIENT "$RUN/take.sock" take "$BID_SIM" "$(head -c 2100 /dev/zero | tr '\0' a)")
  jq -e '.reply.status == "error" and (.reply.reason | test("at most 2048"))' <<<"$out" >/dev/null || fail "args: $out"
  out=$($CLIENT "$RUN/take.sock" take 00ff "size=4M")
  jq -e '.reply.status == "miss" and (.reply.reason | test("is not poolable"))' <<<"$out" >/dev/null || fail "off-list: $out"
  chmod 0666 "$RUN/take.sock"; chmod 0755 "$RUN"
  out=$($CLIENT --as-user 65534 "$RUN/take.sock" take "$BID_SIM" size=4M)
  jq -e '.reply.status == "error" and (.reply.reason | test("not root"))' <<<"$out" >/dev/null || fail "non-root: $out"
  E health >/dev/null || fail "epm stopped serving"
  kill -0 "$EPM_PID" || fail "epm died"
}

t_configuration_errors_exit_2_naming_file_line_and_key() {
  local c="$WORK/bad.toml" msg
  check() { # check TEXT WANT
    printf '%s\n' "$1" >"$c"
    "$EPM" serve --config "$c" --runtime-dir "$RUN" 2>"$WORK/err"; local rc=$?
    [ $rc = 2 ] || { fail "exit $rc for: $1"; return 1; }
    grep -q -- "$2" "$WORK/err" || { fail "for: $1: $(cat "$WORK/err")"; return 1; }
    [ -e "$RUN/take.sock" ] && { fail "socket made for: $1"; return 1; }
    return 0
  }
  check 'max_bytes = 1
unknown = 2' "$c:2: unknown key \`unknown\`" || return 1
  check 'depth = 1' "$c:1: unknown key" || return 1
  check '[[runtime]]
path = "/x"' "\`max_bytes\` (the memory budget) is required" || return 1
  check 'max_bytes = "12Q"' "$c:1: \`max_bytes\` is \`12Q\`" || return 1
  check 'max_bytes = 1
[[pool]]
runtime = "/not/allowed.so"' "pool.runtime \`/not/allowed.so\` is not among the \[\[runtime\]\] paths" || return 1
  check 'max_bytes = 1
[[runtime]]
path = "relative.so"' "$c:3: \`runtime.path\` \`relative.so\` is not an absolute path" || return 1
  check 'max_bytes = 1
[[runtime]]
path = "/a"
colour = "x"' "$c:4: unknown key \`runtime.colour\`" || return 1
  check 'max_bytes = 1
[[pool]]
runtime = "/a"
depth = 99' "$c:4: \`pool.depth\` is 99, want 1..64" || return 1
  check 'max_bytes = 1
build_timeout = "soon"' "$c:2: \`build_timeout\` is \`soon\`" || return 1
  check 'max_bytes = [' "$c:1:" || return 1
  "$EPM" serve --config "$WORK/none.toml" --runtime-dir "$RUN" 2>"$WORK/err"; [ $? != 0 ] || fail "missing config"
  grep -q "none.toml" "$WORK/err" || fail "missing: $(cat "$WORK/err")"
}

t_prebuild_failing_crashing_or_hanging_is_logged_and_retried() {
  conf; start_epm || return 1
  local fbid; fbid=$(readelf -n "$PAL_DIR/liberpal-fail.so" | awk '/Build ID/ {print $3}')
  local mode want
  for mode in negerrno crash hang; do
    case $mode in
      negerrno) want='pal_prebuild returned -8';;
      crash) want='killed by signal 11';;
      hang) want='did not finish within build_timeout (2000 ms): killed';;
    esac
    E pool set "$PAL_DIR/liberpal-fail.so" --args "fail=prebuild:$mode" --depth 1 || return 1
    local i; for i in $(seq 100); do pool_field "fail=prebuild:$mode" last_error "$fbid" | grep -q . && break; sleep 0.05; done
    pool_field "fail=prebuild:$mode" last_error "$fbid" | grep -q "$want" \
      || fail "$mode: $(pool_field "fail=prebuild:$mode" last_error "$fbid")"
    grep -q "build failed: .*(retry in [0-9]* s)" "$WORK/epm.log" || fail "$mode: no backoff logged"
  done
  sleep 0.2
  pgrep -f "epm __build" >/dev/null && fail "a builder is left: $(pgrep -af 'epm __build')"
  return 0
}

t_tampered_entries_through_epm_start_cold_as_rejected() {
  conf; start_epm || return 1
  local tbid; tbid=$(readelf -n "$PAL_DIR/liberpal-sim-tamper.so" | awk '/Build ID/ {print $3}')
  local t
  for t in seal size magic version build args addr; do
    bundle t$t || return 1
    cfg --arg rec "$REC" --arg pal "$PAL_DIR/liberpal-sim-tamper.so" --arg args "size=4M,tamper=$t" \
      '.process.env += ["ENCLAVE_TYPE=sim","ENCLAVE_RUNTIME_PATH=/opt/pal.so","ENCLAVE_RUNTIME_ARGS=" + $args]
       | .mounts += [{"destination":"/opt/pal.so","type":"bind","source":$pal,"options":["bind","ro"]}]'
    E pool set "$PAL_DIR/liberpal-sim-tamper.so" --args "size=4M tamper=$t" --depth 1 || return 1
    if [ $t = seal ]; then  # epm itself refuses an entry that is not sealed: it never gets out
      local i; for i in $(seq 100); do pool_field "size=4M tamper=seal" last_error "$tbid" | grep -q . && break; sleep 0.05; done
      pool_field "size=4M tamper=seal" last_error "$tbid" | grep -q "not a sealed memfd" \
        || fail "seal: $(pool_field "size=4M tamper=seal" last_error "$tbid")"
      continue
    fi
    wait_ready "size=4M tamper=$t" 1 "$tbid" || return 1
    RP create --bundle "$B" t$t-$$ 2>"$WORK/err" || fail "$t: create failed: $(cat "$WORK/err")" || return 1
    [ "$(pool_of t$t-$$)" = rejected ] || fail "$t: $(RP state t$t-$$ | jq -c .enclave)"
    grep -q "refused the pre-built enclave" "$WORK/err" || fail "$t: no refusal line: $(cat "$WORK/err")"
    RP start t$t-$$ || fail "$t: start"
  done
}

t_epm_killed_mid_build_leaves_no_builder_and_restarts() {
  conf; start_epm || return 1
  E pool set "$PAL_DIR/liberpal-fail.so" --args "fail=prebuild:hang" --depth 1 || return 1
  local i; for i in $(seq 100); do pgrep -f "epm __build" >/dev/null && break; sleep 0.05; done
  pgrep -f "epm __build" >/dev/null || fail "no builder running" || return 1
  kill -9 "$EPM_PID"; wait "$EPM_PID" 2>/dev/null; EPM_PID=; rm -f "$WORK/epm.pid"
  for i in $(seq 100); do pgrep -f "epm __build" >/dev/null || break; sleep 0.05; done
  pgrep -f "epm __build" >/dev/null && fail "the builder outlived epm"
  [ -S "$RUN/take.sock" ] || fail "SIGKILL removed the socket?"
  start_epm || fail "restart over the stale sockets"
}

t_systemd_unit_verifies() {
  command -v systemd-analyze >/dev/null || { echo "SKIPPED: no systemd-analyze"; return 0; }
  local unit; unit="$(dirname "$0")/../../deploy/systemd/epm.service"
  [ -f "$unit" ] || fail "no $unit" || return 1
  # The unit names /usr/bin/epm: verify against this build through a copy that points at it.
  mkdir -p "$WORK/unit"
  sed "s#/usr/local/bin/epm#$EPM#g" "$unit" >"$WORK/unit/epm.service"
  systemd-analyze verify "$WORK/unit/epm.service" 2>"$WORK/err" || fail "verify: $(cat "$WORK/err")"
  grep -q '^Type=notify' "$unit" && grep -q '^RuntimeDirectory=epm' "$unit" && grep -q '^RuntimeDirectoryMode=0700' "$unit" \
    || fail "unit: $(cat "$unit")"
  grep -q '^MemoryMax=' "$unit" && fail "MemoryMax set"
  return 0
}

t_the_demo_of_docs_epm_md() {
  local build; build=$(dirname "$(dirname "$PAL_DIR")/x")
  [ -x "$build/cmd/epm/epm" ] || build=$(dirname "$PAL_DIR")
  bash "$(dirname "$0")/../../scripts/epm-demo.sh" "$build" >"$WORK/demo.out" 2>&1 || fail "demo failed: $(cat "$WORK/demo.out")" || return 1
  grep -q '"enclave":{"pool":"miss"' "$WORK/demo.out" || fail "no miss: $(cat "$WORK/demo.out")"
  grep -q '"enclave":{"pool":"hit","instance":"[0-9a-f]\{32\}"}' "$WORK/demo.out" || fail "no hit: $(cat "$WORK/demo.out")"
  grep -qx 'hello from a pre-built enclave' "$WORK/demo.out" || fail "no workload output"
  tail -1 "$WORK/demo.out" | grep -q 'depth 1, ready 1, building 0, hits 1, misses 1' || fail "status: $(tail -2 "$WORK/demo.out")"
}

t_ordinary_bundles_never_look_for_epm() {
  command -v strace >/dev/null || { echo "SKIPPED: no strace"; return 0; }
  conf; start_epm || return 1
  bundle plain || return 1
  # LeakSanitizer cannot run under ptrace: a sanitizer build's rune is traced without it.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -qq -e trace=%file,%network \
    -o "$WORK/strace" "$RUNE" --root "$ROOT" --epm-socket "$RUN/take.sock" create --bundle "$B" p-$$ \
    || return 1
  grep -q "$RUN" "$WORK/strace" && fail "an ordinary create touched epm: $(grep "$RUN" "$WORK/strace")"
  [ "$(R state p-$$ | jq -r '.enclave // "none"')" = none ] || fail "state has enclave: $(R state p-$$)"
  if ldd "$RUNE" | grep -q -e libasan -e libubsan -e libstdc++; then
    echo "NOTE: rune's libraries not checked in this build (sanitizers): $(ldd "$RUNE" | wc -l) entries"
  else
    [ "$(ldd "$RUNE" | grep -cv -e linux-vdso -e 'libc.so' -e ld-linux)" = 0 ] || fail "rune links: $(ldd "$RUNE")"
  fi
}

run_tests
