#include "linux/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/fd.h"
#include "base/socket.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace kernel {

base::Status setup_console(int console_sock, const std::optional<oci::ConsoleSize>& size, uid_t uid,
                           gid_t gid) {
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
