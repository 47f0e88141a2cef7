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
// of the rootfs mount. `host_ns` (no mount namespace of its own): only opens the rootfs, which
// rune bound already (bind_rootfs_in_host).
base::Result<int> prepare_rootfs(Sys& sys, const std::string& rootfs,
                                 const std::string& propagation, bool host_ns = false);

// Switches the root to `rootfs` (whose fd is `rootfd`): pivot_root, or MS_MOVE + chroot, or
// with `host_ns` chroot alone (as runc, without a mount namespace).
base::Status enter_rootfs(Sys& sys, int rootfd, bool no_pivot, bool host_ns = false);

// A container without a mount namespace of its own mounts in the host's: rune first binds the
// rootfs on itself, private, and returns that mount's id; every mount of the container is below
// it, and unmount_host_rootfs (delete, the end of run, a failed create) detaches them all — only
// if the mount at `rootfs` is still the one with that id.
base::Result<uint64_t> bind_rootfs_in_host(const std::string& rootfs);
base::Status unmount_host_rootfs(const std::string& rootfs, uint64_t mount_id);
// The id of the mount at `path` (statx STATX_MNT_ID).
base::Result<uint64_t> mount_id_of(const std::string& path);

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
