#define _GNU_SOURCE
#include "children.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int rt_exit_value(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

static rt_child* find_pid(rt_children* c, pid_t pid) {
  for (rt_child* e = c->head; e; e = e->next)
    if (e->pid == pid) return e;
  return NULL;
}

static rt_child* find_serial(rt_children* c, uint64_t serial) {
  for (rt_child* e = c->head; e; e = e->next)
    if (e->serial == serial) return e;
  return NULL;
}

static void unlink_entry(rt_children* c, rt_child* victim) {
  for (rt_child** p = &c->head; *p; p = &(*p)->next) {
    if (*p == victim) {
      *p = victim->next;
      free(victim);
      return;
    }
  }
}

struct vfork_call {
  rt_child_fn fn;
  void* ctx;
};

static int vfork_entry(void* p) {
  const struct vfork_call* call = p;
  call->fn(call->ctx);
  _exit(127);
}

enum { VFORK_STACK = 256 * 1024 };

static pid_t spawn(rt_children* c, rt_child_fn fn, void* ctx, int share_vm) {
  rt_child* e = calloc(1, sizeof *e);
  if (!e) return -ENOMEM;
  void* stack = NULL;
  if (share_vm) {
    stack = mmap(NULL, VFORK_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
    if (stack == MAP_FAILED) {
      free(e);
      return -ENOMEM;
    }
  }
  /* All signals blocked across fork: one sent to the child before it has reset the caller's
   * dispositions stays pending instead of being ignored or running a caller's handler there. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_mutex_lock(&c->mu);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid;
  if (share_vm) {
    /* The caller's thread is suspended until the child has exec'd (or exited): no copy of the
     * caller's page tables, which in a big runtime process costs more than the exec. */
    struct vfork_call call = {fn, ctx};
    pid = clone(vfork_entry, (char*)stack + VFORK_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &call);
  } else {
    pid = fork();
    if (pid == 0) {
      fn(ctx);
      _exit(127);
    }
  }
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (stack) munmap(stack, VFORK_STACK);
  if (pid < 0) {
    int err = fork_errno;
    pthread_mutex_unlock(&c->mu);
    free(e);
    return -err;
  }
  e->pid = pid;
  e->serial = c->next_serial++;
  e->next = c->head;
  c->head = e;
  pthread_mutex_unlock(&c->mu);
  return pid;
}

pid_t rt_children_spawn(rt_children* c, rt_child_fn fn, void* ctx) {
  return spawn(c, fn, ctx, 0);
}

pid_t rt_children_spawn_exec(rt_children* c, rt_child_fn fn, void* ctx) {
  return spawn(c, fn, ctx, 1);
}

/* Waits for the entry `serial` to have exited and makes sure it is reaped. With the table locked
 * on return; returns the entry, or NULL if it disappeared (another waiter consumed it). */
static rt_child* wait_reaped_locked(rt_children* c, uint64_t serial, pid_t pid) {
  for (;;) {
    pthread_mutex_lock(&c->mu);
    rt_child* e = find_serial(c, serial);
    if (!e || e->reaped) return e;
    pthread_mutex_unlock(&c->mu);

    /* Block without reaping: the zombie keeps the pid reserved until we reap it under the lock. */
    siginfo_t si;
    int r;
    do {
      r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    } while (r < 0 && errno == EINTR);

    pthread_mutex_lock(&c->mu);
    e = find_serial(c, serial);
    if (!e || e->reaped) return e;
    int status = 0;
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) {
      e->reaped = 1;
      e->status = status;
      return e;
    }
    if (got < 0 && errno == ECHILD) {
      /* Someone outside the PAL (e.g. a waitpid(-1) in the caller) took the status. */
      e->reaped = 1;
      e->status = -1;
      return e;
    }
    pthread_mutex_unlock(&c->mu);
  }
}

int rt_children_wait(rt_children* c, pid_t pid, int* status) {
  pthread_mutex_lock(&c->mu);
  rt_child* e = find_pid(c, pid);
  if (!e || pid <= 0) {
    pthread_mutex_unlock(&c->mu);
    return -ESRCH;
  }
  uint64_t serial = e->serial;
  pthread_mutex_unlock(&c->mu);

  e = wait_reaped_locked(c, serial, pid);
  if (!e) {
    pthread_mutex_unlock(&c->mu);
    return -ESRCH;
  }
  int st = e->status;
  unlink_entry(c, e);
  pthread_mutex_unlock(&c->mu);
  if (st == -1) return -ECHILD;
  *status = st;
  return 0;
}

/* A child and what it started: its process group (it leads a session of its own, see
 * rt_child_basic_setup), so that a Ctrl-C the runelet passes on reaches the shell's foreground
 * command too, as a terminal's would. Before the child has called setsid, the child alone. */
static void signal_child(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

int rt_children_kill(rt_children* c, pid_t pid, int sig, void (*before)(void* ctx, int ret),
                     void* ctx) {
  pthread_mutex_lock(&c->mu);
  rt_child* target = NULL;
  int ret = 0;
  if (pid == 0) {
    for (rt_child* e = c->head; e && !target; e = e->next)
      if (!e->reaped) target = e;
    if (!target) ret = -ESRCH;
  } else if (pid > 0) {
    for (rt_child* e = c->head; e && !target; e = e->next)
      if (e->pid == pid && !e->reaped) target = e;
    if (!target) ret = -ESRCH;
  } else if (pid != -1) {
    ret = -ESRCH;
  }
  if (before) before(ctx, ret);
  if (ret == 0) {
    if (pid == -1) {
      for (rt_child* e = c->head; e; e = e->next)
        if (!e->reaped) signal_child(e->pid, sig);
    } else {
      signal_child(target->pid, sig);
    }
  }
  pthread_mutex_unlock(&c->mu);
  return ret;
}

void rt_children_kill_all_and_reap(rt_children* c) {
  pthread_mutex_lock(&c->mu);
  for (rt_child* e = c->head; e; e = e->next)
    if (!e->reaped) kill(e->pid, SIGKILL);
  pthread_mutex_unlock(&c->mu);
  /* One at a time, with no allocation; a child spawned meanwhile is killed here too. */
  for (;;) {
    pthread_mutex_lock(&c->mu);
    rt_child* e = c->head;
    while (e && e->reaped) e = e->next;
    if (!e) {
      pthread_mutex_unlock(&c->mu);
      return;
    }
    kill(e->pid, SIGKILL);
    uint64_t serial = e->serial;
    pid_t pid = e->pid;
    pthread_mutex_unlock(&c->mu);
    wait_reaped_locked(c, serial, pid);
    pthread_mutex_unlock(&c->mu);
  }
}

void rt_children_free(rt_children* c) {
  pthread_mutex_lock(&c->mu);
  while (c->head) {
    rt_child* e = c->head;
    c->head = e->next;
    free(e);
  }
  pthread_mutex_unlock(&c->mu);
}
