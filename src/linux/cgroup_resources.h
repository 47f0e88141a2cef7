// linux.resources into cgroup files, as runc 1.1's cgroupfs drivers write them: the v1 files
// (memory, cpu, cpuset, pids, blkio, hugetlb, net_cls, net_prio, rdma) where a v1 hierarchy has
// the controller, else the cgroup2 files (the hugetlb of this hybrid host; every controller on a
// v2-only host) with runc's conversions (cpu.shares to cpu.weight, swap to memory.swap.max, ...).
//
// Planned in the parent once the container's cgroup directories exist: the plan is a list of
// writes, each naming the config field it comes from; a resource that no mounted hierarchy can
// take is an error naming the field. Then applied in order.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "linux/cgroup.h"
#include "oci/config.h"

namespace kernel {

struct CgroupWrite {
  std::string path;   // the cgroup file
  std::string value;  // what is written to it
  std::string field;  // the config field it comes from (`linux.resources.memory.limit`)
};

// The files the planner looks at: whether one exists, and its text (nullopt: unreadable).
struct CgroupFiles {
  std::function<bool(const std::string& path)> exists;
  std::function<std::optional<std::string>(const std::string& path)> read;
};
CgroupFiles real_cgroup_files();

base::Result<std::vector<CgroupWrite>> plan_resources(const CgroupSet& cg, const oci::Resources& r,
                                                      const CgroupFiles& files);

// Writes the plan in order. An error names the field, the file and the value.
base::Status apply_resources(const std::vector<CgroupWrite>& writes);

// What runc only warns about: kernel memory limits (ignored).
std::vector<std::string> resource_warnings(const oci::Resources& r);

// runc's conversions for cgroup v2.
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);

}  // namespace kernel
