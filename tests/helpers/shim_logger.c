/* A binary:// logger for the shim's tests, as containerd defines them: the container's stdout
 * on fd 3, stderr on fd 4, fd 5 closed once ready. `shim_logger out PATH` appends stdout to PATH
 * and stderr to PATH.err, after a first line "CONTAINER_ID=<id> CONTAINER_NAMESPACE=<ns> env=<n>"
 * (n: how many variables its environment holds). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3 || strcmp(argv[1], "out") != 0) return 2;
  char err_path[4096];
  snprintf(err_path, sizeof err_path, "%s.err", argv[2]);
  int out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0600);
  int err = open(err_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (out < 0 || err < 0) return 3;
  int n = 0;
  while (environ[n]) n++;
  dprintf(out, "CONTAINER_ID=%s CONTAINER_NAMESPACE=%s env=%d\n", getenv("CONTAINER_ID"),
          getenv("CONTAINER_NAMESPACE"), n);
  close(5); /* ready */
  struct pollfd p[2] = {{3, POLLIN, 0}, {4, POLLIN, 0}};
  int to[2] = {out, err}, open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(p, 2, -1) < 0) return 4;
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      ssize_t r = read(p[i].fd, buf, sizeof buf);
      if (r <= 0) {
        p[i].fd = -1;
        open_fds--;
        continue;
      }
      if (write(to[i], buf, (size_t)r) != r) return 5;
    }
  }
  return 0;
}
