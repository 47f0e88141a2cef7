#include "linux/init.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "base/file.h"
#include "base/process.h"
#include "linux/capabilities.h"
#include "linux/console.h"
#include "linux/devices.h"
#include "linux/dmz.h"
#include "linux/hooks.h"
#include "linux/process_attrs.h"
#include "linux/rootfs.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace kernel {

namespace {

base::Status write_sysctls(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [k, v] : sysctl) {
    std::string path = "/proc/sys/" + k;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    TRY_WRAP(base::write_file(path, v), "`linux.sysctl`: " + k);
  }
  return base::ok();
}

// `process.cwd` resolves through a magic link (/proc/self/fd/N, /proc/1/cwd, ...): say so.
base::Error cwd_error(base::Error e, const std::string& cwd) {
  if (e.err() != ELOOP) return std::move(e).wrap("`process.cwd`");
  return base::Error(base::Category::invalid_argument,
                     "`process.cwd`: `" + cwd +
                         "` goes through a /proc magic link or too many symbolic links; it must "
                         "be a directory of the container",
                     ELOOP);
}

// CVE-2024-21626: after pivot_root, `process.cwd` is resolved inside the new root without magic
// links (so `/proc/self/fd/N` cannot make a descriptor of the host the workload's working
// directory), and the init changes to what was resolved: nothing is looked up twice.
base::Status enter_cwd(Sys& sys, const std::string& cwd) {
  int root = sys.open("/", O_PATH | O_DIRECTORY, 0);
  if (root < 0) return base::sys_error("`process.cwd`: open the container's root");
  int fd = sys.open_in_root(root, cwd.c_str(), O_PATH | O_DIRECTORY, 0);
  int err = errno;
  sys.close(root);
  if (fd < 0)
    return cwd_error(base::sys_error("open `" + cwd + "` inside the container", err), cwd);
  int r = sys.fchdir(fd);
  err = errno;
  sys.close(fd);
  if (r != 0) return base::sys_error("`process.cwd`: chdir to `" + cwd + "`", err);
  return base::ok();
}

// setns() into each of `joins` but pid (the parent joins that one before clone).
base::Status join_namespaces(Sys& sys, const std::vector<NamespacePlan::Join>& joins) {
  for (const auto& j : joins) {
    if (j.type == oci::NsType::pid) continue;
    if (sys.setns(j.fd.get(), oci::ns_clone_flag(j.type)) != 0)
      return base::sys_error(j.what + ": join the `" + oci::ns_config_name(j.type) + "` namespace");
  }
  return base::ok();
}

}  // namespace

const SeccompProgram* seccomp_at_exec(const InitPlan& p) {
  return p.seccomp && p.seccomp->notify ? nullptr : p.seccomp;
}

std::string init_hook_state(const InitPlan& p, oci::Status status, int init_pid) {
  return oci::hook_state_json(p.id, status, init_pid, p.bundle, p.config->annotations);
}

base::Status init_container(const InitPlan& p, Sys& sys, ChildChannel& ch, std::string& exe,
                            int& init_pid, base::UniqueFd& dmz) {
  const oci::Config& c = *p.config;
  // Whatever rune's caller left open beyond stdio and --preserve-fds is closed at exec from the
  // start, so that no exec of the init (hooks included) ever passes it on.
  syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  // Off the start path: rune is busy with the cgroups until Go.
  auto made = make_dmz();
  TRY(ch.wait_go(&init_pid));
  if (p.rootless_maps) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!made.ok()) return std::move(made).error();
  dmz = std::move(made).value();
  if (!p.ns->joins_in_helper) TRY(join_namespaces(sys, p.ns->joins));
  // In a user namespace, become its root (rune wrote the maps before Go), as runc does.
  if (p.ns->user && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
    return base::sys_error(
        "`linux.uidMappings`/`linux.gidMappings`: become root in the user namespace (is id 0 "
        "mapped?)");
  // As root of the container's user namespace, so that the keyring is the container's.
  if (!p.session_keyring.empty()) {
    ASSIGN_OR_RETURN(long keyring, join_session_keyring(p.session_keyring));
    if (keyring) TRY(allow_keyring_search(keyring, p.session_keyring, p.ns->user));
  }
  if (p.ns->new_cgroup_ns && sys.unshare(CLONE_NEWCGROUP) != 0)
    return base::sys_error("create the `cgroup` namespace");
  if (p.ns->new_time_ns) TRY(new_time_namespace(c.linux.time_offsets));
  umask(0);

  ASSIGN_OR_RETURN(int rootfd,
                   prepare_rootfs(sys, p.rootfs, c.linux.rootfs_propagation, p.host_mount_ns));
  base::UniqueFd root(rootfd);
  for (const auto& m : p.mounts) TRY(apply_mount(sys, rootfd, m, p.cgroup_binds));
  TRY_WRAP(create_devices(sys, rootfd,
                          p.dev_is_bind ? c.linux.devices : container_devices(c.linux.devices),
                          p.ns->user),
           "devices");
  if (base::Status s = mkdir_in_root(sys, rootfd, c.process.cwd, 0755); !s.ok())
    return cwd_error(std::move(s).error(), c.process.cwd);
  // Hooks of the runtime's and the container's namespaces, before pivot_root.
  if (!c.hooks.prestart.empty() || !c.hooks.create_runtime.empty()) TRY(ch.request_hooks());
  if (!c.hooks.create_container.empty())
    TRY(run_hooks(c.hooks.create_container, init_hook_state(p, oci::Status::creating, init_pid),
                  "createContainer", dmz.get()));
  TRY(enter_rootfs(sys, rootfd, p.no_pivot, p.host_mount_ns));
  root.reset();
  TRY(set_root_propagation(sys, c.linux.rootfs_propagation));
  // The terminal now, as runc: after the mounts, before the root and paths turn read-only, with
  // the pty on /dev/console where the container has its own mount namespace.
  if (p.console_fd >= 0)
    TRY(setup_console(p.console_fd, c.process.console_size, c.process.user.uid, c.process.user.gid,
                      !p.host_mount_ns));

  if (!c.hostname.empty() && sys.sethostname(c.hostname.data(), c.hostname.size()) != 0)
    return base::sys_error("`hostname`: set `" + c.hostname + "`");
  if (!c.domainname.empty() && sys.setdomainname(c.domainname.data(), c.domainname.size()) != 0)
    return base::sys_error("`domainname`: set `" + c.domainname + "`");
  TRY(write_sysctls(c.linux.sysctl));
  TRY(readonly_paths(sys, c.linux.readonly_paths));
  TRY(mask_paths(sys, c.linux.masked_paths));
  if (c.root_readonly) TRY(readonly_root(sys));

  if (c.linux.personality) TRY(set_personality(*c.linux.personality));
  return become_process(sys, c.process, p.seccomp, -1, ch, exe);
}

base::Status become_process(Sys& sys, const oci::Process& proc, const SeccompProgram* seccomp,
                            int console_fd, ChildChannel& ch, std::string& exe) {
  if (console_fd >= 0)
    TRY(setup_console(console_fd, proc.console_size, proc.user.uid, proc.user.gid));
  TRY(enter_cwd(sys, proc.cwd));
  ASSIGN_OR_RETURN(exe, base::find_executable(proc.args[0], proc.env, "`process.args[0]`"));
  // Kept across execve; set while the process still has its capabilities (CAP_SYS_NICE).
  if (proc.scheduler) TRY(set_scheduler(*proc.scheduler));
  if (proc.io_priority) TRY(set_io_priority(*proc.io_priority));
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the capabilities drop.
  if (seccomp && !proc.no_new_privileges) TRY(load_seccomp(*seccomp, &ch));
  TRY(set_user_and_capabilities(proc.user, proc.capabilities));
  // A change of uid sets the dumpable flag to fs.suid_dumpable, which may be 1: rune's image
  // stays non-dumpable (its /proc/<pid>/exe closed to the container) until the exec.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask(proc.user.umask.value_or(022));
  // With NOTIFY rules the listener must reach listenerPath now (create: during create), not at
  // execve.
  if (seccomp && proc.no_new_privileges && seccomp->notify) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      return base::sys_error("`process.noNewPrivileges`");
    TRY(load_seccomp(*seccomp, &ch));
  }
  return base::ok();
}

base::Status enter_container(const EnterPlan& p, Sys& sys, ChildChannel& ch, std::string& exe,
                             base::UniqueFd* dmz) {
  syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (p.cgroups) {
    TRY_WRAP(join_cgroups_self(*p.cgroups), "put the process in the container's cgroups");
    *p.cgroups = {};
  }
  // As host root still (a user namespace may not raise them).
  TRY(set_rlimits(0, p.process->rlimits));
  TRY(join_namespaces(sys, p.joins));
  if (!p.session_keyring.empty()) TRY(join_session_keyring(p.session_keyring));
  // The init's root: its mount namespace's root after pivot_root, or the directory it chrooted
  // to (no pivot_root, or no mount namespace of its own).
  if (sys.fchdir(p.root) != 0 || chroot(".") != 0 || chdir("/") != 0)
    return base::sys_error("enter the container's root directory");
  if (dmz) {
    ASSIGN_OR_RETURN(*dmz, make_dmz());
  }
  return become_process(sys, *p.process, p.seccomp, p.console_fd, ch, exe);
}

base::Status check_exec_limits(const oci::Process& process) {
  constexpr size_t kMaxArgStrlen = 32 * 4096;  // the kernel's MAX_ARG_STRLEN
  size_t total = 0;
  auto each = [&](const std::vector<std::string>& list, const char* field) -> base::Status {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].size() + 1 > kMaxArgStrlen)
        return base::Error(base::Category::invalid_argument,
                           std::string("`") + field + "[" + std::to_string(i) + "]` is " +
                               std::to_string(list[i].size()) +
                               " bytes; the kernel takes at most " +
                               std::to_string(kMaxArgStrlen - 1) + " per string",
                           E2BIG);
      total += list[i].size() + 1 + sizeof(char*);
    }
    return base::ok();
  };
  TRY(each(process.args, "process.args"));
  TRY(each(process.env, "process.env"));
  // The workload is exec'd through rune-dmz, whose exec carries two more strings: its marker and
  // the resolved path of `process.args[0]` (at most PATH_MAX).
  total += dmz_exec_overhead(PATH_MAX);
  long limit = sysconf(_SC_ARG_MAX);
  if (limit > 0 && total > static_cast<size_t>(limit))
    return base::Error(base::Category::invalid_argument,
                       "`process.args` and `process.env` take " + std::to_string(total) +
                           " bytes; the kernel's exec limit is " + std::to_string(limit),
                       E2BIG);
  return base::ok();
}

bool wait_exec_fifo(int fd) {
  struct pollfd pfd = {fd, POLLIN, 0};
  for (;;) {
    int r = poll(&pfd, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    char b;
    ssize_t n = read(fd, &b, 1);
    if (n == 1) return true;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return false;
  }
}

base::Status prepare_exec(const oci::Process& process, int preserve_fds,
                          const SeccompProgram* seccomp) {
  if (process.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return base::sys_error("`process.noNewPrivileges`");
  syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  // With no_new_privs the filter waits until now, so that few system calls run under it.
  if (seccomp && process.no_new_privileges) TRY(load_seccomp(*seccomp));
  return base::ok();
}

void exec_process(const oci::Process& process, const std::string& exe, int preserve_fds,
                  const SeccompProgram* seccomp, int dmz_fd, int wait_fd) {
  if (base::Status s = prepare_exec(process, preserve_fds, seccomp); !s.ok()) {
    dprintf(2, "rune: %s\n", s.error().what().c_str());
    _exit(127);
  }
  std::vector<char*> argv, envp;
  for (const auto& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : process.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  exec_through_dmz(dmz_fd, wait_fd, exe.c_str(), argv.data(), envp.data());
  dprintf(2,
          "rune: exec `%s`: cannot exec rune-dmz (it needs /proc mounted, or execveat allowed by "
          "the seccomp profile): %s\n",
          exe.c_str(), strerror(errno));
  _exit(127);
}

}  // namespace kernel
