#!/bin/bash
# The layering the build must keep (docs/architecture.md): each src/ folder includes only the
# folders below it, the static libraries reference nothing of the layers above them, and `rune`
# loads no shared library beyond libc (containers pay for every one at each start).
# Usage: SRC=<repo> BUILD=<build dir> RUNE=<rune binary> bash layering.sh
set -u
SRC=${SRC:?set SRC to the repository}
BUILD=${BUILD:?set BUILD to the build directory}
RUNE=${RUNE:?set RUNE to the rune binary}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# folder: the folders (under src/ or include/) its files may include. include/inclavare is the PAL's
# C ABI: constants and types only, no code (base's sim REPORTs and the rats sim TEE share the sim
# TEE's layout with liberpal-sim through it).
declare -A ALLOWED=(
  [src/base]="base inclavare"
  [src/oci]="oci base"
  [src/dbus]="dbus base"
  [src/linux]="linux oci base"
  # epm: only epm/wire (take.sock's protocol) is on src/enclave's include path (probed below).
  [src/enclave]="enclave oci base inclavare epm"
  [src/runtime]="runtime linux enclave dbus oci base"
  [src/sgx]="sgx base"
  [src/rats]="rats sgx base inclavare"
  [cmd/rune]="runtime oci base inclavare"
  [src/eaa]="eaa rats sgx base inclavare"
  [cmd/rune-attest]="eaa base"
  [cmd/eaa-sample]="eaa rats base"
  [cmd/shelter]="eaa rats base"
  [cmd/rats-tls-server]="rats base"
  [cmd/rats-tls-client]="rats base"
  [src/sgx_tools]="sgx_tools sgx rats base"
  [cmd/sgx-tools]="sgx_tools base"
  [src/aesm_sim]="aesm_sim aesm sgx rats base inclavare"
  [cmd/aesm-sim]="aesm_sim base"
  [src/ttrpc]="ttrpc base google"
  [src/shim]="shim ttrpc enclave linux oci base containerd google runtimeoptions"
  [cmd/containerd-shim-rune-v2]="shim base"
  [src/epm]="epm base inclavare"
  [cmd/epm]="epm base"
)
for dir in "${!ALLOWED[@]}"; do
  [ -d "$SRC/$dir" ] || { bad "$dir is missing"; continue; }
  while IFS=: read -r file line inc; do
    top=${inc#*\"}; top=${top%%/*}
    case " ${ALLOWED[$dir]} " in *" $top "*) ;; *) bad "$file:$line includes \"$top/...\": $dir may include only ${ALLOWED[$dir]}" ;; esac
  done < <(cd "$SRC" && grep -rnoE '^#include "[A-Za-z0-9_.-]+/' "$dir" || true)
done

# The build enforces the same: each target's include path holds only the folders of the libraries
# it links (rune_expose in CMakeLists.txt). Preprocess, with the flags the build used for one file
# of a folder, an include of a folder it may use (must work) and of each it may not (must fail).
compile_probe() { # compile_probe SOURCE_FILE FOLDER -> status of preprocessing '#include "FOLDER/x.h"'
  local src=$1 folder=$2 cmd header probe
  header=$(cd "$SRC" && { ls src/"$folder"/*.h include/"$folder"/*.h 2>/dev/null || true; } | head -1)
  [ -n "$header" ] || { bad "no header in $folder to probe"; return 2; }
  header=${header#src/}; header=${header#include/}
  cmd=$(jq -r --arg f "$SRC/$src" '.[] | select(.file == $f) | .command' "$BUILD/compile_commands.json" | head -1)
  [ -n "$cmd" ] || { bad "$src is not in $BUILD/compile_commands.json"; return 2; }
  probe=$(mktemp --suffix=.cpp)
  printf '#include "%s"\n' "$header" > "$probe"
  cmd=$(sed -E "s# -o [^ ]+# -o /dev/null#; s# -c [^ ]+# -E $probe#" <<< "$cmd")
  (cd "$BUILD" && eval "$cmd") > /dev/null 2>&1
  local rc=$?
  rm -f "$probe"
  return $rc
}
if [ -f "$BUILD/compile_commands.json" ] && command -v jq > /dev/null; then
  # file of the target: allowed folder | forbidden folders
  while read -r src ok forbidden; do
    compile_probe "$src" "$ok" || bad "$src: cannot include $ok/ although its target links it"
    for f in ${forbidden//,/ }; do
      if compile_probe "$src" "$f"; then bad "$src can include $f/: its target's include path is not its own"; fi
    done
  done << 'PROBES'
src/base/error.cpp base oci,linux,enclave,runtime,rats
src/oci/config.cpp base linux,enclave,runtime,rats
src/dbus/message.cpp base oci,linux,enclave,runtime,rats
src/linux/sys.cpp oci enclave,runtime,rats,inclavare
src/enclave/pal.cpp inclavare linux,runtime,rats
src/runtime/lifecycle.cpp enclave rats
src/rats/formats/reader.cpp base linux,enclave,runtime,oci
cmd/rune/main.cpp runtime rats,sgx/aesm
src/sgx/aesm/wire.cpp base rats,oci,linux,enclave,runtime
src/sgx_tools/dump.cpp rats linux,enclave,runtime,oci,eaa
cmd/shelter/main.cpp rats linux,enclave,runtime,oci
src/ttrpc/frame.cpp base shim,linux,enclave,runtime,rats,oci
src/shim/task.cpp ttrpc runtime,rats,dbus
cmd/containerd-shim-rune-v2/main.cpp shim linux,runtime,rats
src/enclave/pool_client.cpp epm/wire epm,rats
src/epm/daemon.cpp epm/wire enclave,runtime,linux,oci,rats,shim
PROBES
else
  bad "compile_commands.json or jq missing: the include paths were not checked"
fi

# librune_X.a: C++ namespaces of the layers above X must not be referenced.
check_refs() { # check_refs ARCHIVE NAMESPACE...
  local lib=$1; shift
  [ -f "$lib" ] || { bad "$lib not built"; return; }
  local ns
  for ns in "$@"; do
    local refs
    refs=$(nm -C --undefined-only "$lib" 2>/dev/null | grep -E "(^| )${ns}::" | sort -u | head -3)
    [ -z "$refs" ] || bad "$(basename "$lib") references ${ns}:: — $refs"
  done
}
check_refs "$BUILD/src/linux/librune_linux.a" enclave runtime
check_refs "$BUILD/src/enclave/librune_enclave.a" kernel runtime
check_refs "$BUILD/src/oci/librune_oci.a" kernel enclave runtime rats
check_refs "$BUILD/src/dbus/librune_dbus.a" oci kernel enclave runtime rats
check_refs "$BUILD/src/base/librune_base.a" oci kernel enclave runtime rats
check_refs "$BUILD/src/ttrpc/librune_ttrpc.a" shim oci kernel enclave runtime rats
check_refs "$BUILD/src/shim/librune_shim.a" runtime rats
check_refs "$BUILD/src/sgx/libsgx.a" rats eaa oci kernel enclave runtime
# rune never links the SGX library (AESM calls go through rune-attest, sgx-tools).
if nm -C "$RUNE" 2>/dev/null | grep -q " sgx::"; then
  bad "rune links src/sgx: $(nm -C "$RUNE" | grep -m1 " sgx::")"
fi

# rune never links epm's daemon or gRPC (only epm/wire's protocol).
if nm -C "$RUNE" 2>/dev/null | grep -qE " (epm::Daemon|grpc::)"; then
  bad "rune links epm's daemon or gRPC: $(nm -C "$RUNE" | grep -m1 -E " (epm::Daemon|grpc::)")"
fi
# rune's shared libraries: libc and the dynamic loader only (the release build; a sanitizer
# build links the sanitizers' runtimes and libstdc++ dynamically: CHECK_NEEDED=0).
if [ "${CHECK_NEEDED:-1}" = 1 ]; then
  needed=$(readelf -d "$RUNE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
  [ "$needed" = "ld-linux-x86-64.so.2 libc.so.6 " ] || bad "rune needs [$needed], want only libc.so.6 and ld-linux-x86-64.so.2"
else
  echo "rune's DT_NEEDED: not checked in this build (sanitizers or dynamic libstdc++)"
fi

# The shim: libc only as well (libstdc++ and protobuf-lite static, no libcrypto: its socket name is
# hashed with src/base/sha256.c).
if [ -n "${SHIM:-}" ] && [ "${CHECK_NEEDED:-1}" = 1 ]; then
  needed=$(readelf -d "$SHIM" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
  [ "$needed" = "ld-linux-x86-64.so.2 libc.so.6 " ] || bad "the shim needs [$needed], want only libc.so.6 and ld-linux-x86-64.so.2"
fi

# No iostreams in rune: a stream initialises the C++ locale and links the locale library (+180 KB
# of text mapped at every start; base/words.h splits text without one).
if nm -C "$RUNE" 2>/dev/null | grep -qE "std::ios_base::Init::Init|std::basic_ios<"; then
  bad "rune links iostreams ($(nm -C "$RUNE" | grep -m1 -oE "std::(ios_base::Init|basic_ios)[^ ]*")): use base/words.h"
fi

[ $fail = 0 ] && echo "layering: ok"
exit $fail
