#!/bin/bash
# Opt-in fuzzing of every parser of untrusted input (fuzz/): installs clang 16 and
# its libFuzzer runtime (clang 14 cannot compile libstdc++ 12's std::views), builds the targets
# with ASan+UBSan, seeds each corpus from ../shared/vectors and runs each target for
# FUZZ_SECONDS (default 600). Prints the executions per target; exits non-zero on a crash.
# Usage: bash scripts/fuzz.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-600}
BUILD=${FUZZ_BUILD:-build-fuzz}
VECTORS=${VECTORS:-$(cd .. && pwd)/shared/vectors}

need=()
for p in clang-16 libclang-rt-16-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash scripts/install-deps.sh

CC=clang-16 CXX=clang++-16 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRUNE_FUZZ=ON -DRUNE_BUILD_TESTS=OFF -DRUNE_OCI_VALIDATION=OFF >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
fi
cmake --build "$BUILD" --target "${targets[@]}"

# Seeds: the real evidence and collateral, by the kind of input each target reads.
seed() { # seed TARGET FILE...
  mkdir -p "$BUILD/corpus/$1"
  shift_target=$1; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$BUILD/corpus/$shift_target/$(echo "$f" | md5sum | cut -c1-12)"; done
  return 0
}
seed fuzz_intel_quote "$VECTORS"/sgx/*/quote.* "$VECTORS"/sgx/occlum-trustee/occlum_quote.dat \
  "$VECTORS"/tdx/*/quote.bin "$VECTORS"/tdx/go-tdx-guest/*.dat
seed fuzz_snp_report "$VECTORS"/snp/*/*.bin
seed fuzz_tcb_info "$VECTORS"/*/*/tcb_info.json "$VECTORS"/sgx/*/tcbInfo.json \
  "$VECTORS"/tdx/go-tdx-guest/sample_tcb*
seed fuzz_qe_identity "$VECTORS"/*/*/qe_identity.json "$VECTORS"/sgx/*/qeIdentity.json \
  "$VECTORS"/tdx/go-tdx-guest/sample_qeIdentity_response
seed fuzz_pck_cert "$VECTORS"/*/*/*.pem "$VECTORS"/snp/*/*.der
seed fuzz_crl "$VECTORS"/*/*/*crl* "$VECTORS"/sgx/*/*Crl.pem "$VECTORS"/tdx/go-tdx-guest/pckcrl
# PEM chains: the real PEM files; the type-5 chains cut out of the quotes (first BEGIN to last END);
# and each of those joined (no newline between the certificates, as 2020-21 quotes carry them),
# with CRLF lines, and joined and NUL-ended.
seed fuzz_pem_chain "$VECTORS"/*/*/*.pem "$VECTORS"/tdx/*.pem
for q in "$VECTORS"/sgx/*/quote.* "$VECTORS"/sgx/occlum-trustee/occlum_quote.dat \
  "$VECTORS"/tdx/*/quote.bin "$VECTORS"/tdx/go-tdx-guest/*.dat; do
  [ -f "$q" ] || continue
  first=$(grep -abo -e '-----BEGIN CERTIFICATE-----' "$q" | head -1 | cut -d: -f1 || true)
  last=$(grep -abo -e '-----END CERTIFICATE-----' "$q" | tail -1 | cut -d: -f1 || true)
  [ -n "$first" ] && [ -n "$last" ] || continue
  chain=$BUILD/corpus/fuzz_pem_chain/chain-$(echo "$q" | md5sum | cut -c1-12)
  { tail -c +$((first + 1)) "$q" | head -c $((last + 25 - first)) || true; echo; } > "$chain"  # head ends tail early (SIGPIPE)
  sed -z 's/-----END CERTIFICATE-----\n-----BEGIN/-----END CERTIFICATE----------BEGIN/g' "$chain" > "$chain-joined"
  sed 's/$/\r/' "$chain" > "$chain-crlf"
  { head -c -1 "$chain-joined"; printf '\0'; } > "$chain-joined-nul"
done
# DICE CBOR values and certificates carrying them, made by the Rats-TLS tests' encoder are not on
# disk; the real certificates and quotes give the DER and byte-string structure to start from.
seed fuzz_rats_tls_evidence "$VECTORS"/snp/*/*.der "$VECTORS"/sgx/signal-cdsi/quote.bin
# tag 60000 [h'00', {"pubkey-hash": h'<[1, h'00'*32]>'}]
{ printf '\xd9\xea\x60\x82\x41\x00\x58\x33\xa1\x6bpubkey-hash\x58\x24\x82\x01\x58\x20'
  head -c 32 /dev/zero; } > "$BUILD/corpus/fuzz_rats_tls_evidence/dice-seed"

# rune's inputs: the config that `runc spec` writes, rune's own templates (ordinary and enclave),
# and the docker/podman seccomp profiles as config fields; requests of every type for the
# runelet channel.
FIXTURES=${FIXTURES:-$(cd .. && pwd)/shared/fixtures}
CORPUS=$(pwd)/$BUILD/corpus
mkdir -p "$CORPUS/fuzz_oci_config" "$CORPUS/fuzz_runelet_protocol"
spec_dir=$(mktemp -d)
(cd "$spec_dir" && runc spec && cp config.json "$CORPUS/fuzz_oci_config/runc-spec")
for rune in "$(pwd)/build/cmd/rune/rune"; do
  [ -x "$rune" ] || continue
  (cd "$spec_dir" && rm -f config.json && "$rune" spec && cp config.json "$CORPUS/fuzz_oci_config/rune-spec" &&
   rm -f config.json && "$rune" spec --enclave --pal /dev/null && cp config.json "$CORPUS/fuzz_oci_config/rune-enclave") || true
done
for f in "$FIXTURES"/*seccomp*.json; do
  [ -f "$f" ] && jq --slurpfile s "$f" '.linux.seccomp = $s[0]' "$CORPUS/fuzz_oci_config/runc-spec" \
    > "$CORPUS/fuzz_oci_config/$(basename "$f")"
done
rm -rf "$spec_dir"
mkdir -p "$CORPUS/fuzz_seccomp"
for f in "$FIXTURES"/*seccomp*.json; do [ -f "$f" ] && cp "$f" "$CORPUS/fuzz_seccomp/"; done
printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":131072,"op":"SCMP_CMP_EQ"}]},{"names":["mkdir"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":1,"value":448,"valueTwo":448,"op":"SCMP_CMP_MASKED_EQ"}]}]}' \
  > "$CORPUS/fuzz_seccomp/rules"
# Runelet requests: [descriptor count][u32 type][i32 a][i32 b][u32 length][payload], little-endian.
le32() { local v=$(($1 & 0xffffffff)); printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $(((v >> 8) & 255)))\\x$(printf %02x $(((v >> 16) & 255)))\\x$(printf %02x $(((v >> 24) & 255)))"; }
req() { # req NAME FDS TYPE A B PAYLOAD_PRINTF_FORMAT
  local out=$BUILD/corpus/fuzz_runelet_protocol/$1 payload
  payload=$(mktemp); printf "$6" > "$payload"
  { printf "\\x$(printf %02x "$2")"; le32 "$3"; le32 "$4"; le32 "$5"; le32 "$(wc -c < "$payload")"; cat "$payload"; } > "$out"
  rm -f "$payload"
}
req start 0 1 0 0 ''
req exec 3 2 0 0 '\x02\x00\x00\x00/bin/sh\000-c\000\x01\x00\x00\x00PATH=/bin\000'
req kill 0 3 -1 15 ''
req attest 0 4 0 0 "$(head -c 512 /dev/zero | tr '\0' 'a')"
req error 0 14 2 1 'no such file'
# D-Bus: a method return, an error and a JobRemoved signal, as systemd and the bus send them.
mkdir -p "$BUILD/corpus/fuzz_dbus_message"
python3 - "$BUILD/corpus/fuzz_dbus_message" <<'PY'
import struct, sys
def pad(b, n): return b + b"\0" * (-len(b) % n)
def s(v, t="s"):
    e = v.encode()
    return (struct.pack("<B", len(e)) if t == "g" else struct.pack("<I", len(e))) + e + b"\0"
def msg(kind, serial, fields, sig, body):
    f = b""
    for code, t, v in fields:
        f = pad(f, 8) + bytes([code]) + s(t, "g") + (struct.pack("<I", v) if t == "u" else s(v, t))
    if sig:
        f = pad(f, 8) + bytes([8]) + s("g", "g") + s(sig, "g")
    head = b"l" + bytes([kind, 0, 1]) + struct.pack("<III", len(body), serial, len(f)) + f
    return pad(head, 8) + body
job = "/org/freedesktop/systemd1/job/7"
out = {
  "return-o": msg(2, 5, [(5, "u", 3), (7, "s", "org.freedesktop.systemd1")], "o", s(job, "o")),
  "error": msg(3, 6, [(4, "s", "org.freedesktop.systemd1.UnitExists"), (5, "u", 4)], "s", s("exists")),
  "job-removed": msg(4, 9, [(1, "o", "/org/freedesktop/systemd1"), (2, "s", "org.freedesktop.systemd1.Manager"),
                            (3, "s", "JobRemoved")], "uoss",
                     pad(struct.pack("<I", 7) + s(job, "o"), 4) + pad(s("rune-x.scope"), 4) + s("done")),
}
for name, b in out.items():
    open(sys.argv[1] + "/" + name, "wb").write(b)
PY
mkdir -p "$BUILD/corpus/fuzz_policy" "$BUILD/corpus/fuzz_collateral_json"
printf '%s' '{"allow_debug": false, "accepted_tcb_statuses": ["UpToDate", "SWHardeningNeeded"], "accept_out_of_date": true, "trust_sim_root": true, "min_tcb_evaluation_data_number": 17, "trusted_root_keys": ["00000000000000000000000000000000000000000000000000000000000000aa"], "sgx": {"mrenclave": ["00000000000000000000000000000000000000000000000000000000000000aa"], "isv_prod_id": 1, "min_isv_svn": 2}, "tdx": {"rtmr0": "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "xfam": "e702060000000000"}, "snp": {"max_vmpl": 0, "allow_migrate_ma": false, "family_id": "00000000000000000000000000000000"}}' \
  > "$BUILD/corpus/fuzz_policy/policy-all-sections"
seed fuzz_collateral_json "$VECTORS"/*/*/collateral.json "$VECTORS"/*/*/tcb_info.json \
  "$VECTORS"/*/*/qe_identity.json "$VECTORS"/sgx/*/tcbInfo.json "$VECTORS"/sgx/*/qeIdentity.json
printf '%s' '{"root_ca": "a.pem", "pck_crl": "b.der", "tcb_info": "/abs/tcb.json"}' \
  > "$BUILD/corpus/fuzz_collateral_json/role-map"

# ttrpc: the calls containerd makes of a shim (Create with its rootfs and options, Start, State,
# Wait, Kill, Delete, Shutdown), their payloads encoded by protoc from the project's own .proto
# files, framed as ttrpc 1.1 does (odd stream ids); one file per call and one with all of them.
mkdir -p "$CORPUS/fuzz_eaa_frames" "$CORPUS/fuzz_eaa_preamble"
python3 - "$CORPUS" <<'PY'
import json, struct, sys, os
d = sys.argv[1]
def frame(o):
    b = json.dumps(o).encode()
    return struct.pack(">I", len(b)) + b
seeds = {
  "fuzz_eaa_frames/session": frame({"type": "hello", "version": 1}) + frame({"type": "echo", "data": "x"})
            + frame({"type": "get_evidence", "nonce": "00" * 32, "container": "web-1"})
            + frame({"type": "evidence", "tee": "sim", "evidence": "AAAA", "target_info": "AAAA"}),
  "fuzz_eaa_preamble/connect": b"\x00" + b'{"connect":"web-1"}',
  "fuzz_eaa_preamble/broker": b"\x00" + b'{"broker":true}',
  "fuzz_eaa_preamble/answer-ok": b"\x01" + b'{"ok":true}',
  "fuzz_eaa_preamble/answer-error": b"\x01" + b'{"error":{"code":"unknown_target","message":"no container or route `x`"}}',
  "fuzz_eaa_preamble/address-tcp": b"\x02" + b"tcp://127.0.0.1:8443",
  "fuzz_eaa_preamble/address-unix": b"\x02" + b"unix:///run/eaa.sock",
}
for name, data in seeds.items():
    open(os.path.join(d, name), "wb").write(data)
PY
mkdir -p "$CORPUS/fuzz_ttrpc"
python3 - "$CORPUS/fuzz_ttrpc" <<'PY'
import struct, subprocess, sys
def enc(msg, text):
    return subprocess.run(["protoc", "-I", "proto", "--encode=" + msg, "containerd/task/v2/shim.proto"],
                          input=text.encode(), capture_output=True, check=True).stdout
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
def field(num, data): return varint(num << 3 | 2) + varint(len(data)) + data
def frame(sid, method, payload):
    req = field(1, b"containerd.task.v2.Task") + field(2, method.encode()) + field(3, payload)
    return struct.pack(">IIBB", len(req), sid, 1, 0) + req
T = "containerd.task.v2."
calls = [
    ("Create", enc(T + "CreateTaskRequest", 'id: "c1" bundle: "/run/containerd/io.containerd.runtime.v2.task/default/c1" '
        'rootfs { type: "overlay" source: "overlay" options: "index=off" options: "workdir=/w" options: "upperdir=/u" options: "lowerdir=/l" } '
        'stdin: "/run/containerd/fifo/1/c1-stdin" stdout: "/run/containerd/fifo/1/c1-stdout" stderr: "/run/containerd/fifo/1/c1-stderr" '
        'options { type_url: "runtimeoptions.v1.Options" value: "\\x12\\x0b/etc/x.toml" }')),
    ("Start", enc(T + "StartRequest", 'id: "c1"')),
    ("State", enc(T + "StateRequest", 'id: "c1"')),
    ("Wait", enc(T + "WaitRequest", 'id: "c1"')),
    ("Kill", enc(T + "KillRequest", 'id: "c1" signal: 15 all: true')),
    ("Delete", enc(T + "DeleteRequest", 'id: "c1"')),
    ("Shutdown", enc(T + "ShutdownRequest", 'id: "c1"')),
]
allf = b""
for i, (m, p) in enumerate(calls):
    f = frame(2 * i + 1, m, p)
    open(sys.argv[1] + "/" + m, "wb").write(b"\x07" + f)
    allf += f
open(sys.argv[1] + "/session", "wb").write(b"\x05" + allf)
open(sys.argv[1] + "/oversized", "wb").write(b"\x03" + struct.pack(">IIBB", (4 << 20) + 1, 1, 1, 0) + b"x" * 64 + allf[:200])
PY

# sgx-tools' files: structures by size (mode 0), a SIGSTRUCT (1), quotes (2).
mkdir -p "$CORPUS/fuzz_sgx_dump"
{ printf '\x01'; cat tests/data/sgx/le_prod_css.bin; } > "$CORPUS/fuzz_sgx_dump/le-sigstruct"
{ printf '\x00'; cat tests/data/sgx/le_prod_css.bin; } > "$CORPUS/fuzz_sgx_dump/le-show"
for q in "$VECTORS"/sgx/*/quote.* "$VECTORS"/sgx/occlum-trustee/occlum_quote.dat "$VECTORS"/tdx/go-tdx-guest/quote_v5_sample.dat; do
  [ -f "$q" ] && { printf '\x02'; cat "$q"; } > "$CORPUS/fuzz_sgx_dump/$(basename "$(dirname "$q")")-$(basename "$q")"
done

# AESM replies as aesmd sends them (bodies, unframed), encoded by protoc from proto/aesm.
mkdir -p "$CORPUS/fuzz_aesm_reply"
enc_aesm() { protoc -I proto --encode=aesm.message.Response aesm/aesm.proto > "$CORPUS/fuzz_aesm_reply/$1"; }
echo 'initQuoteExRes { errorCode: 0 target_info: "0123456789abcdef" pub_key_id_size: 32 }' | enc_aesm init
echo 'getQuoteSizeExRes { errorCode: 0 quote_size: 4600 }' | enc_aesm size
echo 'getQuoteExRes { errorCode: 0 quote: "\003\000\002\000" qe_report_info: "nonce" }' | enc_aesm quote
echo 'getQuoteExRes { errorCode: 42 }' | enc_aesm error
echo 'selectAttKeyIDRes { errorCode: 0 selected_att_key_id: "\000\000 " }' | enc_aesm select
echo 'getSupportedAttKeyIDNumRes { errorCode: 0 att_key_id_num: 2 }' | enc_aesm num
echo 'getLicTokenRes { errorCode: 0 token: "\001\000\000\000" }' | enc_aesm token

# epm's take requests: well-formed, and each kind the daemon refuses.
mkdir -p "$CORPUS/fuzz_epm_request"
bid=e96b3672e494f4482d922c175c552d3fe53b24e3
printf '{"v":1,"op":"take","key":{"build_id":"%s","args":"measurement-log=/rec/m.log size=4M"},"container":"c1"}' $bid >"$CORPUS/fuzz_epm_request/take"
printf '{"v":2,"op":"take","key":{"build_id":"%s","args":""},"container":""}' $bid >"$CORPUS/fuzz_epm_request/version"
printf '{"v":1,"op":"take","key":{"build_id":"%s","args":"a","x":[1,{"y":null}]},"container":"c"}' $bid >"$CORPUS/fuzz_epm_request/extra"
printf '{"v":1,"status":"hit","entry":{"instance":"00ff","size":4198400,"addr":17592186044416,"built_at":"2026-12-06T00:00:00Z"}}' >"$CORPUS/fuzz_epm_request/hit"
printf '{"v":1,"status":"miss","reason":"no ready entry"}' >"$CORPUS/fuzz_epm_request/miss"

status=0
printf '%-26s %12s %10s %s\n' target executions seconds result
for t in "${targets[@]}"; do
  log=$BUILD/$t.log
  mkdir -p "$BUILD/corpus/$t"
  if "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 \
       -artifact_prefix="$BUILD/$t-" "$BUILD/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log)"; status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  printf '%-26s %12s %10s %s\n' "$t" "$execs" "$SECONDS_EACH" "$result"
done
exit $status
