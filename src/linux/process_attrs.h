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
// The container's session keyring, as runc makes it: joins (creating it if needed) the keyring
// named `name` (`_ses.<id>`), so that the container does not share rune's caller's. Its serial
// number, or 0 on kernels without keyrings (ENOSYS is not an error).
base::Result<long> join_session_keyring(const std::string& name);
// The init, after joining: adds search permission on keyring `id` for the owner's uid (`user_ns`:
// for others, as ids differ there), so that the container's execs can join it too.
base::Status allow_keyring_search(long id, const std::string& name, bool user_ns);
// A new time namespace for the init's children and its own execve (CLONE_NEWTIME cannot be a
// clone() flag: it overlaps the exit-signal byte), with linux.timeOffsets written before any
// process enters it.
base::Status new_time_namespace(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace kernel
