#include "linux/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file.h"

namespace kernel {

base::Result<NamespacePlan> plan_namespaces(const std::vector<oci::Namespace>& nss) {
  NamespacePlan p;
  bool join_user = false;
  for (size_t i = 0; i < nss.size(); ++i) {
    const auto& ns = nss[i];
    int flag = oci::ns_clone_flag(ns.type);
    if (ns.type == oci::NsType::user) p.user = true;
    if (ns.path.empty()) {
      if (ns.type == oci::NsType::cgroup)
        p.new_cgroup_ns = true;
      else if (ns.type == oci::NsType::time)
        p.new_time_ns = true;
      else
        p.clone_flags |= flag;
      continue;
    }
    std::string field = "`linux.namespaces[" + std::to_string(i) + "].path`";
    int fd = open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::sys_error(field + ": open `" + ns.path + "`");
    base::UniqueFd owned(fd);
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0)
      return base::sys_error(field + ": `" + ns.path + "` is not a namespace file", EINVAL);
    if (type != flag)
      return base::invalid(field + ": `" + ns.path + "` is not a " + oci::ns_config_name(ns.type) +
                           " namespace");
    // The user namespace is joined first: the others may belong to it.
    if (ns.type == oci::NsType::user) {
      join_user = true;
      p.joins.insert(p.joins.begin(), {ns.type, std::move(owned), field + " (`" + ns.path + "`)"});
    } else {
      p.joins.push_back({ns.type, std::move(owned), field + " (`" + ns.path + "`)"});
    }
  }
  p.joins_in_helper = join_user || ((p.clone_flags & CLONE_NEWUSER) && !p.joins.empty());
  return p;
}

base::Result<std::vector<NamespacePlan::Join>> open_namespaces_of(
    pid_t pid, const std::vector<oci::Namespace>& nss) {
  std::vector<NamespacePlan::Join> joins;
  const std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
  for (const auto& ns : nss) {
    const char* name = oci::ns_proc_name(ns.type);
    std::string path = dir + name;
    base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
      return base::sys_error("open the container's `" + std::string(oci::ns_config_name(ns.type)) +
                             "` namespace (`" + path + "`)");
    struct stat theirs, ours;
    if (fstat(fd.get(), &theirs) == 0 &&
        stat((std::string("/proc/self/ns/") + name).c_str(), &ours) == 0 &&
        theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
      continue;
    NamespacePlan::Join j{ns.type, std::move(fd),
                          "the container's `" + std::string(oci::ns_config_name(ns.type)) +
                              "` namespace (`" + path + "`)"};
    if (ns.type == oci::NsType::user)
      joins.insert(joins.begin(), std::move(j));
    else
      joins.push_back(std::move(j));
  }
  std::stable_partition(joins.begin(), joins.end(),
                        [](const NamespacePlan::Join& j) { return j.type != oci::NsType::mount; });
  return joins;
}

namespace {

// What the helper tells rune: the init's pid, or the join that failed.
struct HelperReply {
  pid_t pid;
  int err;
  int join;  // index into NamespacePlan::joins, or -1 for the clone
};

}  // namespace

namespace {

// clone3's arguments (linux/sched.h's struct clone_args, up to `cgroup`: Linux 5.7).
struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;

// A fork-like clone (the child returns 0 on a copy of this stack) with `flags` (CLONE_NEW*,
// CLONE_PARENT) and SIGCHLD; into cgroup2 directory `cgroup_dir` when the kernel takes it.
// `*in_cgroup` is set before the clone that happens, so that the child sees it too.
pid_t fork_with(int flags, int cgroup_dir, bool* in_cgroup) {
  if (cgroup_dir >= 0 && in_cgroup) {
    *in_cgroup = true;
    CloneArgs a{};
    a.flags = static_cast<uint32_t>(flags) | kCloneIntoCgroup;
    a.exit_signal = SIGCHLD;
    a.cgroup = static_cast<uint64_t>(cgroup_dir);
    long pid = syscall(SYS_clone3, &a, sizeof a);
    if (pid >= 0) return static_cast<pid_t>(pid);
    // ENOSYS, E2BIG, EINVAL (before 5.7), EACCES (a helper in a joined user namespace), or the
    // cgroup refusing the process: a plain clone, and the init joins by itself (and reports the
    // kernel's reason if it fails again).
  }
  if (in_cgroup) *in_cgroup = false;
  return static_cast<pid_t>(
      syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

}  // namespace

base::Result<pid_t> clone_init(const NamespacePlan& ns, const std::function<void()>& child,
                               int cgroup_dir, bool* in_cgroup) {
  if (!ns.joins_in_helper) {
    // Joining a pid namespace changes where rune's next child goes, not rune: after the clone,
    // rune's children (hooks it runs, a sanitizer's helper) go to its own namespace again.
    base::UniqueFd own;
    for (const auto& j : ns.joins) {
      if (j.type != oci::NsType::pid) continue;
      own.reset(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
      if (setns(j.fd.get(), CLONE_NEWPID) != 0)
        return base::sys_error(j.what + ": join the `pid` namespace");
    }
    pid_t pid = fork_with(ns.clone_flags, cgroup_dir, in_cgroup);
    if (pid == 0) {
      child();
      _exit(127);
    }
    int err = errno;
    if (own.valid()) (void)setns(own.get(), CLONE_NEWPID);
    if (pid < 0) return base::sys_error("clone the container's init process", err);
    return pid;
  }
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return base::sys_error("create a pipe");
  base::UniqueFd rd(pfd[0]), wr(pfd[1]);
  pid_t helper =
      static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (helper < 0) return base::sys_error("fork a helper to join the namespaces");
  if (helper == 0) {
    HelperReply r{0, 0, -1};
    for (size_t i = 0; i < ns.joins.size() && !r.err; ++i)
      if (setns(ns.joins[i].fd.get(), oci::ns_clone_flag(ns.joins[i].type)) != 0)
        r = {0, errno, static_cast<int>(i)};
    if (!r.err) {
      pid_t pid = fork_with(ns.clone_flags | CLONE_PARENT, cgroup_dir, in_cgroup);
      if (pid == 0) {
        child();
        _exit(127);
      }
      r = pid < 0 ? HelperReply{0, errno, -1} : HelperReply{pid, 0, -1};
    }
    ssize_t n = write(wr.get(), &r, sizeof r);
    _exit(n == sizeof r ? 0 : 1);
  }
  wr.reset();
  HelperReply r{0, EPIPE, -1};
  ssize_t n;
  do n = read(rd.get(), &r, sizeof r);
  while (n < 0 && errno == EINTR);
  if (n != sizeof r) r = {0, n < 0 ? errno : EPIPE, -1};
  int status;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (r.err) {
    errno = r.err;
    if (r.join >= 0)
      return base::sys_error(ns.joins[r.join].what + ": join the `" +
                             oci::ns_config_name(ns.joins[r.join].type) + "` namespace");
    return base::sys_error("clone the container's init process");
  }
  return r.pid;
}

namespace {

std::string map_text(const std::vector<oci::IdMapping>& ms) {
  std::string s;
  for (const auto& m : ms)
    s += std::to_string(m.container_id) + ' ' + std::to_string(m.host_id) + ' ' +
         std::to_string(m.size) + '\n';
  return s;
}

}  // namespace

base::Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                           const std::vector<oci::IdMapping>& gid_mappings) {
  std::string dir = "/proc/" + std::to_string(pid) + "/";
  // One write each: the kernel takes a map in a single write only.
  TRY_WRAP(base::write_file(dir + "uid_map", map_text(uid_mappings)), "`linux.uidMappings`");
  // An unprivileged rune (rootless) may write a gid map only once setgroups is denied.
  if (geteuid() != 0)
    TRY_WRAP(base::write_file(dir + "setgroups", "deny"), "`linux.gidMappings` (rootless)");
  TRY_WRAP(base::write_file(dir + "gid_map", map_text(gid_mappings)), "`linux.gidMappings`");
  return base::ok();
}

}  // namespace kernel
