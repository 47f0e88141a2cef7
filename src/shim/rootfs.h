// The container's root filesystem as containerd describes it (CreateTaskRequest.rootfs), mounted
// on <bundle>/rootfs the way containerd's mount package does it: overlay (with lowerdirs too
// long for one page of mount data shortened relative to their common parent), bind and others.
// The options are read by rune's own parser (kernel::parse_mount_options).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace shim {

struct MountSpec {
  std::string type, source;
  std::vector<std::string> options;
};

// Mounts `mounts` in order on `target`; on failure, what was mounted is undone.
base::Status mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target);
// Unmounts everything mounted on `target` (lazily); a target with nothing mounted is fine.
base::Status unmount_all(const std::string& target);

}  // namespace shim
