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
  # the terminal cases: a real pty that can be resized (integration.exec, the engine suites)
  tmux
  # integration.systemd: a private D-Bus and the fake systemd manager (dbus-python on GLib)
  dbus-daemon python3-dbus python3-gi
  # ../shared/tools/oci-validation.sh (Debian's runtime-tools validate package)
  golang-go golang-github-opencontainers-runtime-tools-dev coreutils
  # tests/e2e/engines: the container engines with their default settings, an OCI image tool
  docker.io podman containerd umoci
  # containerd-shim-rune-v2: its protocol buffers (protoc, the static libprotobuf-lite) and its
  # configuration file (toml++, used header-only)
  protobuf-compiler libprotobuf-dev libtomlplusplus-dev
  # EAA: inclavared's deployment files checked (systemd-analyze verify, the DaemonSet's YAML), the
  # relay measured against socat (bench/eaa.sh)
  systemd python3-yaml socat
  # epm's management API (gRPC 1.51 and its protoc plugin)
  libgrpc++-dev protobuf-compiler-grpc
)

# pids of host-wide dockerd/containerd daemons (not the private ones tests start: those are
# started with their own --pidfile/--config and never use the default sockets).
daemon_pids() {
  local pid exe args
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    case "$exe" in /usr/sbin/dockerd|/usr/bin/dockerd|/usr/bin/containerd) ;; *) continue ;; esac
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
    case "$args" in *--data-root*|*--config*|*" -c "*|*--address*|*" -a "*) continue ;; esac
    echo "$pid"
  done
}
# If the install started a host daemon anyway (a policy-rc.d that allowed it, systemd), stop it:
# through systemctl where systemd runs, else by its pid.
stop_new_daemons() {
  local pid
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl stop docker.socket docker.service containerd.service 2>/dev/null || true
  fi
  for pid in $(daemon_pids); do
    grep -qx "$pid" <<<"$1" && continue
    echo "install-deps: stopping $(readlink "/proc/$pid/exe") (pid $pid) that the install started"
    kill "$pid" 2>/dev/null || true
  done
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  echo "install-deps: installing ${missing[*]}"
  # No service may start during the install: docker.io's and containerd's postinst scripts start
  # a host dockerd/containerd through invoke-rc.d (or deb-systemd-invoke), which both obey
  # /usr/sbin/policy-rc.d's 101 ("action forbidden"). A policy-rc.d already there is left alone.
  policy=/usr/sbin/policy-rc.d ours=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts while packages install\nexit 101\n' >"$policy"
    chmod 755 "$policy"; ours=1
  fi
  # Daemons that were already up before the install are not ours to stop afterwards.
  before=$(daemon_pids)
  trap '[ -n "$ours" ] && rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$ours" ] && rm -f "$policy"; ours=
  stop_new_daemons "$before"
fi
