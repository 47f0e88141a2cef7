#include "base/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "base/fd.h"

extern char** environ;

namespace base {

bool SpawnOutput::exited_ok() const {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string SpawnOutput::said() const {
  size_t end = err.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? std::string() : err.substr(0, end + 1);
}

namespace {

// posix_spawn's attributes and file actions, released on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

Result<SpawnOutput> run_captured(const std::vector<std::string>& argv, int timeout_ms,
                                 const std::atomic<bool>* stop, size_t max_output) {
  if (argv.empty()) return invalid("no command to run");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd err_r(err[0]), err_w(err[1]);
  SpawnSetup s;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setpgroup(&s.attr, 0);  // its own group: what it starts is killed with it
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&s.actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (int e = posix_spawnp(&pid, args[0], &s.actions, &s.attr, args.data(), environ); e != 0)
    return sys_error("cannot run `" + argv[0] + "`", e);
  out_w.reset();
  err_w.reset();
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  SpawnOutput r;
  const int64_t deadline = monotonic_ms() + timeout_ms;
  bool out_open = true, err_open = true;
  // Both pipes to their end (a grandchild holding them open past the child's exit runs into the
  // deadline too), then the child.
  while (out_open || err_open) {
    if (stop != nullptr && stop->load()) {
      kill(-pid, SIGKILL);
      reap(pid);
      return Error(Category::cancelled, "`" + argv[0] + "` was stopped");
    }
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      reap(pid);
      return Error(Category::deadline_exceeded, "`" + argv[0] + "` did not finish within " +
                                                    std::to_string(timeout_ms) +
                                                    " ms and was killed");
    }
    pollfd p[2] = {{out_open ? out_r.get() : -1, POLLIN, 0},
                   {err_open ? err_r.get() : -1, POLLIN, 0}};
    int n = poll(p, 2, static_cast<int>(std::min<int64_t>(left, stop ? 100 : left)));
    if (n < 0 && errno != EINTR) {
      int e = errno;
      kill(-pid, SIGKILL);
      reap(pid);
      return sys_error("poll", e);
    }
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (p[i].revents == 0) continue;
      char buf[8192];
      ssize_t got = read(p[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      std::string& dst = i == 0 ? r.out : r.err;
      if (got <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      dst.append(buf,
                 std::min(static_cast<size_t>(got), max_output - std::min(max_output, dst.size())));
    }
  }
  // The pipes closed: the child is exiting (or closed them itself: wait for it to the deadline).
  if (pidfd.valid()) {
    for (;;) {
      int64_t left = deadline - monotonic_ms();
      pollfd p = {pidfd.get(), POLLIN, 0};
      if (left > 0 && poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100))) == 0 &&
          !(stop != nullptr && stop->load()))
        continue;
      if (left <= 0 || (stop != nullptr && stop->load())) kill(-pid, SIGKILL);
      break;
    }
  }
  r.status = reap(pid);
  return r;
}

}  // namespace base
