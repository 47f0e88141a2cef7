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
// Runs a further process in the container's runtime. Foreground: forwards the signals rune
// receives to it and returns its exit value; detached: returns 0 once it runs. `pid_out`
// receives the runtime's pid for it.
base::Result<int> exec(const std::string& state_dir, const std::string& id,
                       const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       bool detach, int* pid_out);
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
