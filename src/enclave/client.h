// rune's side of the init-runelet channel (agent.h): one function per request.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace enclave::client {

// Runs the entrypoint of a created enclave container; returns the runtime's pid for it.
base::Result<int> start(const std::string& state_dir, const std::string& id);
// pal_kill(pid, sig) in the container's runtime (pid -1: every process).
base::Status kill(const std::string& state_dir, const std::string& id, int pid, int sig);
// The exec proxy (docs/pal-api.md, "exec"), run by a process inside the container: over `sock`
// (connected to runelet.sock before it entered the mount namespace) asks the runelet to start
// argv/env in the runtime on this process's own stdio, calls `on_started` once it runs, passes
// the signals it receives (base::relayable_signals) on as kill messages, and returns the
// process's exit value. Errors before the start are the runelet's; after it, a lost connection.
base::Result<int> proxy(int sock, const std::vector<std::string>& argv,
                        const std::vector<std::string>& env,
                        const std::function<base::Status()>& on_started);
// pal_get_local_report(target_info) in the container's runtime; returns the raw report.
base::Result<std::vector<uint8_t>> attest(const std::string& state_dir, const std::string& id,
                                          const std::vector<uint8_t>& target_info);

}  // namespace enclave::client
