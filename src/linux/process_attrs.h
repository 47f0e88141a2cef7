// Attributes of the container's process that the init sets on itself before the workload's
// execve, which keeps them: scheduling policy, I/O priority, execution domain (personality), and
// the clock offsets of a new time namespace.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

// process.scheduler through sched_setattr(2). A real-time policy (FIFO, RR) needs a real-time
// budget in the container's cpu cgroup on kernels with CONFIG_RT_GROUP_SCHED: the error says so.
base::Status set_scheduler(const oci::Scheduler& s);
// process.ioPriority through ioprio_set(2).
base::Status set_io_priority(const oci::IoPriority& io);
// linux.personality (the domain; the runtime-spec defines no flags).
base::Status set_personality(unsigned long domain);
// A new time namespace for the init's children and its own execve (CLONE_NEWTIME cannot be a
// clone() flag: it overlaps the exit-signal byte), with linux.timeOffsets written before any
// process enters it.
base::Status new_time_namespace(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace kernel
