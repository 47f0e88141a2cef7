#include "shim/oom.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/thread.h"
#include "linux/cgroup.h"
#include "linux/cgroup_stats.h"

namespace shim {

struct OomMonitor::State {
  std::mutex mu;  // around take(): the thread and drain()
  std::unique_ptr<kernel::OomWatch> watch;
  std::function<void()> on_oom;
  base::UniqueFd stop;

  void report() {
    uint64_t n;
    {
      std::lock_guard lock(mu);
      n = watch->take();
    }
    for (; n > 0; --n) on_oom();
  }
};

base::Result<std::unique_ptr<OomMonitor>> OomMonitor::start(pid_t pid,
                                                            std::function<void()> on_oom) {
  return start(kernel::cgroup_set_of_pid(pid), std::move(on_oom));
}

base::Result<std::unique_ptr<OomMonitor>> OomMonitor::start(const kernel::CgroupSet& cg,
                                                            std::function<void()> on_oom) {
  ASSIGN_OR_RETURN(kernel::OomWatch w, kernel::OomWatch::open(cg));
  auto st = std::make_shared<State>();
  st->watch = std::make_unique<kernel::OomWatch>(std::move(w));
  st->on_oom = std::move(on_oom);
  st->stop.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!st->stop.valid()) return base::sys_error("eventfd");
  TRY(base::start_detached([st] {
    for (;;) {
      pollfd p[2] = {{st->watch->fd(), POLLIN, 0}, {st->stop.get(), POLLIN, 0}};
      if (poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (p[1].revents) return;
      if (p[0].revents & (POLLERR | POLLNVAL)) return;
      st->report();
    }
  }));
  std::unique_ptr<OomMonitor> m(new OomMonitor);
  m->state_ = std::move(st);
  return m;
}

void OomMonitor::drain() {
  pollfd p{state_->watch->fd(), POLLIN, 0};
  if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) state_->report();
}

OomMonitor::~OomMonitor() {
  uint64_t one = 1;
  (void)!write(state_->stop.get(), &one, sizeof one);
}

}  // namespace shim
