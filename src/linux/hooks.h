// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): each hook runs with the container's
// state as JSON on its standard input, its own argv (`args`, or the path alone) and exactly its
// `env`, and is killed after `timeout` seconds. Which namespace it runs in is the caller's doing:
// rune's parent runs prestart, createRuntime, poststart and poststop in the runtime's namespaces,
// the container's init runs createContainer (before pivot_root) and startContainer (just before
// the workload's execve).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

// Runs one hook; an error names `field` (`hooks.prestart[0]`) and the path, and says how the hook
// ended, with the end of what it printed. With `dmz_fd` (the container's init), the hook is
// exec'd through rune-dmz (dmz.h), so that it cannot reach rune's image through /proc/self/exe.
base::Status run_hook(const oci::Hook& hook, const std::string& state_json,
                      const std::string& field, int dmz_fd = -1);

// Runs the hooks of one kind in order (`kind`: "prestart", "createRuntime", ...); the first
// failure stops them.
base::Status run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                       const std::string& kind, int dmz_fd = -1);

}  // namespace kernel
