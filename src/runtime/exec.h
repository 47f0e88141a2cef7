// `rune exec` into an ordinary container: a new process that joins the init's namespaces (user
// first), cgroups and root, and gets the process's (the container's, or --process's) identity,
// capabilities, rlimits, seccomp filter, cwd and env, as runc 1.1 does it. The process is rune's
// child: `--detach` returns once it runs (it then reparents to rune's caller, a subreaper under
// containerd's shim and conmon), `--pid-file` names it, and in the foreground rune relays signals
// (and its terminal) and returns its exit code.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/handler.h"

namespace runtime {

// The copy of the container's config that create keeps in its state directory for exec.
inline constexpr const char* kConfigCopy = "config.json";
// Compiled seccomp programs, in the state root under a name no container id can have.
inline constexpr const char* kSeccompCache = "@seccomp-cache";

// The seccomp cache of a container's state root (beside its state directory).
inline std::string seccomp_cache_of(const Container& c) {
  return c.dir.substr(0, c.dir.rfind('/')) + "/" + kSeccompCache;
}

base::Result<int> exec_in_container(const Container& c, const ExecOptions& o,
                                    const std::string& seccomp_cache);

// `rune exec` into an enclave container (PAL v2+): the process that enters the container, as
// above (its pid is what --pid-file gets and what the caller waits for), is a proxy that has the
// init-runelet run `argv`/`env` through pal_create_process/pal_exec on the proxy's own stdio,
// passes the signals it gets to pal_kill, and exits with the enclave process's exit value; its
// connection closing (a SIGKILL of the proxy) ends the process with pal_kill(pid, SIGKILL).
base::Result<int> exec_through_proxy(const Container& c, const ExecOptions& o,
                                     const std::string& seccomp_cache,
                                     const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env);

// runc's checks of a terminal against detaching and the console socket (`detach`: the command
// returns while the process runs).
base::Status check_terminal(bool terminal, bool detach, const std::string& console_socket);

}  // namespace runtime
