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

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s SOCKET STATE_FILE ERRNO\n", argv[0]);
    return 2;
  }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  unlink(argv[1]);
  if (bind(s, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(s, 1) != 0) {
    perror("bind/listen");
    return 1;
  }
  int c = accept(s, NULL, NULL);
  if (c < 0) {
    perror("accept");
    return 1;
  }
  static char buf[1 << 16];
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, sizeof buf - 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(c, &msg, 0);
  if (n < 0) {
    perror("recvmsg");
    return 1;
  }
  int fd = -1;
  for (struct cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
      memcpy(&fd, CMSG_DATA(h), sizeof fd);
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
