#!/usr/bin/env bash
# Rats-TLS handshake rates: plain TLS 1.3 vs sim-attested, one-way and mutual, in one short run.
#   bench/rats-tls.sh [BUILD_DIR] [-- rats_tls_bench flags, e.g. --seconds 1]
# Run on a quiet machine: the numbers are only comparable within one run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
shift $(( $# > 0 ? 1 : 0 ))
[[ ${1:-} == -- ]] && shift
bin="$build/src/rats/tls/rats_tls_bench"
[[ -x $bin ]] || { echo "no $bin (cmake --build $build --target rats_tls_bench)" >&2; exit 2; }
exec "$bin" "$@"
