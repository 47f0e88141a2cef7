// `rune exec` into an ordinary container: a new process that joins the init's namespaces (user
// first), cgroups and root, and gets the process's (the container's, or --process's) identity,
// capabilities, rlimits, seccomp filter, cwd and env, as runc 1.1 does it. The process is rune's
// child: `--detach` returns once it runs (it then reparents to rune's caller, a subreaper under
// containerd's shim and conmon), `--pid-file` names it, and in the foreground rune relays signals
// (and its terminal) and returns its exit code.
#pragma once

#include <string>

#include "base/error.h"
#include "runtime/handler.h"

namespace runtime {

// The copy of the container's config that create keeps in its state directory for exec.
inline constexpr const char* kConfigCopy = "config.json";
// Compiled seccomp programs, in the state root under a name no container id can have.
inline constexpr const char* kSeccompCache = "@seccomp-cache";

base::Result<int> exec_in_container(const Container& c, const ExecOptions& o,
                                    const std::string& seccomp_cache);

// runc's checks of a terminal against detaching and the console socket (`detach`: the command
// returns while the process runs).
base::Status check_terminal(bool terminal, bool detach, const std::string& console_socket);

}  // namespace runtime
