// `rune events`: a container's resource usage as runc 1.1 reports it (its types/events.go
// Stats: cpu, cpuset, memory, pids, blkio, hugetlb, intel_rdt, network_interfaces), read from
// the v1 hierarchies (hybrid hosts, as runc) or from cgroup2 alone; and OOM kills as they happen
// (v1: an eventfd on memory.oom_control; v2: memory.events' oom_kill count).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "linux/cgroup.h"

namespace kernel {

// The `data` object of runc's stats event for `cg` (JSON, runc's field order).
base::Result<std::string> stats_json(const CgroupSet& cg);

// Waits for OOM kills in `cg`'s memory cgroup: a descriptor that polls readable when one may
// have happened, and `oom_kills()` that counts them (a count that grows is an OOM event).
class OomWatch {
 public:
  static base::Result<OomWatch> open(const CgroupSet& cg);
  int fd() const { return fd_.get(); }
  // Consumes the notification; how many OOM kills happened since the last call.
  uint64_t take();

 private:
  base::UniqueFd fd_, control_;  // v1: eventfd + memory.oom_control; v2: inotify
  std::string events_;           // v2: memory.events
  uint64_t seen_ = 0;
  bool v2_ = false;
};

}  // namespace kernel
