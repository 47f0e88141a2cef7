#!/bin/bash
# Installs every Debian package that building rune and running its tests needs.
# Idempotent: packages already installed are left alone; `apt-get update` runs first
# whenever something is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  nlohmann-json3-dev libgtest-dev libgmock-dev
  # rune's seccomp (libseccomp.a, linked statically: rune loads no shared library but libc)
  libseccomp-dev
  # src/rats/crypto (rats_crypto only; rune itself never links OpenSSL)
  libssl-dev libcbor-dev openssl
  # tests and the main job: a busybox rootfs, JSON tooling, the peer runtimes
  busybox-static jq runc crun time procps util-linux iproute2 strace
  # ../shared/tools/oci-validation.sh (Debian's runtime-tools validate package)
  golang-go golang-github-opencontainers-runtime-tools-dev coreutils
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
