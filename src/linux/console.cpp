#include "linux/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/fd.h"
#include "base/socket.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace kernel {

base::Status setup_console(int console_sock, const std::optional<oci::ConsoleSize>& size, uid_t uid,
                           gid_t gid, bool bind_console) {
  base::UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid())
    return base::sys_error("`process.terminal`: open /dev/ptmx inside the container");
  int unlock = 0;
  unsigned ptn = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) != 0 || ioctl(master.get(), TIOCGPTN, &ptn) != 0)
    return base::sys_error("`process.terminal`: unlock the pty");
  // The slave through the master (no path lookup that a mount could redirect).
  base::UniqueFd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.valid()) return base::sys_error("`process.terminal`: open the pty's slave");
  if (size && (size->height || size->width)) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (ioctl(slave.get(), TIOCSWINSZ, &ws) != 0)
      return base::sys_error("`process.consoleSize`: set the terminal's size");
  }
  if (fchown(slave.get(), uid, gid) != 0 && errno != EPERM && errno != EINVAL)
    return base::sys_error("`process.terminal`: give the pty to the process's user");
  char name[32];
  int len = snprintf(name, sizeof name, "/dev/pts/%u", ptn);
  if (bind_console) {
    // Inside the container's root (after pivot_root): a path the container made leads nowhere
    // outside it. The pty itself through the slave's fd, not its name.
    // O_EXCL: an existing /dev/console (a node) is bound over, never opened.
    int f =
        open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (f < 0 && errno != EEXIST) return base::sys_error("`process.terminal`: create /dev/console");
    if (f >= 0) {
      (void)fchmod(f, 0666);
      close(f);
    }
    std::string from = "/proc/self/fd/" + std::to_string(slave.get());
    if (mount(from.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
      return base::sys_error("`process.terminal`: bind the pty on /dev/console");
  }
  int fds[] = {master.get()};
  if (base::send_with_fds(console_sock, name, static_cast<size_t>(len), fds) != len)
    return base::sys_error("`--console-socket`: send the pty master");
  master.reset();
  close(console_sock);
  if (setsid() < 0) return base::sys_error("`process.terminal`: start a session");
  if (ioctl(slave.get(), TIOCSCTTY, 0) != 0)
    return base::sys_error("`process.terminal`: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (dup2(slave.get(), fd) != fd) return base::sys_error("`process.terminal`: stdio on the pty");
  return base::ok();
}

}  // namespace kernel
