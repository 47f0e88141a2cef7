#include "linux/mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "base/fd.h"
#include "base/file.h"

namespace kernel {

using base::Result;
using base::Status;

// Creates the clean absolute path `p`, which did not open, inside the root (symlinks resolved
// inside it, `depth` counting the ones followed).
static Status mkdir_missing(Sys& sys, int rootfd, const std::string& p, mode_t mode, int depth);

namespace {

struct FlagOpt {
  const char* name;
  bool clear;
  unsigned long flag;
};
constexpr FlagOpt kFlagOpts[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},
    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
};

struct PropOpt {
  const char* name;
  unsigned long flag;
};
constexpr PropOpt kPropOpts[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

// Opens the destination of a mount (creating it when missing) as an O_PATH fd.
Result<base::UniqueFd> open_target(Sys& sys, int rootfd, const std::string& dest, bool file) {
  int fd = sys.open_in_root(rootfd, dest.c_str(), O_PATH, 0);
  if (fd >= 0) return base::UniqueFd(fd);
  if (errno != ENOENT) return base::sys_error("open mount destination `" + dest + "`");
  if (file) {
    auto slash = dest.find_last_of('/');
    std::string parent = slash == 0 ? "/" : dest.substr(0, slash);
    TRY(mkdir_in_root(sys, rootfd, parent, 0755));
    int cfd = sys.open_in_root(rootfd, dest.c_str(), O_CREAT | O_RDONLY, 0644);
    if (cfd < 0) return base::sys_error("create mount destination `" + dest + "`");
    sys.close(cfd);
  } else {
    TRY(mkdir_missing(sys, rootfd, base::clean_path(dest), 0755, 0));  // it did not open above
  }
  fd = sys.open_in_root(rootfd, dest.c_str(), O_PATH, 0);
  if (fd < 0) return base::sys_error("open mount destination `" + dest + "`");
  return base::UniqueFd(fd);
}

Status do_mount(Sys& sys, const char* src, const std::string& target, const char* type,
                unsigned long flags, const char* data, const std::string& what) {
  if (sys.mount(src, target.c_str(), type, flags, data) != 0) return base::sys_error(what);
  return base::ok();
}

// Bind-mounts `source` on the target fd, then applies flags (ro, nosuid, ...) by a remount.
Status bind_on(Sys& sys, int rootfd, const std::string& source, const std::string& dest,
               int target_fd, unsigned long flags, bool recursive, const std::string& what) {
  unsigned long bf = MS_BIND | (recursive ? MS_REC : 0);
  TRY(do_mount(sys, source.c_str(), fd_path(target_fd), nullptr, bf, nullptr, what));
  unsigned long extra = flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (extra == 0) return base::ok();
  // The fd still names the covered directory: reopen to reach the new mount.
  int fd = sys.open_in_root(rootfd, dest.c_str(), O_PATH, 0);
  if (fd < 0) return base::sys_error(what + ": reopen");
  base::UniqueFd nfd(fd);
  std::string p = fd_path(fd);
  unsigned long keep = mount_flags_of(p.c_str()) & ~MS_RDONLY;
  return do_mount(sys, nullptr, p, nullptr, MS_REMOUNT | MS_BIND | keep | extra, nullptr,
                  what + ": remount");
}

// Copies the contents of directory `src` into directory `dst` (tmpcopyup): directories, regular
// files, symlinks and device/fifo/socket nodes, with their owner, mode and times. `what` names
// the mount in errors.
Status copy_tree(int src, int dst, const std::string& rel, const std::string& what, int depth) {
  if (depth > 256) return base::sys_error(what + ": copy up `" + rel + "`", ELOOP);
  int dup_fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return base::sys_error(what + ": copy up `" + rel + "`");
  DIR* dir = fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return base::sys_error(what + ": copy up `" + rel + "`");
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, closedir);
  while (struct dirent* e = readdir(dir)) {
    const char* name = e->d_name;
    if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
    const std::string path = rel + "/" + name;
    const std::string err = what + ": copy up `" + path + "`";
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return base::sys_error(err);
    const mode_t perm = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst, name, 0700) != 0) return base::sys_error(err);
      base::UniqueFd s(openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      base::UniqueFd d(openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (s.get() < 0 || d.get() < 0) return base::sys_error(err);
      TRY(copy_tree(s.get(), d.get(), path, what, depth + 1));
    } else if (S_ISREG(st.st_mode)) {
      base::UniqueFd s(openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (s.get() < 0) return base::sys_error(err);
      base::UniqueFd d(
          openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (d.get() < 0) return base::sys_error(err);
      for (off_t left = st.st_size; left > 0;) {
        ssize_t n = sendfile(d.get(), s.get(), nullptr, static_cast<size_t>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return base::sys_error(err);
        if (n == 0) break;  // the file shrank meanwhile
        left -= n;
      }
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(src, name, target.data(), target.size());
      if (n < 0) return base::sys_error(err);
      target.resize(static_cast<size_t>(n));
      if (symlinkat(target.c_str(), dst, name) != 0) return base::sys_error(err);
    } else {
      if (mknodat(dst, name, st.st_mode & (S_IFMT | 0600), st.st_rdev) != 0)
        return base::sys_error(err);
    }
    if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
      return base::sys_error(err + ": chown");
    if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, perm, 0) != 0)
      return base::sys_error(err + ": chmod");
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW);
  }
  return base::ok();
}

// A tmpfs with `tmpcopyup`: the directory it covers is opened first (the fd keeps reaching the
// covered directory), the tmpfs is mounted writable, the contents are copied in, and only then
// is a read-only tmpfs made read-only.
Status apply_tmpfs_copy_up(Sys& sys, int rootfd, const MountStep& m, int target_fd) {
  const std::string what = m.describe();
  int covered = sys.open_in_root(rootfd, m.destination.c_str(), O_RDONLY | O_DIRECTORY, 0);
  if (covered < 0) return base::sys_error(what + ": open the directory to copy up");
  base::UniqueFd cfd(covered);
  const unsigned long flags = m.opts.flags & ~MS_RDONLY;
  const char* data = m.opts.data.empty() ? nullptr : m.opts.data.c_str();
  TRY(do_mount(sys, m.source.c_str(), fd_path(target_fd), m.type.c_str(), flags, data, what));
  int fd = sys.open_in_root(rootfd, m.destination.c_str(), O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return base::sys_error(what + ": reopen");
  base::UniqueFd nfd(fd);
  TRY(copy_tree(cfd.get(), fd, m.destination == "/" ? "" : m.destination, what, 0));
  if (m.opts.flags & MS_RDONLY)
    TRY(do_mount(sys, nullptr, fd_path(fd), nullptr, MS_REMOUNT | m.opts.flags, data,
                 what + ": remount read-only"));
  return base::ok();
}

Status apply_cgroup_mount(Sys& sys, int rootfd, const MountStep& m, int target_fd,
                          const std::vector<CgroupBind>& cgroups) {
  const std::string what = m.describe();
  // A pure cgroup2 host: the container's own cgroup directory is bound as the whole mount.
  if (cgroups.size() == 1 && cgroups[0].name.empty())
    return bind_on(sys, rootfd, cgroups[0].host_dir, m.destination, target_fd, m.opts.flags, false,
                   what);
  unsigned long base_flags = m.opts.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
  TRY(do_mount(sys, "tmpfs", fd_path(target_fd), "tmpfs", base_flags, "mode=755", what));
  for (const auto& cg : cgroups) {
    std::string sub = base::path_join(m.destination, cg.name);
    TRY_WRAP(mkdir_in_root(sys, rootfd, sub, 0755), what);
    auto fd = open_target(sys, rootfd, sub, false);
    if (!fd.ok()) return std::move(fd).error().wrap(what);
    TRY(bind_on(sys, rootfd, cg.host_dir, sub, fd->get(), m.opts.flags, false,
                what + ": bind `" + cg.host_dir + "`"));
    // Co-mounted controllers ("cpu,cpuacct") also get one symlink per controller, as runc does.
    if (cg.name.find(',') != std::string::npos) {
      int dfd = sys.open_in_root(rootfd, m.destination.c_str(), O_PATH | O_DIRECTORY, 0);
      if (dfd >= 0) {
        size_t i = 0;
        while (i <= cg.name.size()) {
          size_t j = cg.name.find(',', i);
          if (j == std::string::npos) j = cg.name.size();
          std::string c = cg.name.substr(i, j - i);
          if (!c.empty() && c != cg.name) sys.symlinkat(cg.name.c_str(), dfd, c.c_str());
          i = j + 1;
        }
        sys.close(dfd);
      }
    }
  }
  if (m.opts.flags & MS_RDONLY) {
    int fd = sys.open_in_root(rootfd, m.destination.c_str(), O_PATH, 0);
    if (fd < 0) return base::sys_error(what + ": reopen");
    base::UniqueFd nfd(fd);
    TRY(do_mount(sys, nullptr, fd_path(fd), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | base_flags,
                 nullptr, what + ": remount read-only"));
  }
  return base::ok();
}

}  // namespace

unsigned long propagation_flags(const std::string& name) {
  for (const auto& p : kPropOpts)
    if (name == p.name) return p.flag;
  return 0;
}

std::vector<std::string> mount_option_names() {
  std::vector<std::string> names = {"bind", "rbind", "tmpcopyup"};
  for (const auto& f : kFlagOpts)
    if (f.flag != MS_REMOUNT) names.emplace_back(f.name);  // refused in a container mount
  for (const auto& p : kPropOpts) names.emplace_back(p.name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options,
                                         const std::string& field) {
  MountOptions mo;
  for (const auto& o : options) {
    if (o == "bind") {
      mo.bind = true;
      continue;
    }
    if (o == "rbind") {
      mo.bind = mo.recursive = true;
      continue;
    }
    bool found = false;
    for (const auto& f : kFlagOpts) {
      if (o == f.name) {
        if (f.clear)
          mo.flags &= ~f.flag;
        else
          mo.flags |= f.flag;
        found = true;
        break;
      }
    }
    if (found) continue;
    if (unsigned long p = propagation_flags(o)) {
      mo.propagation = p;
      continue;
    }
    if (o == "tmpcopyup") {
      mo.copy_up = true;
      continue;
    }
    if (o == "nosymfollow" || o == "idmap" || o == "ridmap")
      return base::invalid("`" + field + "`: option `" + o +
                           "` is not supported by this version of rune");
    if (o.empty()) return base::invalid("`" + field + "`: empty option");
    if (!mo.data.empty()) mo.data += ',';
    mo.data += o;
  }
  if (mo.flags & MS_REMOUNT)
    return base::invalid("`" + field + "`: option `remount` is not allowed in a container mount");
  return mo;
}

std::string MountStep::describe() const {
  std::string s = "mounts[" + std::to_string(index) + "] (";
  s += kind == MountKind::bind ? "bind `" + source + "`" : "`" + type + "`";
  s += " on `" + destination + "`)";
  return s;
}

Result<MountStep> plan_mount(const oci::Mount& m, size_t i, const std::string& bundle) {
  std::string field = "mounts[" + std::to_string(i) + "]";
  MountStep s;
  s.index = i;
  s.destination = base::clean_path("/" + m.destination);
  if (s.destination == "/")
    return base::invalid("`" + field + ".destination`: cannot mount over the container's root");
  s.type = m.type;
  ASSIGN_OR_RETURN(s.opts, parse_mount_options(m.options, field + ".options"));
  if (m.type == "bind") s.opts.bind = true;
  if (s.opts.bind) {
    s.kind = MountKind::bind;
    s.source = m.source[0] == '/' ? m.source : base::path_join(bundle, m.source);
    struct stat st;
    if (stat(s.source.c_str(), &st) != 0)
      return base::sys_error("`" + field + ".source`: bind source `" + s.source + "`");
    s.file_target = !S_ISDIR(st.st_mode);
  } else if (m.type == "cgroup") {
    s.kind = MountKind::cgroup;
    s.source = m.source;
  } else {
    s.source = m.source.empty() ? m.type : m.source;
  }
  if (s.opts.copy_up && (s.kind != MountKind::regular || m.type != "tmpfs"))
    return base::invalid("`" + field + ".options`: `tmpcopyup` applies to tmpfs mounts only");
  return s;
}

Result<std::vector<MountStep>> plan_mounts(const oci::Config& c, const std::string& bundle) {
  std::vector<MountStep> plan;
  plan.reserve(c.mounts.size());
  for (size_t i = 0; i < c.mounts.size(); ++i) {
    ASSIGN_OR_RETURN(MountStep s, plan_mount(c.mounts[i], i, bundle));
    plan.push_back(std::move(s));
  }
  return plan;
}

static Status mkdir_in_root_depth(Sys& sys, int rootfd, const std::string& p, mode_t mode,
                                  int depth) {
  if (depth > 40) return base::sys_error("create `" + p + "` inside the rootfs", ELOOP);
  int fd = sys.open_in_root(rootfd, p.c_str(), O_PATH | O_DIRECTORY, 0);
  if (fd >= 0) {
    sys.close(fd);
    return base::ok();
  }
  if (errno != ENOENT) return base::sys_error("open `" + p + "` inside the rootfs");
  return mkdir_missing(sys, rootfd, p, mode, depth);
}

static Status mkdir_missing(Sys& sys, int rootfd, const std::string& p, mode_t mode, int depth) {
  // The usual case, one missing component (a cgroup hierarchy's mount point, /dev/pts): made in
  // its parent at once, without opening every component of the path again.
  if (auto slash = p.find_last_of('/'); slash != std::string::npos && slash + 1 < p.size()) {
    std::string parent = slash == 0 ? "/" : p.substr(0, slash);
    int pfd = sys.open_in_root(rootfd, parent.c_str(), O_PATH | O_DIRECTORY, 0);
    if (pfd >= 0) {
      base::UniqueFd owned(pfd);
      if (sys.mkdirat(pfd, p.c_str() + slash + 1, mode) == 0) return base::ok();
      // EEXIST: a dangling symlink (it did not open as a directory), which the walk follows.
      if (errno != EEXIST) return base::sys_error("mkdir `" + p + "` inside the rootfs");
    }
  }
  std::string cur = "/";
  size_t i = 1;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string comp = p.substr(i, j - i);
    i = j + 1;
    if (comp.empty()) continue;
    std::string next = base::path_join(cur, comp);
    int nfd = sys.open_in_root(rootfd, next.c_str(), O_PATH | O_DIRECTORY, 0);
    if (nfd >= 0) {
      sys.close(nfd);
      cur = next;
      continue;
    }
    if (errno != ENOENT) return base::sys_error("open `" + next + "` inside the rootfs");
    int pfd = sys.open_in_root(rootfd, cur.c_str(), O_PATH | O_DIRECTORY, 0);
    if (pfd < 0) return base::sys_error("open `" + cur + "` inside the rootfs");
    base::UniqueFd parent(pfd);
    if (sys.mkdirat(pfd, comp.c_str(), mode) != 0) {
      if (errno != EEXIST) return base::sys_error("mkdir `" + next + "` inside the rootfs");
      // It exists but did not open as a directory: a dangling symlink. Create its target,
      // resolved inside the rootfs.
      char buf[4096];
      ssize_t n = sys.readlinkat(pfd, comp.c_str(), buf, sizeof buf - 1);
      if (n <= 0)
        return base::sys_error("`" + next + "` inside the rootfs is not a directory", ENOTDIR);
      std::string target(buf, static_cast<size_t>(n));
      target = base::clean_path(target[0] == '/' ? target : base::path_join(cur, target));
      TRY(mkdir_in_root_depth(sys, rootfd, target, mode, depth + 1));
    }
    cur = next;
  }
  return base::ok();
}

Status mkdir_in_root(Sys& sys, int rootfd, const std::string& path, mode_t mode) {
  return mkdir_in_root_depth(sys, rootfd, base::clean_path(path), mode, 0);
}

unsigned long mount_flags_of(const char* path) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

Status apply_mount(Sys& sys, int rootfd, const MountStep& m,
                   const std::vector<CgroupBind>& cgroups) {
  const std::string what = m.describe();
  auto target = open_target(sys, rootfd, m.destination, m.file_target);
  if (!target.ok()) return std::move(target).error().wrap(what);
  const int tfd = target->get();
  switch (m.kind) {
    case MountKind::bind:
      TRY(bind_on(sys, rootfd, m.source, m.destination, tfd, m.opts.flags, m.opts.recursive, what));
      break;
    case MountKind::cgroup:
      TRY(apply_cgroup_mount(sys, rootfd, m, tfd, cgroups));
      break;
    case MountKind::regular:
      if (m.opts.copy_up) {
        TRY(apply_tmpfs_copy_up(sys, rootfd, m, tfd));
        break;
      }
      TRY(do_mount(sys, m.source.c_str(), fd_path(tfd), m.type.c_str(), m.opts.flags,
                   m.opts.data.empty() ? nullptr : m.opts.data.c_str(), what));
      break;
  }
  if (m.opts.propagation) {
    int fd = sys.open_in_root(rootfd, m.destination.c_str(), O_PATH, 0);
    if (fd < 0) return base::sys_error(what + ": reopen");
    base::UniqueFd nfd(fd);
    TRY(do_mount(sys, nullptr, fd_path(fd), nullptr, m.opts.propagation, nullptr,
                 what + ": set propagation"));
  }
  return base::ok();
}

}  // namespace kernel
