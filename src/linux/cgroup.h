// cgroups, as runc's cgroupfs driver does on a v1, hybrid or v2 host: the container gets its own
// cgroup in every mounted v1 hierarchy and in the cgroup2 mount. `linux.resources.devices` is
// enforced by the v1 devices controller where one is mounted, else by a device program (BPF) on
// the container's cgroup2 directory.
#pragma once

#include <linux/bpf.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/config.h"

namespace kernel {

struct Hierarchy {
  std::string mountpoint;   // /sys/fs/cgroup/memory
  std::string controllers;  // "memory", "cpu,cpuacct", "name=systemd"; empty for cgroup2
  bool v2 = false;
  bool has(const std::string& controller) const;
};

// Cgroup hierarchies mounted in this mount namespace (from a /proc/self/mountinfo text).
std::vector<Hierarchy> parse_hierarchies(const std::string& mountinfo);
std::vector<Hierarchy> discover_hierarchies();

// One container's cgroup directories, one per hierarchy.
struct CgroupSet {
  std::vector<Hierarchy> hierarchies;
  std::vector<std::string> dirs;  // parallel to hierarchies
};

// Where the container's cgroup goes: `cgroupsPath` if set (a relative one is relative to
// rune's own cgroup in each hierarchy), else /<id>, as runc does.
// The CgroupSet of existing directories (a created container's, from its state): each paired with
// the mounted hierarchy it lies in.
CgroupSet cgroup_set_of(const std::vector<std::string>& dirs);
// The cgroups process `pid` is in, in every mounted hierarchy (empty if it is gone).
CgroupSet cgroup_set_of_pid(pid_t pid);

// `rune exec --cgroup`, as runc 1.1 takes it: `PATH` (the only one given: every hierarchy) or
// `CONTROLLER[,CONTROLLER...]:PATH` (those v1 hierarchies), PATH an existing sub-cgroup of the
// container's. Hierarchies not named keep the container's directory.
base::Result<CgroupSet> sub_cgroups(const CgroupSet& cg, const std::vector<std::string>& specs);

base::Result<CgroupSet> plan_cgroups(const std::string& cgroups_path, const std::string& id);
// The systemd driver's directories (runc 1.1.5's): in each hierarchy, pid 1's cgroup (without a
// trailing init.scope) joined with `rel` (the expanded slice and the unit).
base::Result<CgroupSet> plan_systemd_cgroups(const std::string& rel);

// Rootless: keeps the hierarchies whose container directory the caller may make (its parent is
// writable: delegated to the caller), drops the others.
void keep_delegated(CgroupSet& cg);

// mkdir -p every directory (initializing cpuset.cpus/mems of new cpuset cgroups).
base::Status create_cgroups(const CgroupSet& cg);
// Whether a v1 hierarchy of `cg` has `controller`.
bool has_v1_controller(const CgroupSet& cg, const std::string& controller);
// What enforces `linux.resources.devices` for `cg`: the v1 devices controller, a device program
// on the cgroup2 directory (no v1 devices hierarchy), or nothing (neither is mounted).
enum class DeviceControl { v1, program, none };
DeviceControl device_control(const CgroupSet& cg);
// The device program for `rules` (with the devices every container may use appended).
base::Result<std::vector<bpf_insn>> device_program_for(const std::vector<oci::DeviceRule>& rules);
// Enforces `rules` (nothing when empty): devices.allow/deny lines on v1, else the device program
// attached to the cgroup2 directory, replacing the one attached before (`rune update`).
base::Status apply_device_rules(const CgroupSet& cg, const std::vector<oci::DeviceRule>& rules);
base::Status add_process(const CgroupSet& cg, pid_t pid);

// How the container's init joins its cgroups by itself, before Go, from files rune opens before
// the clone (the kernel checks a cgroup write against the opener's credentials and cgroup
// namespace, so this works from inside a new user namespace too):
// - v1: the hierarchy's `tasks` file, written "0". A task moving itself alone takes no global
//   lock, whereas writing another process's pid to cgroup.procs write-locks
//   cgroup_threadgroup_rwsem and can wait for an RCU grace period (measured: ~0.08 ms or 10-16
//   ms, about one write in three). The init is single-threaded, so it moves whole.
// - cgroup2: clone3's CLONE_INTO_CGROUP with `v2_dir` (the fork takes that lock only for
//   reading); when that clone was refused (an older kernel, a helper inside a joined user
//   namespace), the init writes "0" to `v2_procs`, which reports the kernel's reason if the
//   cgroup cannot take it.
struct CgroupJoin {
  struct File {
    base::UniqueFd fd;
    std::string path;
  };
  std::vector<File> tasks;  // v1
  base::UniqueFd v2_dir;
  File v2_procs;
  bool v2_in_clone = false;  // set by the clone that placed the init in v2_dir
};
base::Result<CgroupJoin> open_cgroup_join(const CgroupSet& cg);
// In the init: joins what the clone has not (errors name the file).
base::Status join_cgroups_self(const CgroupJoin& j);
// Pids in the cgroup (from the first directory that can be read).
std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs);
// Sends `sig` to every process in the cgroup (SIGKILL by cgroup2's cgroup.kill where there is
// one).
base::Status signal_cgroup(const std::vector<std::string>& dirs, int sig);
// The freezer of a container's cgroup directories: the v1 freezer hierarchy when one is mounted,
// else cgroup2's cgroup.freeze. freeze_cgroup waits until every task is frozen (or thawed).
base::Status freeze_cgroup(const std::vector<std::string>& dirs, bool freeze);
// True when frozen, false when not, nullopt when no freezer is reachable.
std::optional<bool> cgroup_frozen(const std::vector<std::string>& dirs);

// Removes the directories; processes left in them are killed first.
base::Status remove_cgroups(const std::vector<std::string>& dirs);

}  // namespace kernel
