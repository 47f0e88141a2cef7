#include "linux/process_attrs.h"

#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/file.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace kernel {

namespace {

// The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER0: no utilisation clamps).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

}  // namespace

base::Status set_scheduler(const oci::Scheduler& s) {
  SchedAttr a{};
  a.size = sizeof a;
  a.sched_policy = s.policy;
  a.sched_flags = s.flags;
  a.sched_nice = s.nice;
  a.sched_priority = s.priority;
  a.sched_runtime = s.runtime;
  a.sched_deadline = s.deadline;
  a.sched_period = s.period;
  if (syscall(SYS_sched_setattr, 0, &a, 0) == 0) return base::ok();
  std::string what = "`process.scheduler`: set policy " + s.policy_name;
  if (errno == EPERM && (s.policy == SCHED_FIFO || s.policy == SCHED_RR))
    what +=
        " (a real-time policy needs `linux.resources.cpu.realtimeRuntime` for the "
        "container's cgroup on this kernel)";
  return base::sys_error(what);
}

base::Status set_io_priority(const oci::IoPriority& io) {
  constexpr int kWhoProcess = 1, kClassShift = 13;
  if (syscall(SYS_ioprio_set, kWhoProcess, 0, (io.klass << kClassShift) | io.priority) != 0)
    return base::sys_error("`process.ioPriority`: set class " + std::to_string(io.klass) +
                           " priority " + std::to_string(io.priority));
  return base::ok();
}

base::Status set_personality(unsigned long domain) {
  if (personality(domain) < 0) return base::sys_error("`linux.personality`: set the domain");
  return base::ok();
}

base::Result<long> join_session_keyring(const std::string& name) {
  constexpr long kJoinSessionKeyring = 1;
  long id = syscall(SYS_keyctl, kJoinSessionKeyring, name.c_str());
  if (id < 0 && errno == ENOSYS) return 0;
  if (id < 0) return base::sys_error("join the session keyring `" + name + "`");
  return id;
}

base::Status allow_keyring_search(long id, const std::string& name, bool user_ns) {
  constexpr long kSetPerm = 5, kDescribe = 6;
  // "type;uid;gid;perm;description": the permission mask is the fourth field (hex).
  char desc[512];
  long n = syscall(SYS_keyctl, kDescribe, id, desc, sizeof desc);
  if (n <= 0 || static_cast<size_t>(n) > sizeof desc)
    return base::sys_error("describe the session keyring `" + name + "`");
  desc[sizeof desc - 1] = '\0';
  const char* p = desc;
  for (int field = 0; field < 3 && p; ++field) {
    p = strchr(p, ';');
    if (p) ++p;
  }
  if (!p) return base::sys_error("describe the session keyring `" + name + "`", EINVAL);
  unsigned long perm = strtoul(p, nullptr, 16);
  perm |= user_ns ? 0x8 : 0x80000;  // KEY_OTH_SEARCH : KEY_USR_SEARCH
  if (syscall(SYS_keyctl, kSetPerm, id, perm) != 0)
    return base::sys_error("set the permissions of the session keyring `" + name + "`");
  return base::ok();
}

base::Status new_time_namespace(const std::map<std::string, oci::TimeOffset>& offsets) {
  if (unshare(CLONE_NEWTIME) != 0) return base::sys_error("create the `time` namespace");
  if (offsets.empty()) return base::ok();
  std::string text;
  for (const auto& [clock, o] : offsets)
    text += clock + ' ' + std::to_string(o.secs) + ' ' + std::to_string(o.nanosecs) + '\n';
  TRY_WRAP(base::write_file("/proc/self/timens_offsets", text), "`linux.timeOffsets`");
  return base::ok();
}

}  // namespace kernel
