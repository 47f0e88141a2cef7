// The container's root filesystem as containerd describes it (CreateTaskRequest.rootfs), mounted
// on <bundle>/rootfs the way containerd's mount package does it: overlay (with lowerdirs too
// long for one page of mount data shortened relative to their common parent), bind and others.
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

// Splits mount options into flags and the data string (exposed for tests).
struct MountFlags {
  unsigned long flags = 0;
  unsigned long propagation = 0;
  std::string data;
};
MountFlags parse_mount_options(const std::vector<std::string>& options);

}  // namespace shim
