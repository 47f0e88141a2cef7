/*
 * Checks from the outside that a liberpal-sim workload cannot be inspected by a same-uid process
 * without CAP_SYS_PTRACE, and that the check itself can tell: the same attempts on a plain child
 * must succeed.
 *
 *   sim_ptrace_check LIBERPAL_SIM PROBE
 *
 * Drops CAP_SYS_PTRACE from every set (the bounding set too, so that the workloads it starts lack
 * it as well: otherwise the commoncap rule "the target's permitted set must be a subset of the
 * caller's" refuses every attempt whatever the dumpable state). Then it starts `PROBE wait` twice,
 * as a plain child and through liberpal-sim, and tries PTRACE_ATTACH, open(/proc/PID/mem),
 * process_vm_readv and readlink(/proc/PID/exe) on each. Prints one line per attempt; exits 0 if
 * the plain child allowed all and the sim workload refused all, 1 if not, 77 if it cannot drop
 * the capability.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inclavare/pal.h"

static int drop_sys_ptrace(void) {
  /* Run without CAP_SYS_PTRACE anywhere (e.g. as an ordinary user): nothing to drop. */
  if (prctl(PR_CAPBSET_READ, CAP_SYS_PTRACE, 0, 0, 0) == 1 &&
      prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) != 0)
    return -1;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) != 0) return -1;
  const int word = CAP_SYS_PTRACE / 32;
  const uint32_t bit = 1u << (CAP_SYS_PTRACE % 32);
  data[word].effective &= ~bit;
  data[word].permitted &= ~bit;
  data[word].inheritable &= ~bit;
  return (int)syscall(SYS_capset, &hdr, data);
}

/* Waits for "ready" on fd. */
static int wait_ready(int fd) {
  char buf[16];
  size_t got = 0;
  while (got < 6) {
    ssize_t n = read(fd, buf + got, sizeof buf - got);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return strncmp(buf, "ready\n", 6) == 0 ? 0 : -1;
}

/* Each attempt: 1 if allowed, 0 if refused (errno printed). */
static int try_all(const char* who, pid_t pid, int* allowed, int* refused) {
  char path[64];
  int results[4];
  int errs[4];

  errno = 0;
  if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0) {
    int st;
    waitpid(pid, &st, 0);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    results[0] = 1;
  } else {
    results[0] = 0;
  }
  errs[0] = errno;

  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  errno = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  results[1] = fd >= 0;
  errs[1] = errno;
  if (fd >= 0) close(fd);

  char byte;
  struct iovec local = {&byte, 1}, remote = {(void*)0x400000, 1};
  errno = 0;
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  /* EFAULT means the access check passed (the address just is not mapped) */
  results[2] = n >= 0 || errno == EFAULT;
  errs[2] = errno;

  char target[256];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
  errno = 0;
  results[3] = readlink(path, target, sizeof target) >= 0;
  errs[3] = errno;

  static const char* const names[] = {"ptrace_attach", "open_mem", "process_vm_readv",
                                      "readlink_exe"};
  for (int i = 0; i < 4; i++) {
    printf("%s %s=%s", who, names[i], results[i] ? "allowed" : "refused");
    if (!results[i] || errs[i]) printf(" (%s)", strerror(errs[i]));
    printf("\n");
    *allowed += results[i];
    *refused += !results[i];
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LIBERPAL_SIM PROBE\n", argv[0]);
    return 2;
  }
  if (drop_sys_ptrace() != 0) {
    printf("cannot drop CAP_SYS_PTRACE: %s\n", strerror(errno));
    return 77;
  }
  char* const probe_argv[] = {"sim_probe", "wait", NULL};
  int ok = 1;

  /* Control: a plain child. */
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return 2;
  pid_t plain = fork();
  if (plain == 0) {
    dup2(p[1], 1);
    execv(argv[2], probe_argv);
    _exit(127);
  }
  close(p[1]);
  if (wait_ready(p[0]) != 0) {
    printf("plain probe did not start\n");
    return 2;
  }
  int allowed = 0, refused = 0;
  try_all("plain", plain, &allowed, &refused);
  ok &= refused == 0;
  kill(plain, SIGKILL);
  waitpid(plain, NULL, 0);
  close(p[0]);

  /* The sim workload. */
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    printf("dlopen: %s\n", dlerror());
    return 2;
  }
  pal_init_v3_fn init = (pal_init_v3_fn)dlsym(h, "pal_init");
  pal_create_process_fn create = (pal_create_process_fn)dlsym(h, "pal_create_process");
  pal_destroy_fn destroy = (pal_destroy_fn)dlsym(h, "pal_destroy");
  pal_attr_v3_t attr = {{"quiet", "error"}, -1, 0};
  if (!init || !create || !destroy || init(&attr) != 0) {
    printf("pal_init failed\n");
    return 2;
  }
  if (pipe2(p, O_CLOEXEC) != 0) return 2;
  pal_stdio_fds stdio = {open("/dev/null", O_RDONLY | O_CLOEXEC), p[1], dup(2)};
  int pid = 0;
  struct pal_create_process_args cp = {argv[2], (char**)probe_argv, environ, &stdio, &pid};
  if (create(&cp) != 0) {
    printf("pal_create_process failed\n");
    return 2;
  }
  if (wait_ready(p[0]) != 0) {
    printf("sim probe did not start\n");
    destroy();
    return 2;
  }
  allowed = refused = 0;
  try_all("sim", pid, &allowed, &refused);
  ok &= allowed == 0;
  destroy();
  close(p[0]);
  return ok ? 0 : 1;
}
