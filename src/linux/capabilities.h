// Process identity before exec: rlimits, user and groups, and the five capability sets.
#pragma once

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

base::Status set_rlimits(const std::vector<oci::Rlimit>& rlimits);

// Drops the bounding set, switches to the configured uid/gid/additionalGids while keeping the
// permitted set, then sets effective/permitted/inheritable and raises the ambient set.
// With no `capabilities` in the config, every capability is dropped.
base::Status set_user_and_capabilities(const oci::User& user,
                                       const std::optional<oci::Capabilities>& caps);

}  // namespace kernel
