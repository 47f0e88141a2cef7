// The container's init, from clone() to the workload: the kernel set-up the parent planned
// (namespaces joined, rootfs, mounts, devices, pivot_root, hostname, sysctl, paths, rlimits, cwd,
// user and capabilities), applied in the child. Errors go back to rune over the channel, naming
// the config field; the lifecycle (src/runtime) decides what the init does afterwards.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "linux/cgroup.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "linux/seccomp_program.h"
#include "linux/sync.h"
#include "linux/sys.h"
#include "oci/config.h"
#include "oci/state.h"

namespace kernel {

// Everything the container's init needs, prepared by the parent before clone().
struct InitPlan {
  const oci::Config* config = nullptr;
  std::string rootfs;
  std::vector<MountStep> mounts;
  std::vector<CgroupBind> cgroup_binds;
  NamespacePlan* ns = nullptr;
  bool dev_is_bind = false;
  bool no_pivot = false;
  bool host_mount_ns = false;  // no mount namespace: mounts go below rune's rootfs bind, chroot
  int preserve_fds = 0;
  int fifo_fd = -1;  // create: wait for `start` on the exec fifo; run: on the channel
  const SeccompProgram* seccomp = nullptr;  // compiled linux.seccomp, if any
  // The cgroups the init joins itself, first thing after the clone (before Go).
  CgroupJoin* cgroups = nullptr;
  // For the hooks' state: the container's id and bundle (the config has the annotations).
  std::string id, bundle;
  int console_fd = -1;          // process.terminal: the console socket (console.h)
  std::string session_keyring;  // `_ses.<id>`, joined by the init; empty: --no-new-keyring
  // An unprivileged rune writes the id maps of the init's new user namespace: /proc/<init>/
  // uid_map is its to write only while the init is dumpable (until Go, as runc's).
  bool rootless_maps = false;
};

// A further process entering a running container (`rune exec`), planned by rune.
struct EnterPlan {
  const oci::Process* process = nullptr;
  std::vector<NamespacePlan::Join> joins;  // open_namespaces_of; pid is joined by rune
  int root = -1;                           // the init's root directory (/proc/<pid>/root)
  CgroupJoin* cgroups = nullptr;           // the container's cgroups (or --cgroup's)
  const SeccompProgram* seccomp = nullptr;
  int preserve_fds = 0;
  int console_fd = -1;
  std::string session_keyring;  // the container's, joined too; empty: none
};

// The filter still to load at execve (prepare_exec): none when init_container loaded it already
// (NOTIFY rules: before `ready`).
const SeccompProgram* seccomp_at_exec(const InitPlan& p);

// The state JSON a hook of this container reads (status and the init's host pid).
std::string init_hook_state(const InitPlan& p, oci::Status status, int init_pid);

// Makes rune-dmz's sealed memfd into `dmz` (dmz.h: the workload and the hooks are exec'd through
// it) while rune puts the init in its cgroups, waits for Go, then sets the container up through
// `sys`; `exe` receives the resolved path of `process.args[0]`, `init_pid` the init's pid as the
// host sees it. Before pivot_root, rune runs
// the prestart and createRuntime hooks (one round trip, only when there are such hooks) and the
// init runs the createContainer hooks. `process.cwd` is resolved inside the new root without
// magic links (CVE-2024-21626: `/proc/self/fd/N` must not reach a descriptor of the host).
base::Status init_container(const InitPlan& p, Sys& sys, ChildChannel& ch, std::string& exe,
                            int& init_pid, base::UniqueFd& dmz);

// In a process entering a running container, from clone() to the exec: its cgroups, rlimits,
// the container's namespaces (user first), root, then become_process. `dmz` receives rune-dmz
// (nullptr: the process will not exec, as an enclave exec's proxy).
base::Status enter_container(const EnterPlan& p, Sys& sys, ChildChannel& ch, std::string& exe,
                             base::UniqueFd* dmz);

// The process's own part, for the init and for processes entering the container: the terminal
// (with a console socket), `process.cwd` (resolved inside the root without magic links), the
// executable, scheduler and I/O priority, seccomp (before the capabilities drop when there is
// no no_new_privs), user and capabilities, non-dumpable until the exec, umask, and a NOTIFY
// filter's listener handed to rune over `ch`.
base::Status become_process(Sys& sys, const oci::Process& proc, const SeccompProgram* seccomp,
                            int console_fd, ChildChannel& ch, std::string& exe);

// In the parent: the kernel would refuse the workload's execve with E2BIG (a string longer than
// MAX_ARG_STRLEN, or args and env together, with rune-dmz's two arguments, above the exec
// limit); the error names the field, instead of exit 127 from inside the container.
base::Status check_exec_limits(const oci::Process& process);

// Blocks until `rune start` writes to the exec fifo (held open O_RDWR, so poll() never sees a
// hang-up). False when the fifo broke.
bool wait_exec_fifo(int fd);

// Sets no_new_privs as `process` asks, closes descriptors from 3 + preserve_fds on (close on
// exec), loads the seccomp filter if no_new_privs allowed it to wait this long, and execs `exe`
// through the rune-dmz in `dmz_fd`, which first waits for the start on `wait_fd` if it is not -1
// (dmz.h); on failure prints why and exits 127.
[[noreturn]] void exec_process(const oci::Process& process, const std::string& exe,
                               int preserve_fds, const SeccompProgram* seccomp, int dmz_fd,
                               int wait_fd = -1);

// What exec_process does before execve, for an init that does not exec (the init-runelet).
base::Status prepare_exec(const oci::Process& process, int preserve_fds,
                          const SeccompProgram* seccomp);

}  // namespace kernel
