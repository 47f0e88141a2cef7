// Which bundles are enclave containers, and with which enclave runtime (PAL).
//
// The process env (`ENCLAVE_TYPE`, `ENCLAVE_RUNTIME_PATH`, `ENCLAVE_RUNTIME_ARGS`,
// `ENCLAVE_RUNTIME_LOGLEVEL`) wins over the annotations (`enclave.type`, `enclave.runtime.path`,
// `enclave.runtime.args`, `enclave.runtime.loglevel`). Decided once, at create.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/config.h"

namespace enclave {

struct Config {
  std::string type;          // "sim" or "intelSgx"
  std::string runtime_path;  // absolute path of the PAL inside the container's rootfs
  std::string runtime_args;  // commas already replaced by spaces
  std::string log_level;     // trace, debug, info, warning, error, fatal, panic, off
  bool pool = true;          // ENCLAVE_POOL / enclave.pool: on (default) or off (docs/epm.md)
};

// Returns the enclave configuration of a bundle, or nullopt for an ordinary container. For an
// enclave container the `ENCLAVE_*` variables are removed from `c.process.env`. Errors name the
// variable or annotation that is wrong.
base::Result<std::optional<Config>> parse(oci::Config& c);

// The same decision from a process's env and the annotations alone, changing nothing: what the
// shim needs to choose a runtime without validating the whole bundle.
base::Result<std::optional<Config>> classify(const std::vector<std::string>& env,
                                             const std::map<std::string, std::string>& annotations);

// Host side of `intelSgx`: the SGX device nodes must exist; they are added to the container's
// devices (with cgroup allow rules), and the host's aesmd socket directory is bind-mounted when
// it exists.
base::Status add_sgx_resources(oci::Config& c);

}  // namespace enclave
