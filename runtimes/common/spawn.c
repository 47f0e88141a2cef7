#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int rt_child_basic_setup(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
  if (getppid() != parent) _exit(127); /* the forking thread's process is already gone */
  /* A session of its own: the process belongs to the enclave, not to the host's job control. A
   * terminal the container has (the runelet's controlling one) signals only the runelet, which
   * passes SIGINT, SIGQUIT, SIGWINCH, SIGHUP on through pal_kill, so none arrives twice; and the
   * process reads its terminal without being a background job (no SIGTTIN). */
  if (setsid() < 0) return errno;

  /* Exec resets handlers but keeps ignored signals and the mask. Reset handlers here too: the
   * mask is lifted before exec, and the caller's handlers must not run in this child. Signals
   * sent meanwhile stayed pending (blocked since fork) and now get their default action. */
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0) continue; /* glibc-internal signals */
    if (old.sa_handler != SIG_DFL) {
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigaction(sig, &dfl, NULL);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  return 0;
}

int rt_child_setup_stdio(const pal_stdio_fds* stdio) {
  const int want[3] = {stdio->stdin, stdio->stdout, stdio->stderr};
  int tmp[3] = {-1, -1, -1};
  /* First move every source above 2 (close-on-exec copies), so that a dup2 onto 0, 1 or 2 never
   * clobbers a source still needed; dup2 from a different fd also clears close-on-exec. */
  for (int i = 0; i < 3; i++) {
    if (want[i] < 0) continue;
    tmp[i] = fcntl(want[i], F_DUPFD_CLOEXEC, 3);
    if (tmp[i] < 0) return errno;
  }
  for (int i = 0; i < 3; i++) {
    if (tmp[i] < 0) continue;
    if (dup2(tmp[i], i) < 0) return errno;
  }
  return 0;
}

void rt_child_close_fds(int cloexec_only) {
  unsigned flags = cloexec_only ? CLOSE_RANGE_CLOEXEC : 0;
  if (syscall(SYS_close_range, 3u, ~0u, flags) == 0) return;
  /* Older kernel or a seccomp profile that refuses close_range. */
  struct rlimit rl;
  long max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < (rlim_t)max)
    max = (long)rl.rlim_cur;
  for (long fd = 3; fd < max; fd++) {
    if (cloexec_only)
      fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    else
      close((int)fd);
  }
}

static size_t append(char* buf, size_t pos, size_t cap, const char* s) {
  while (*s && pos + 1 < cap) buf[pos++] = *s++;
  buf[pos] = '\0';
  return pos;
}

void rt_child_report_error(const char* prefix, const char* what, const char* path, int err) {
  char buf[4096 + 256];
  const char* desc = strerrordesc_np(err); /* no locale, no lock: safe after fork */
  size_t n = 0;
  n = append(buf, n, sizeof buf - 1, prefix);
  n = append(buf, n, sizeof buf - 1, ": ");
  n = append(buf, n, sizeof buf - 1, what);
  n = append(buf, n, sizeof buf - 1, " ");
  n = append(buf, n, sizeof buf - 1, path ? path : "(null)");
  n = append(buf, n, sizeof buf - 1, ": ");
  n = append(buf, n, sizeof buf - 1, desc ? desc : "unknown error");
  buf[n++] = '\n';
  ssize_t w = write(2, buf, n);
  (void)w;
}

void rt_close_stdio(const pal_stdio_fds* stdio) {
  if (!stdio) return;
  const int fds[3] = {stdio->stdin, stdio->stdout, stdio->stderr};
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0) continue;
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= fds[j] == fds[i];
    if (!seen) close(fds[i]);
  }
}
