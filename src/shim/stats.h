// The shim's Stats: a container's cgroup usage as containerd's runc shim answers it (its
// containerd/cgroups Stat), for `ctr task metrics` and the CRI. containerd decodes the Any by its
// type URL: io.containerd.cgroups.v1.Metrics from the v1 hierarchies (v1 and hybrid hosts, as
// containerd does), io.containerd.cgroups.v2.Metrics when every hierarchy is cgroup2.
#pragma once

#include <string>

#include "base/error.h"
#include "google/protobuf/any.pb.h"

namespace kernel {
struct CgroupSet;
}

namespace shim {

// The metrics of the container whose cgroups are `cg`; `partitions` (the /proc/partitions
// format) names the block devices of v1's blkio entries. not_found when none of the directories
// exists; an error naming the file when one cannot be read or parsed. A v1 controller whose
// files are missing is left out (its message unset), as containerd's IgnoreNotExist does.
base::Result<google::protobuf::Any> collect_metrics(
    const kernel::CgroupSet& cg, const std::string& partitions = "/proc/partitions");

}  // namespace shim
