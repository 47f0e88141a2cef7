#include "shim/rootfs.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/words.h"
#include "linux/mounts.h"

namespace shim {
namespace {

// "lowerdir=/a/x/fs:/a/y/fs" with a long list: the common directory prefix and the list
// relative to it, or nothing when there is no shorter form.
bool shorten_lowerdirs(std::string& data, std::string& dir) {
  std::vector<std::string> opts;
  for (auto o : base::split(data, ',')) opts.emplace_back(o);
  for (auto& o : opts) {
    if (o.rfind("lowerdir=", 0) != 0) continue;
    std::vector<std::string> dirs;
    for (auto d : base::split(std::string_view(o).substr(9), ':')) dirs.emplace_back(d);
    std::string common = dirs[0];
    for (const auto& d : dirs)
      while (!common.empty() && d.compare(0, common.size(), common) != 0) common.pop_back();
    auto slash = common.rfind('/');
    if (slash == std::string::npos || slash == 0) return false;
    common.resize(slash + 1);
    std::string rel = "lowerdir=";
    for (size_t i = 0; i < dirs.size(); i++) rel += (i ? ":" : "") + dirs[i].substr(common.size());
    o = rel;
    dir = common;
    data.clear();
    for (size_t i = 0; i < opts.size(); i++) data += (i ? "," : "") + opts[i];
    return true;
  }
  return false;
}

base::Status mount_one(const MountSpec& m, const std::string& target, size_t index) {
  ASSIGN_OR_RETURN(
      kernel::MountOptions f,
      kernel::parse_mount_options(m.options, "rootfs[" + std::to_string(index) + "].options"));
  if (f.bind) f.flags |= MS_BIND | (f.recursive ? MS_REC : 0);
  std::string type = m.type;
  if (type == "bind") type.clear();
  if (f.flags & MS_BIND) type.clear();
  long page = sysconf(_SC_PAGESIZE);
  std::string chdir_to;
  if (type == "overlay" && f.data.size() >= size_t(page) && !shorten_lowerdirs(f.data, chdir_to))
    return base::invalid(
        "rootfs overlay: its options are longer than a page and the lowerdirs "
        "have no common parent to shorten them with");
  if (f.data.size() >= size_t(page))
    return base::invalid("rootfs " + m.type + ": " + std::to_string(f.data.size()) +
                         " bytes of options, more than a page");
  const char* src = m.source.c_str();
  if (chdir_to.empty()) {
    // A bind mount ignores MS_RDONLY until remounted (below).
    unsigned long flags = (f.flags & MS_BIND) ? f.flags & ~MS_RDONLY : f.flags;
    if (mount(src, target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              f.data.empty() ? nullptr : f.data.c_str()) != 0)
      return base::sys_error("cannot mount the rootfs (" + m.type + " `" + base::clip(m.source) +
                             "`) on `" + target + "`");
  } else {
    // Relative lowerdirs: mount from a thread of its own whose working directory is their
    // parent (unshare(CLONE_FS) gives it its own; the daemon's other threads keep theirs, and no
    // child process races the daemon's reaper).
    int err = 0;
    std::thread t([&] {
      if (unshare(CLONE_FS) != 0 || chdir(chdir_to.c_str()) != 0 ||
          mount(src, target.c_str(), type.c_str(), f.flags, f.data.c_str()) != 0)
        err = errno;
    });
    t.join();
    if (err != 0)
      return base::sys_error("cannot mount the rootfs (overlay, lowerdirs relative to `" +
                                 chdir_to + "`) on `" + target + "`",
                             err);
  }
  // A read-only bind mount: bind, then remount read-only.
  if ((f.flags & MS_BIND) && (f.flags & MS_RDONLY) &&
      mount("", target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | (f.flags & ~MS_REC),
            nullptr) != 0)
    return base::sys_error("cannot make the rootfs bind mount on `" + target + "` read-only");
  if (f.propagation && mount("", target.c_str(), nullptr, f.propagation, nullptr) != 0)
    return base::sys_error("cannot set the propagation of `" + target + "`");
  return base::ok();
}

}  // namespace

base::Status mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target) {
  for (size_t i = 0; i < mounts.size(); i++) {
    auto st = mount_one(mounts[i], target, i);
    if (!st.ok()) {
      (void)unmount_all(target);
      return st;
    }
  }
  return base::ok();
}

base::Status unmount_all(const std::string& target) {
  for (int i = 0; i < 64; i++) {
    if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      if (errno == EINVAL || errno == ENOENT) return base::ok();
      return base::sys_error("cannot unmount `" + target + "`");
    }
  }
  return base::ok();
}

}  // namespace shim
