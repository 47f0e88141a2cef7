// A seccomp notify listener for the integration tests (runs on the host):
//   seccomp_listener SOCKET STATE_FILE ERRNO
// Listens on the unix socket SOCKET, takes one connection, writes the ContainerProcessState it
// receives to STATE_FILE (with "fd=yes" on a last line when a file descriptor came with it),
// then answers every notified system call with -ERRNO until the filter's last user is gone.
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "receive_fd.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s SOCKET STATE_FILE ERRNO\n", argv[0]);
    return 2;
  }
  static char buf[1 << 16];
  int fd;
  ssize_t n = receive_fd(argv[1], buf, sizeof buf - 1, &fd);
  if (n < 0) return 1;
  FILE* f = fopen(argv[2], "w");
  if (!f) return 1;
  fwrite(buf, 1, (size_t)n, f);
  fprintf(f, "\n%s\n", fd >= 0 ? "fd=yes" : "fd=no");
  fclose(f);
  if (fd < 0) return 1;
  int err = atoi(argv[3]);
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR) continue;
      return 0;  // no process uses the filter any more
    }
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.error = -err;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}
