# Shared helpers for rune's integration tests: a private state root, busybox bundles, checks
# for leftovers, and a small test runner that ends with "N passed, M failed".
# Usage: RUNE=/abs/path/to/rune bash tests/integration/<suite>.sh
set -u
RUNE=${RUNE:?set RUNE to the rune binary}
[ "$(id -u)" = 0 ] || { echo "integration tests must run as root" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required (scripts/install-deps.sh)" >&2; exit 2; }
[ -x /bin/busybox ] || { echo "busybox-static is required (scripts/install-deps.sh)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/rune-it.XXXXXX)
chmod 755 "$WORK"  # a container root mapped to another host uid must reach its bundle
ROOT=$WORK/state
# Container ids, unique to this run: cgroups are named after them and are the host's, shared
# with any other suite running at the same time.
c1=c1-$$ c2=c2-$$ c3=c3-$$
R() { "$RUNE" --root "$ROOT" "$@"; }

cleanup() {
  local id
  for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done
  for id in $(ls "$ROOT" 2>/dev/null); do rmdir /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/"$id" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A busybox-static rootfs, made once per suite.
mkdir -p "$WORK/rootfs"/{bin,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$WORK/rootfs/bin/busybox"
chroot "$WORK/rootfs" /bin/busybox --install -s /bin
chmod 1777 "$WORK/rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$WORK/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$WORK/rootfs/etc/group"

# bundle NAME: a fresh bundle $WORK/NAME from `rune spec`, not a terminal, running /bin/true.
bundle() {
  B=$WORK/$1; rm -rf "$B"; mkdir -p "$B"; cp -a "$WORK/rootfs" "$B/rootfs"
  (cd "$B" && R spec) || { echo "rune spec failed"; return 1; }
  cfg '.process.terminal=false | .process.args=["/bin/true"] | .root.readonly=false'
}
cfg() { jq "$@" "$B/config.json" > "$B/config.json.tmp" && mv "$B/config.json.tmp" "$B/config.json"; }
sh_args() { cfg --arg s "$1" '.process.args=["/bin/sh","-c",$s]'; }
status_of() { R state "$1" 2>/dev/null | jq -r .status; }
wait_status() { # wait_status ID WANT
  local i; for i in $(seq 100); do [ "$(status_of "$1")" = "$2" ] && return 0; sleep 0.05; done; return 1; }

# No state dir, cgroup or process is left for ID, and no mount of this suite's bundles or state is
# left in the host's mount table. (Only this suite's: other suites run alongside and mount their
# own namespace files, so the table's length is not this suite's to check.)
assert_no_leftovers() {
  local id=$1 d
  [ -e "$ROOT/$id" ] && { echo "state dir $ROOT/$id left behind"; return 1; }
  for d in /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/"$id"; do
    [ -e "$d" ] && { echo "cgroup $d left behind"; return 1; }
  done
  local left; left=$(grep -F " $WORK" /proc/self/mountinfo)
  [ -z "$left" ] || { echo "mounts left in the host's table: $left"; return 1; }
  return 0
}

. "$(dirname "${BASH_SOURCE[0]}")/runner.sh"
# Every test's containers go after it, passed or not.
after_each() { local id; for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done; }

# Terminals through a real pty that can be resized (tmux; `script` cannot resize).
# tmux_run SESSION CMD: CMD in a new 120x40 tmux session; the terminal's settings (stty -g)
# before and after it go to $WORK/SESSION.before and .after, then its exit code to .rc.
tmux_run() {
  tmux -L rune-it-$$ new-session -d -s "$1" -x 120 -y 40 \
    "stty -g > $WORK/$1.before; $2; rc=\$?; stty -g > $WORK/$1.after; echo \$rc > $WORK/$1.rc; sleep 60"
}
tmux_wait_rc() { local i; for i in $(seq 100); do [ -s "$WORK/$1.rc" ] && return 0; sleep 0.05; done; return 1; }
# refused TEXT CMD...: CMD fails and its stderr has TEXT.
refused() {
  local want=$1; shift
  "$@" </dev/null >"$WORK/out" 2>"$WORK/err" && { fail "succeeded: $*"; return 1; }
  grep -qF -- "$want" "$WORK/err" || fail "stderr of [$*] does not have [$want]: $(cat "$WORK/err")"
}
