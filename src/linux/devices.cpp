#include "linux/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fd.h"
#include "linux/device_filter.h"
#include "linux/mounts.h"

namespace kernel {

std::vector<oci::Device> container_devices(const std::vector<oci::Device>& extra) {
  std::vector<oci::Device> d = {
      {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
      {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
      {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
  };
  d.insert(d.end(), extra.begin(), extra.end());
  return d;
}

namespace {

base::Status bind_host_device(Sys& sys, int rootfd, const oci::Device& dev) {
  int fd = sys.open_in_root(rootfd, dev.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0);
  if (fd < 0) return base::sys_error("create the mount point for device `" + dev.path + "`");
  base::UniqueFd f(fd);
  std::string target = "/proc/self/fd/" + std::to_string(fd);
  if (sys.mount(dev.path.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return base::sys_error("bind-mount the host's `" + dev.path + "`");
  return base::ok();
}

}  // namespace

base::Status create_devices(Sys& sys, int rootfd, const std::vector<oci::Device>& devices,
                            bool bind_host) {
  for (const auto& dev : devices) {
    auto slash = dev.path.find_last_of('/');
    std::string dir = slash == 0 ? "/" : dev.path.substr(0, slash);
    std::string name = dev.path.substr(slash + 1);
    TRY(mkdir_in_root(sys, rootfd, dir, 0755));
    int dfd = sys.open_in_root(rootfd, dir.c_str(), O_PATH | O_DIRECTORY, 0);
    if (dfd < 0) return base::sys_error("open `" + dir + "` in the rootfs");
    base::UniqueFd d(dfd);
    if (bind_host) {
      TRY(bind_host_device(sys, rootfd, dev));
      continue;
    }
    mode_t type = dev.type == 'b' ? S_IFBLK : dev.type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t perm = dev.file_mode.value_or(0666) & 07777;
    dev_t num = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
    if (sys.mknodat(dfd, name.c_str(), type | perm, num) != 0) {
      if (errno != EEXIST) return base::sys_error("create device `" + dev.path + "`");
      continue;  // already there (e.g. from the image): leave it, as runc does
    }
    // mknod applies the umask; set the mode exactly.
    if (sys.fchmodat(dfd, name.c_str(), perm) != 0)
      return base::sys_error("chmod device `" + dev.path + "`");
    uid_t uid = dev.uid.value_or(0);
    gid_t gid = dev.gid.value_or(0);
    if ((uid || gid) && sys.fchownat(dfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      return base::sys_error("chown device `" + dev.path + "`");
  }
  int dfd = sys.open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
  if (dfd < 0) return base::sys_error("open `/dev` in the rootfs");
  base::UniqueFd d(dfd);
  static const std::pair<const char*, const char*> kLinks[] = {
      {"/proc/self/fd", "fd"},
      {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"},
  };
  for (const auto& [target, name] : kLinks)
    if (sys.symlinkat(target, dfd, name) != 0 && errno != EEXIST)
      return base::sys_error(std::string("create symlink `/dev/") + name + "`");
  if (access("/proc/kcore", F_OK) == 0 && sys.symlinkat("/proc/kcore", dfd, "core") != 0 &&
      errno != EEXIST)
    return base::sys_error("create symlink `/dev/core`");
  // /dev/ptmx points at the container's own devpts instance.
  unlinkat(dfd, "ptmx", 0);
  if (sys.symlinkat("pts/ptmx", dfd, "ptmx") != 0 && errno != EEXIST)
    return base::sys_error("create symlink `/dev/ptmx`");
  return base::ok();
}

std::vector<DeviceCgroupLine> device_cgroup_lines(const std::vector<oci::DeviceRule>& rules) {
  std::vector<DeviceCgroupLine> out;
  auto num = [](const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string("*");
  };
  for (const auto& r : container_device_rules(rules)) {
    if (r.type == 'a' && !r.major && !r.minor && r.access.size() == 3) {
      out.push_back({r.allow, "a"});  // switches the default: allow all / deny all
      continue;
    }
    std::string line(1, r.type);
    line += ' ' + num(r.major) + ':' + num(r.minor) + ' ' + r.access;
    out.push_back({r.allow, line});
  }
  return out;
}

}  // namespace kernel
