// Process identity before exec: rlimits, user and groups, and the five capability sets.
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

// Sets `process.rlimits` on process `pid` (the init, from rune before Go: inside a user
// namespace the init could not raise them).
base::Status set_rlimits(pid_t pid, const std::vector<oci::Rlimit>& rlimits);
// Sets `process.oomScoreAdj` (when there is one) on process `pid`, from rune; errors name the
// field.
base::Status set_oom_score_adj(pid_t pid, const std::optional<int>& adj);

// Planned in the parent: removes from `caps` what the kernel cannot give and returns a warning
// for each, as runc does — every set loses the names above this kernel's cap_last_cap, and the
// ambient set loses capabilities that are not both permitted and inheritable (raising them
// fails).
std::vector<std::string> drop_ungrantable_capabilities(oci::Capabilities& caps);
// The same with cap_last_cap given (for tests).
std::vector<std::string> drop_ungrantable_capabilities(oci::Capabilities& caps, int last_cap);

// Drops the bounding set, switches to the configured uid/gid/additionalGids while keeping the
// permitted set, then sets effective/permitted/inheritable and raises the ambient set.
// With no `capabilities` in the config, every capability is dropped.
base::Status set_user_and_capabilities(const oci::User& user,
                                       const std::optional<oci::Capabilities>& caps);

}  // namespace kernel
