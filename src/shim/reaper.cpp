#include "shim/reaper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "base/fd.h"
#include "base/log.h"
#include "base/thread.h"

extern char** environ;

namespace shim {
namespace {

constexpr size_t kMaxKept = 1024;

struct Reaper {
  std::atomic<bool> running{false};  // else run() waits for its child itself (`delete`)
  std::mutex mu;
  std::map<pid_t, std::function<void(const Exit&)>> watchers;
  std::map<pid_t, Exit> kept;  // exits nobody watched (yet)
};
Reaper& reaper() {
  static Reaper* r = new Reaper;  // never destroyed: the thread uses it until exit
  return *r;
}

void reap_all() {
  for (;;) {
    int ws = 0;
    pid_t pid = waitpid(-1, &ws, WNOHANG);
    if (pid <= 0) return;
    Exit e{pid, exit_status(ws), {}};
    clock_gettime(CLOCK_REALTIME, &e.at);
    std::function<void(const Exit&)> f;
    {
      std::lock_guard lock(reaper().mu);
      auto it = reaper().watchers.find(pid);
      if (it == reaper().watchers.end()) {
        if (reaper().kept.size() >= kMaxKept) reaper().kept.erase(reaper().kept.begin());
        reaper().kept[pid] = e;
        continue;
      }
      f = std::move(it->second);
      reaper().watchers.erase(it);
    }
    f(e);
  }
}

}  // namespace

int exit_status(int ws) {
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
  return 255;
}

base::Status start_reaper() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return base::sys_error("sigprocmask");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return base::sys_error("cannot become a subreaper");
  reaper().running = true;
  return base::start_detached([set] {
    for (;;) {
      siginfo_t si;
      // A timeout as well: a SIGCHLD that coalesced with one already taken costs at most 1 s.
      timespec ts{1, 0};
      sigtimedwait(&set, &si, &ts);
      reap_all();
    }
  });
}

void watch(pid_t pid, std::function<void(const Exit&)> on_exit) {
  std::optional<Exit> done;
  {
    std::lock_guard lock(reaper().mu);
    auto it = reaper().kept.find(pid);
    if (it != reaper().kept.end()) {
      done = it->second;
      reaper().kept.erase(it);
    } else {
      reaper().watchers[pid] = std::move(on_exit);
      return;
    }
  }
  on_exit(*done);
}

base::Result<pid_t> spawn(const std::vector<std::string>& argv_in, const std::vector<int>& fds,
                          char* const* envp) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (size_t i = 0; i < fds.size(); i++) posix_spawn_file_actions_adddup2(&fa, fds[i], int(i));
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : argv_in) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return base::sys_error("cannot run `" + argv_in[0] + "`", err);
  return pid;
}

base::Result<Output> run(const Command& cmd) {
  if (cmd.argv.empty()) return base::invalid("an empty command");
  base::UniqueFd out_r, out_w, err_r, err_w;
  int p[2];
  if (cmd.stdout_fd < 0) {
    if (pipe2(p, O_CLOEXEC) != 0) return base::sys_error("pipe");
    out_r.reset(p[0]);
    out_w.reset(p[1]);
  }
  if (cmd.stderr_fd < 0) {
    if (pipe2(p, O_CLOEXEC) != 0) return base::sys_error("pipe");
    err_r.reset(p[0]);
    err_w.reset(p[1]);
  }
  base::UniqueFd null;
  if (cmd.stdin_fd < 0) null.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));

  // The exit is delivered through the reaper (kept if it comes before watch()).
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Exit> exit;
  };
  auto w = std::make_shared<Waiter>();
  ASSIGN_OR_RETURN(pid_t pid, spawn(cmd.argv,
                                    {cmd.stdin_fd >= 0 ? cmd.stdin_fd : null.get(),
                                     cmd.stdout_fd >= 0 ? cmd.stdout_fd : out_w.get(),
                                     cmd.stderr_fd >= 0 ? cmd.stderr_fd : err_w.get()},
                                    environ));
  auto on_exit = [w](const Exit& e) {
    std::lock_guard lock(w->mu);
    w->exit = e;
    w->cv.notify_all();
  };
  if (reaper().running) {
    watch(pid, on_exit);
  } else {
    // No reaper (the `delete` action): a thread waits for this one child.
    TRY(base::start_detached([pid, on_exit] {
      int ws = 0;
      while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
      }
      Exit e{pid, exit_status(ws), {}};
      clock_gettime(CLOCK_REALTIME, &e.at);
      on_exit(e);
    }));
  }
  out_w.reset();
  err_w.reset();

  Output o;
  // Read both pipes until EOF (a daemonized grandchild holding them is cut off by the timeout).
  int64_t waited = 0;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    if (out_r.valid()) fds.push_back({out_r.get(), POLLIN, 0});
    if (err_r.valid()) fds.push_back({err_r.get(), POLLIN, 0});
    if (fds.empty()) break;
    int step = 100;
    int rc = poll(fds.data(), fds.size(), step);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) {
      waited += step;
      bool exited;
      {
        std::lock_guard lock(w->mu);
        exited = w->exit.has_value();
      }
      // The command is gone but something it started holds its pipes: stop reading.
      if (exited && waited > 2000) break;
      if (cmd.timeout_ms >= 0 && waited > cmd.timeout_ms && !exited) kill(pid, SIGKILL);
      continue;
    }
    for (auto& f : fds) {
      if (!f.revents) continue;
      char buf[8192];
      ssize_t n = read(f.fd, buf, sizeof buf);
      bool is_out = out_r.valid() && f.fd == out_r.get();
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        (is_out ? out_r : err_r).reset();
        continue;
      }
      (is_out ? o.out : o.err).append(buf, size_t(n));
    }
  }
  std::unique_lock lock(w->mu);
  if (cmd.timeout_ms >= 0) {
    if (!w->cv.wait_for(lock, std::chrono::milliseconds(cmd.timeout_ms + 1000),
                        [&] { return w->exit.has_value(); })) {
      kill(pid, SIGKILL);
      w->cv.wait(lock, [&] { return w->exit.has_value(); });
    }
  } else {
    w->cv.wait(lock, [&] { return w->exit.has_value(); });
  }
  o.status = w->exit->status;
  return o;
}

}  // namespace shim
