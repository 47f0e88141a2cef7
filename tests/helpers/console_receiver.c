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

#include "receive_fd.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s SOCKET OUT_FILE [INPUT]\n", argv[0]);
    return 2;
  }
  char name[256] = {0};
  int master;
  ssize_t n = receive_fd(argv[1], name, sizeof name - 1, &master);
  if (n <= 0 || master < 0) {
    fprintf(stderr, "console_receiver: no descriptor came with the message\n");
    return 1;
  }
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
