#include "runtime/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/file.h"
#include "base/process.h"
#include "base/socket.h"

namespace runtime {

namespace {

// rune's own terminal in raw mode while it relays, restored when this goes out of scope.
class RawMode {
 public:
  explicit RawMode(bool on) {
    if (!on || !isatty(0) || tcgetattr(0, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(0, TCSANOW, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_size(int master) {
  winsize ws{};
  for (int fd : {0, 1, 2})
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
      ioctl(master, TIOCSWINSZ, &ws);
      return;
    }
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int wait_foreground(pid_t pid, const sigset_t& fwd, int master) {
  base::UniqueFd sfd(signalfd(-1, &fwd, SFD_CLOEXEC));
  RawMode raw(master >= 0);
  if (master >= 0) copy_size(master);
  bool in_open = master >= 0, out_open = master >= 0;
  char buf[16384];
  for (;;) {
    pollfd p[3] = {
        {sfd.get(), POLLIN, 0}, {out_open ? master : -1, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
    int r = poll(p, 3, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (p[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) {
          int status;
          if (waitpid(pid, &status, WNOHANG) == pid) {
            // What the process wrote before it ended is still in the pty: drain it.
            if (out_open) {
              fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
              ssize_t n;
              while ((n = read(master, buf, sizeof buf)) > 0 &&
                     base::write_all(1, {buf, static_cast<size_t>(n)})) {
              }
            }
            return exit_code(status);
          }
        } else if (sig == SIGWINCH) {
          if (master >= 0) copy_size(master);
        } else if (base::relayed_to_container(sig)) {
          ::kill(pid, sig);
        }
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        if (!base::write_all(1, {buf, static_cast<size_t>(n)})) out_open = false;
      } else if (n == 0 || errno != EINTR) {
        out_open = false;  // EIO: every slave is closed
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        if (!base::write_all(master, {buf, static_cast<size_t>(n)})) in_open = false;
      } else if (n == 0 || errno != EINTR) {
        in_open = false;
      }
    }
  }
  // poll failed: wait without relaying.
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code(status);
}

base::Status open_console(const std::string& console_socket, base::UniqueFd* to_process,
                          base::UniqueFd* relay) {
  if (!console_socket.empty()) {
    ASSIGN_OR_RETURN(*to_process, base::connect_unix(console_socket, "`--console-socket`"));
    return base::ok();
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return base::sys_error("make the terminal's socket");
  to_process->reset(sv[0]);
  relay->reset(sv[1]);
  return base::ok();
}

}  // namespace runtime
