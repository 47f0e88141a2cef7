/* cve_probe: what a hostile process in a container tries against rune (CVE-2019-5736,
 * CVE-2024-21626), for tests/integration/security.sh. Static, for busybox-static rootfs.
 *
 *   cve_probe fds PID              each descriptor of PID (or "self") as "N TARGET" (or "N !ERROR"
 *                                  when the link cannot be read), one a line, without the one it
 *                                  reads the list through
 *   cve_probe reopen PATH SECS LOG tries to open PATH for writing (appending) every 10 ms for SECS
 *                                  seconds; on success appends "PWNED" and logs "reopen: WROTE";
 *                                  else logs "reopen: failed: <last error>"
 *   cve_probe steal PATH SECS LOG  opens PATH (/proc/1/exe) O_PATH, logging "steal: opened" or
 *                                  "steal: refused: <error>"; if it opened, reopen as above on
 *                                  /proc/self/fd/N
 * Exit 0 always; the test judges the logs (and the binary's hash). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void logf_line(const char* log, const char* fmt, const char* a, const char* b) {
  FILE* f = fopen(log, "a");
  if (!f) f = stderr;
  fprintf(f, fmt, a, b);
  fputc('\n', f);
  if (f != stderr) fclose(f);
}

static int reopen(const char* path, int secs, const char* log) {
  int err = 0;
  for (int i = 0; i < secs * 100; i++) {
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd >= 0) {
      ssize_t n = write(fd, "PWNED\n", 6);
      close(fd);
      logf_line(log, "reopen: WROTE %s (%s)", path, n == 6 ? "6 bytes" : strerror(errno));
      return 0;
    }
    err = errno;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  logf_line(log, "reopen: failed: %s: %s", path, strerror(err));
  return 0;
}

static int fds(const char* pid) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
  DIR* d = opendir(dir);
  if (!d) {
    printf("error %s\n", strerror(errno));
    return 0;
  }
  int self = strcmp(pid, "self") == 0 || atoi(pid) == getpid();
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (self && atoi(e->d_name) == dirfd(d)) continue;
    char link[400], target[4096];
    snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
      snprintf(target, sizeof target, "!%s", strerror(errno));
    else
      target[n] = '\0';
    printf("%s %s\n", e->d_name, target);
  }
  closedir(d);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "fds") == 0) return fds(argv[2]);
  if (argc == 5 && strcmp(argv[1], "reopen") == 0) return reopen(argv[2], atoi(argv[3]), argv[4]);
  if (argc == 5 && strcmp(argv[1], "steal") == 0) {
    int fd = open(argv[2], O_PATH);
    if (fd < 0) {
      logf_line(argv[4], "steal: refused: %s: %s", argv[2], strerror(errno));
      return 0;
    }
    logf_line(argv[4], "steal: opened %s%s", argv[2], "");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return reopen(path, atoi(argv[3]), argv[4]);
  }
  fprintf(stderr, "usage: cve_probe fds PID | reopen PATH SECS LOG | steal PATH SECS LOG\n");
  return 2;
}
