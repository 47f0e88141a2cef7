// The config.json that `rune spec` writes: runc's template (ociVersion 1.0.2-dev), without the
// ambient capability set, which Debian's runtime-tools validator rejects unless the same
// capabilities are inheritable (and inheritable stays empty: CVE-2022-29162).
#pragma once

#include <string>

namespace oci {

std::string spec_template();

// Where `rune spec --enclave` mounts the host's PAL inside the container.
inline constexpr const char* kEnclaveSpecPalPath = "/opt/inclavare/liberpal-sim.so";

// The template for a `sim` enclave container: runc's, with `terminal: false`, a command that
// exits on its own, the ENCLAVE_* settings in process.env, and a read-only bind mount of the
// host's `pal_host_path` at kEnclaveSpecPalPath.
std::string enclave_spec_template(const std::string& pal_host_path);

}  // namespace oci
