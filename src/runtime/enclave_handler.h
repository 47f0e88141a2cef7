// The handler of enclave containers (src/enclave): PID 1 is the init-runelet, which loads the
// enclave runtime (PAL) inside the container and serves start, exec, kill and attest over
// `runelet.sock` in the state directory.
#pragma once

#include <memory>

#include "base/error.h"
#include "oci/config.h"
#include "oci/state.h"
#include "runtime/handler.h"

namespace runtime {

// The enclave handler when `config` asks for an enclave runtime (its ENCLAVE_* variables are
// then removed from the process env; `intelSgx` adds the SGX devices), else nullptr. Errors name
// the variable or annotation.
base::Result<std::unique_ptr<Handler>> make_enclave_handler(oci::Config& config);
// The enclave handler of a created enclave container, else nullptr.
std::unique_ptr<Handler> enclave_handler_of(const oci::ContainerState& st);

}  // namespace runtime
