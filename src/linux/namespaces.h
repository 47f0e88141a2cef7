// Namespaces: new ones are made by clone() flags; `path` ones are opened (and type-checked) in
// the parent, where errors can name the config field, and joined with setns().
#pragma once

#include <sys/types.h>

#include <functional>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/config.h"

namespace kernel {

struct NamespacePlan {
  int clone_flags = 0;         // CLONE_NEW* for the namespaces to create at clone time
  bool new_cgroup_ns = false;  // unshared by the child once it is in its cgroups
  bool new_time_ns = false;    // unshared by the child (CLONE_NEWTIME is no clone() flag)
  struct Join {
    oci::NsType type;
    base::UniqueFd fd;
    std::string what;  // for errors: "`linux.namespaces[i].path` (`/proc/…/ns/net`)"
  };
  std::vector<Join> joins;  // setns() by the child (pid: by the parent, before clone)
  // A user namespace, new (CLONE_NEWUSER in clone_flags) or joined: the init becomes its root,
  // and device nodes are bind-mounted from the host (mknod is refused there).
  bool user = false;
  // Joins that must happen before the namespaces the clone creates (a joined user namespace, or
  // a new one beside other joins): a short-lived helper joins them all, user first, and clones
  // the init; the init then joins nothing itself.
  bool joins_in_helper = false;
};

base::Result<NamespacePlan> plan_namespaces(const std::vector<oci::Namespace>& nss);

// For a process entering a running container (exec): the namespaces of its init `pid` that
// `nss` lists, opened from /proc/<pid>/ns, the user namespace first and the mount namespace
// last. One the caller is in already is left out (setns into one's own user namespace fails).
base::Result<std::vector<NamespacePlan::Join>> open_namespaces_of(
    pid_t pid, const std::vector<oci::Namespace>& nss);

// Starts the container's init with the plan's clone flags and runs `child` in it (which must
// not return). The pid is as rune sees it; the init is rune's child either way. With
// `cgroup_dir` (a cgroup2 directory), the init starts in that cgroup (clone3 CLONE_INTO_CGROUP)
// when the kernel takes it; the init finds in `*in_cgroup` whether it did.
base::Result<pid_t> clone_init(const NamespacePlan& ns, const std::function<void()>& child,
                               int cgroup_dir = -1, bool* in_cgroup = nullptr);

// Writes /proc/<pid>/uid_map and gid_map for the init's new user namespace (from rune, before
// Go: the init is then root in it).
base::Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                           const std::vector<oci::IdMapping>& gid_mappings);

}  // namespace kernel
