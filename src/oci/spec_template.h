// The config.json that `rune spec` writes: runc's template (ociVersion 1.0.2-dev), without the
// ambient capability set, which Debian's runtime-tools validator rejects unless the same
// capabilities are inheritable (and inheritable stays empty: CVE-2022-29162).
#pragma once

#include <cstdint>
#include <string>

namespace oci {

std::string spec_template();

// Where `rune spec --enclave` mounts the host's PAL inside the container.
inline constexpr const char* kEnclaveSpecPalPath = "/opt/inclavare/liberpal-sim.so";

// The template for a `sim` enclave container: runc's, with `terminal: false`, a command that
// exits on its own, the ENCLAVE_* settings in process.env, and a read-only bind mount of the
// host's `pal_host_path` at kEnclaveSpecPalPath.
std::string enclave_spec_template(const std::string& pal_host_path);

// `rune spec --rootless`: the template (or `base`, an enclave one) made runnable by an
// unprivileged user, as runc's: a user namespace mapping container id 0 to `uid`/`gid` (one id
// each), no network namespace (it would have no devices), /sys bind-mounted from the host (sysfs
// cannot be mounted without one), no `gid=5` on devpts (no such group is mapped), no
// linux.resources (no cgroup is delegated).
std::string rootless_spec(const std::string& base, uint32_t uid, uint32_t gid);

}  // namespace oci
