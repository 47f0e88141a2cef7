// Namespaces: new ones are made by clone() flags; `path` ones are opened (and type-checked) in
// the parent, where errors can name the config field, and joined with setns().
#pragma once

#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/config.h"

namespace kernel {

struct NamespacePlan {
  int clone_flags = 0;         // CLONE_NEW* for the namespaces to create at clone time
  bool new_cgroup_ns = false;  // unshared by the child once it is in its cgroups
  struct Join {
    oci::NsType type;
    base::UniqueFd fd;
  };
  std::vector<Join> joins;  // setns() by the child (pid: by the parent, before clone)
};

base::Result<NamespacePlan> plan_namespaces(const std::vector<oci::Namespace>& nss);

}  // namespace kernel
