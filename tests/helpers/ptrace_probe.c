/* ptrace_probe PID: tries what a hostile process in the same container would do to PID and
 * prints one line per attempt: "ptrace_attach errno=N", "proc_mem errno=N" (0 = it worked),
 * plus this process's own "Seccomp:" line. Exit 0 always; the test judges the output.
 * Built static so that it runs in a busybox-static rootfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ptrace_probe PID\n");
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  errno = 0;
  long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
  printf("ptrace_attach errno=%d\n", r == 0 ? 0 : errno);
  if (r == 0) {
    waitpid(pid, NULL, 0);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDONLY);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    char b;
    if (pread(fd, &b, 1, 0x400000) < 0 && errno != EIO) err = errno;
    close(fd);
  }
  printf("proc_mem errno=%d\n", err);
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "Seccomp:", 8) == 0) fputs(line, stdout);
  if (f) fclose(f);
  return 0;
}
