// The receiving end of `--console-socket` for the integration tests (runs on the host), as
// go-runc and conmon are:
//   console_receiver SOCKET OUT_FILE [INPUT]
// Listens on the unix socket SOCKET and takes one connection and one message: the pty's path as
// data and the master attached (SCM_RIGHTS). Writes "name=<path>" and "size=<rows>x<cols>" (the
// pty's size as rune set it) to OUT_FILE, writes INPUT (if given) to the master, then copies
// everything the pty outputs to stdout until every slave is closed.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s SOCKET OUT_FILE [INPUT]\n", argv[0]);
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
  char name[256] = {0};
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {name, sizeof name - 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(c, &msg, 0);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (n <= 0 || !cm || cm->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "console_receiver: no descriptor came with the message\n");
    return 1;
  }
  int master;
  memcpy(&master, CMSG_DATA(cm), sizeof master);
  struct winsize ws = {0};
  ioctl(master, TIOCGWINSZ, &ws);
  FILE* out = fopen(argv[2], "w");
  if (!out) {
    perror(argv[2]);
    return 1;
  }
  fprintf(out, "name=%s\nsize=%ux%u\n", name, ws.ws_row, ws.ws_col);
  fclose(out);
  if (argc == 4 && write(master, argv[3], strlen(argv[3])) < 0) perror("write");
  char buf[4096];
  for (;;) {
    n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO: the last slave closed
    if (write(1, buf, (size_t)n) < 0) break;
  }
  return 0;
}
