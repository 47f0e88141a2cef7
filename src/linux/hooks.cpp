#include "linux/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"
#include "linux/dmz.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace kernel {

namespace {

int64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           sigabbrev_np(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

base::Status run_hook(const oci::Hook& hook, const std::string& state, const std::string& field,
                      int dmz_fd) {
  const std::string who = "`" + field + "` (`" + hook.path + "`)";
  // stdin is a socket, not a pipe: a hook that does not read its state must not SIGPIPE rune.
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    return base::sys_error(who + ": socketpair");
  base::UniqueFd in_parent(in[0]), in_child(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return base::sys_error(who + ": pipe");
  base::UniqueFd out_read(out[0]), out_write(out[1]);

  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return base::sys_error(who + ": fork");
  if (pid == 0) {
    dup2(in_child.get(), 0);
    dup2(out_write.get(), 1);
    dup2(out_write.get(), 2);
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dmz_fd >= 0)
      exec_through_dmz(dmz_fd, -1, hook.path.c_str(), argv.data(), envp.data());
    else
      execve(hook.path.c_str(), argv.data(), envp.data());
    dprintf(2, "exec: %s", strerror(errno));
    _exit(127);
  }
  in_child.reset();
  out_write.reset();
  // The state is small: one send, then EOF for the hook.
  (void)!send(in_parent.get(), state.data(), state.size(), MSG_NOSIGNAL);
  shutdown(in_parent.get(), SHUT_WR);

  base::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  const int64_t deadline = hook.timeout ? now_ms() + int64_t{*hook.timeout} * 1000 : -1;
  std::string output;
  bool exited = false, timed_out = false;
  while (!exited) {
    pollfd fds[2] = {{out_read.valid() ? out_read.get() : -1, POLLIN, 0},
                     {pidfd.valid() ? pidfd.get() : -1, POLLIN, 0}};
    int timeout = deadline < 0 ? (pidfd.valid() ? -1 : 50)
                               : static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
    if (!pidfd.valid() && timeout > 50) timeout = 50;
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[1024];
      ssize_t r = read(out_read.get(), buf, sizeof buf);
      if (r > 0) {
        output.append(buf, static_cast<size_t>(r));
        if (output.size() > 4096) output.erase(0, output.size() - 4096);  // keep the end
      } else if (r == 0) {
        out_read.reset();
      }
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      if (out_read.valid()) {  // what is left of its output
        char buf[1024];
        ssize_t r;
        while ((r = read(out_read.get(), buf, sizeof buf)) > 0) output.append(buf, size_t(r));
      }
      while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return base::ok();
      return base::Error(base::Category::failed_precondition,
                         who + " " + describe(status) +
                             (output.empty() ? "" : "; it printed: " + base::clip(output, 512)));
    }
    if (deadline >= 0 && now_ms() >= deadline) {
      timed_out = true;
      break;
    }
  }
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return base::Error(base::Category::deadline_exceeded,
                       who + " did not finish within its timeout of " +
                           std::to_string(*hook.timeout) + " s; killed",
                       ETIMEDOUT);
  return base::sys_error(who + ": wait");
}

base::Status run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state,
                       const std::string& kind, int dmz_fd) {
  for (size_t i = 0; i < hooks.size(); ++i)
    TRY(run_hook(hooks[i], state, "hooks." + kind + "[" + std::to_string(i) + "]", dmz_fd));
  return base::ok();
}

}  // namespace kernel
