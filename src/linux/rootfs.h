// The container's root filesystem: propagation, the rootfs bind, pivot_root (or the no-pivot
// fallback), masked and read-only paths, and the read-only root.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "linux/sys.h"

namespace kernel {

// Makes "/" of the new mount namespace a slave (or `propagation`, if private), so nothing the
// container mounts reaches the host, then bind-mounts `rootfs` on itself. Returns an O_PATH fd
// of the rootfs mount.
base::Result<int> prepare_rootfs(Sys& sys, const std::string& rootfs,
                                 const std::string& propagation);

// Switches the root to `rootfs` (whose fd is `rootfd`): pivot_root, or MS_MOVE + chroot.
base::Status enter_rootfs(Sys& sys, int rootfd, bool no_pivot);

// After pivot: applies rootfsPropagation (if set) to the new "/".
base::Status set_root_propagation(Sys& sys, const std::string& propagation);

// Masked paths: /dev/null bound over files, a read-only tmpfs over directories. Missing paths
// are skipped, as runc does.
base::Status mask_paths(Sys& sys, const std::vector<std::string>& paths);
// Read-only paths: bound on themselves and remounted read-only. Missing paths are skipped.
base::Status readonly_paths(Sys& sys, const std::vector<std::string>& paths);
// Remounts "/" read-only.
base::Status readonly_root(Sys& sys);

}  // namespace kernel
