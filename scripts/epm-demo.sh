#!/bin/bash
# epm and rune: the same enclave bundle created twice, cold then from a pre-built entry.
#   1. epm starts with a configuration that allows liberpal-sim (auto_pool on, 256 MiB budget);
#   2. the first `rune create` asks epm: a miss, which makes a pool for its key; it builds cold;
#   3. epm builds one entry for that key meanwhile (`epm status`);
#   4. the second `rune create` gets it: a hit; `rune start` runs the workload;
#   5. `epm status`: one hit, one miss, the pool refilled.
# Usage (as root): bash scripts/epm-demo.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "${1:?usage: epm-demo.sh BUILD_DIR}")
RUNE=$BUILD/cmd/rune/rune EPM=$BUILD/cmd/epm/epm PAL=$BUILD/runtimes/liberpal-sim.so
[ "$(id -u)" = 0 ] || { echo "epm-demo: run as root (containers need it)" >&2; exit 1; }
W=$(mktemp -d /tmp/epm-demo.XXXXXX)
R() { "$RUNE" --root "$W/state" --epm-socket "$W/run/take.sock" "$@"; }
E() { "$EPM" "$@" --runtime-dir "$W/run"; }
trap 'R delete -f demo1 >/dev/null 2>&1; R delete -f demo2 >/dev/null 2>&1; kill $epm 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
run() { echo "\$ $*" | sed "s#$W#\$W#g; s#$BUILD/[a-z/-]*/##g" >&2; "$@"; }

echo "# 1. epm, allowing liberpal-sim"
cat >"$W/epm.toml" <<EOT
max_bytes = "256M"
[[runtime]]
path = "$PAL"
EOT
sed "s#$BUILD/[a-z/-]*/##g" "$W/epm.toml"
"$EPM" serve --config "$W/epm.toml" --runtime-dir "$W/run" 2>"$W/epm.log" & epm=$!
for _ in $(seq 100); do [ -S "$W/run/epm.sock" ] && break; sleep 0.05; done

echo "# 2. an enclave bundle with 64 MiB of enclave memory; the first create misses"
mkdir -p "$W/b/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$W/b/rootfs/bin/busybox"
chroot "$W/b/rootfs" /bin/busybox --install -s /bin
(cd "$W/b" && "$RUNE" spec --enclave --pal "$PAL")
jq '.process.args=["echo","hello from a pre-built enclave"] | .process.terminal=false
    | .process.env=[.process.env[] | if startswith("ENCLAVE_RUNTIME_ARGS=") then "ENCLAVE_RUNTIME_ARGS=size=64M,quiet" else . end]' \
  "$W/b/config.json" >"$W/c.json" && mv "$W/c.json" "$W/b/config.json"
run R create --bundle "$W/b" demo1
run R state demo1 | jq -c '{status, enclave}'

echo "# 3. epm builds an entry for that key"
for _ in $(seq 200); do [ "$(E status --json | jq '[.pools[].ready] | add // 0')" -ge 1 ] && break; sleep 0.05; done
run E status

echo "# 4. the second create of the same bundle gets it"
run R create --bundle "$W/b" demo2
run R state demo2 | jq -c '{status, enclave}'
run R start demo2
sleep 0.2

echo "# 5. one hit, one miss; the pool refilled"
for _ in $(seq 200); do [ "$(E status --json | jq '[.pools[].ready] | add // 0')" -ge 1 ] && break; sleep 0.05; done
run E status
