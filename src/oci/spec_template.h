// The config.json that `rune spec` writes: runc's template (ociVersion 1.0.2-dev), without the
// ambient capability set, which Debian's runtime-tools validator rejects unless the same
// capabilities are inheritable (and inheritable stays empty: CVE-2022-29162).
#pragma once

#include <string>

namespace oci {

std::string spec_template();

}  // namespace oci
