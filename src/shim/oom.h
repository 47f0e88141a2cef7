// OOM kills of a container, for /tasks/oom: rune's own watch (kernel::OomWatch: v1 an eventfd on
// memory.oom_control, v2 inotify on memory.events with oom_kill growing) on the cgroups of the
// container's init, served by a thread of its own until the monitor is destroyed.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>

#include "base/error.h"
#include "base/fd.h"

namespace kernel {
class OomWatch;
struct CgroupSet;
}  // namespace kernel

namespace shim {

class OomMonitor {
 public:
  // Watches the memory cgroup of `pid`; `on_oom` runs once per OOM kill, on the monitor's
  // thread or in drain(). An error when there is no memory cgroup to watch.
  static base::Result<std::unique_ptr<OomMonitor>> start(pid_t pid, std::function<void()> on_oom);
  // The same on the cgroups `cg` (v1: the memory hierarchy's directory; else cgroup2's).
  static base::Result<std::unique_ptr<OomMonitor>> start(const kernel::CgroupSet& cg,
                                                         std::function<void()> on_oom);
  ~OomMonitor();
  // Reports what is pending now (before the container's exit is reported: an OOM kill comes
  // first, as with the runc shim).
  void drain();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace shim
