#include "linux/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/fd.h"
#include "linux/mounts.h"

namespace kernel {

using base::Status;

base::Result<int> prepare_rootfs(Sys& sys, const std::string& rootfs,
                                 const std::string& propagation, bool host_ns) {
  if (host_ns) {  // rune made the rootfs bind (bind_rootfs_in_host); the host's "/" is not ours
    int fd = sys.open(rootfs.c_str(), O_PATH | O_DIRECTORY, 0);
    if (fd < 0) return base::sys_error("open rootfs `" + rootfs + "`");
    return fd;
  }
  unsigned long prop = MS_SLAVE | MS_REC;
  unsigned long requested = propagation_flags(propagation);
  if (requested & MS_PRIVATE) prop = requested | MS_REC;
  if (sys.mount(nullptr, "/", nullptr, prop, nullptr) != 0)
    return base::sys_error("make `/` a slave mount in the container's mount namespace");
  if (sys.mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return base::sys_error("bind-mount the rootfs `" + rootfs + "` on itself");
  int fd = sys.open(rootfs.c_str(), O_PATH | O_DIRECTORY, 0);
  if (fd < 0) return base::sys_error("open rootfs `" + rootfs + "`");
  return fd;
}

Status enter_rootfs(Sys& sys, int rootfd, bool no_pivot, bool host_ns) {
  if (sys.fchdir(rootfd) != 0) return base::sys_error("chdir to the rootfs");
  if (host_ns) {
    if (sys.chroot(".") != 0) return base::sys_error("chroot to the rootfs");
  } else if (no_pivot) {
    if (sys.mount(".", "/", nullptr, MS_MOVE, nullptr) != 0)
      return base::sys_error("move the rootfs mount to `/` (--no-pivot)");
    if (sys.chroot(".") != 0) return base::sys_error("chroot to the rootfs (--no-pivot)");
  } else {
    int oldroot = sys.open("/", O_DIRECTORY | O_RDONLY, 0);
    if (oldroot < 0) return base::sys_error("open the old root");
    base::UniqueFd old(oldroot);
    // pivot_root(".", ".") stacks the old root on top of the new one; it is then detached.
    if (sys.pivot_root(".", ".") != 0) return base::sys_error("pivot_root to the rootfs");
    if (sys.fchdir(oldroot) != 0) return base::sys_error("chdir to the old root");
    if (sys.mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
      return base::sys_error("make the old root a slave mount");
    if (sys.umount2(".", MNT_DETACH) != 0) return base::sys_error("unmount the old root");
  }
  if (sys.chdir("/") != 0) return base::sys_error("chdir to `/` in the rootfs");
  return base::ok();
}

base::Result<uint64_t> bind_rootfs_in_host(const std::string& rootfs) {
  if (mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return base::sys_error("bind-mount the rootfs `" + rootfs + "` on itself");
  // Private: the container's mounts below it reach no other mount namespace.
  if (mount(nullptr, rootfs.c_str(), nullptr, MS_PRIVATE | MS_REC, nullptr) != 0) {
    Status e = base::sys_error("make the rootfs mount `" + rootfs + "` private");
    umount2(rootfs.c_str(), MNT_DETACH);
    return std::move(e).error();
  }
  auto id = mount_id_of(rootfs);
  if (!id.ok()) umount2(rootfs.c_str(), MNT_DETACH);
  return id;
}

base::Result<uint64_t> mount_id_of(const std::string& path) {
  struct statx sx;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) != 0)
    return base::sys_error("statx `" + path + "`");
  if (!(sx.stx_mask & STATX_MNT_ID))
    return base::Error(base::Category::unimplemented, "the kernel gives no mount id", ENOSYS);
  return uint64_t{sx.stx_mnt_id};
}

Status unmount_host_rootfs(const std::string& rootfs, uint64_t mount_id) {
  auto top = mount_id_of(rootfs);
  if (!top.ok()) return errno == ENOENT ? base::ok() : std::move(top).error();
  if (*top != mount_id) return base::ok();  // gone already (or never made)
  if (umount2(rootfs.c_str(), MNT_DETACH) != 0)
    return base::sys_error("unmount the container's rootfs mount `" + rootfs + "`");
  return base::ok();
}

Status set_root_propagation(Sys& sys, const std::string& propagation) {
  if (propagation.empty()) return base::ok();
  unsigned long f = propagation_flags(propagation);
  if (sys.mount(nullptr, "/", nullptr, f, nullptr) != 0)
    return base::sys_error("`linux.rootfsPropagation`: set `" + propagation + "` on `/`");
  return base::ok();
}

// A directory gets an empty read-only tmpfs, anything else /dev/null bound over it (as runc).
// The type is asked first rather than learnt from a failed bind: a bind mount that fails after
// the kernel has cloned the source waits for an RCU grace period (1-5 ms here) before it returns.
Status mask_paths(Sys& sys, const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    int type = sys.file_type(p.c_str());
    if (type < 0) {
      if (errno == ENOENT) continue;
      return base::sys_error("`linux.maskedPaths`: mask `" + p + "`");
    }
    int rc = type == S_IFDIR ? sys.mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr)
                             : sys.mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
    if (rc == 0 || errno == ENOENT) continue;  // ENOENT: gone meanwhile
    return base::sys_error("`linux.maskedPaths`: mask `" + p + "`");
  }
  return base::ok();
}

Status readonly_paths(Sys& sys, const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    if (sys.mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return base::sys_error("`linux.readonlyPaths`: bind `" + p + "`");
    }
    unsigned long keep = mount_flags_of(p.c_str());
    if (sys.mount(nullptr, p.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) !=
        0)
      return base::sys_error("`linux.readonlyPaths`: remount `" + p + "` read-only");
  }
  return base::ok();
}

Status readonly_root(Sys& sys) {
  unsigned long keep = mount_flags_of("/");
  if (sys.mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
    return base::sys_error("`root.readonly`: remount `/` read-only");
  return base::ok();
}

}  // namespace kernel
