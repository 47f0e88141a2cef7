/*
 * The children a PAL created, shared by the reference runtimes.
 *
 * Thread model: every PAL entry point may run on its own thread. The table is protected by its
 * own mutex, which is never held while blocking in a wait. A child is reaped (waitpid) only with
 * the mutex held, after a blocking waitid(WNOWAIT) has seen it exit, so a pid in the table that is
 * not marked reaped is either alive or a zombie: kill() on it never hits a recycled pid.
 */
#ifndef RT_CHILDREN_H
#define RT_CHILDREN_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct rt_child {
  struct rt_child* next;
  uint64_t serial; /* unique per table, identifies the entry across unlocked waits */
  pid_t pid;
  int reaped; /* status below is valid */
  int status; /* wait(2) status, or -1 if something outside the PAL reaped the child */
} rt_child;

typedef struct rt_children {
  pthread_mutex_t mu;
  rt_child* head; /* newest first */
  uint64_t next_serial;
} rt_children;

#define RT_CHILDREN_INIT \
  { PTHREAD_MUTEX_INITIALIZER, NULL, 1 }

/* Runs in the forked child; must not return (exec or _exit). Only async-signal-safe calls. */
typedef void (*rt_child_fn)(void* ctx);

/* Forks with the table locked (so pal_destroy cannot miss the new child) and every signal blocked
 * (the child unblocks them once its dispositions are reset), registers the child and returns its
 * pid, or -errno. */
pid_t rt_children_spawn(rt_children* c, rt_child_fn fn, void* ctx);

/* The same for a child that execs (or exits) right after its set-up: it shares the caller's
 * memory on a stack of its own (clone CLONE_VM | CLONE_VFORK, as posix_spawn) and the calling
 * thread waits until it has exec'd. `fn` may only write its own stack: it must not take locks,
 * allocate, or change data the caller's other threads use. */
pid_t rt_children_spawn_exec(rt_children* c, rt_child_fn fn, void* ctx);

/* Waits for `pid` (the newest entry with that pid) to exit, reaps it if nobody did and removes the
 * entry. Returns 0 and the wait status, -ESRCH for a pid that is not in the table (or that another
 * waiter consumed first), -ECHILD if something outside the PAL reaped it. */
int rt_children_wait(rt_children* c, pid_t pid, int* status);

/* Selects the targets (pid -1: every live child, 0: the newest live child, >0: that live child),
 * calls before(ctx, ret) with the table locked and ret already known (0 or -ESRCH; -1 with no live
 * child is 0), then signals the targets, each with its process group (what it started). Returns
 * ret. before may be NULL. */
int rt_children_kill(rt_children* c, pid_t pid, int sig, void (*before)(void* ctx, int ret),
                     void* ctx);

/* SIGKILLs every live child and reaps them all; the entries stay (reaped) for a later wait. */
void rt_children_kill_all_and_reap(rt_children* c);

/* Frees the table (library unload). */
void rt_children_free(rt_children* c);

/* exit code of a wait status: WEXITSTATUS, or 128 + signal. */
int rt_exit_value(int status);

#endif /* RT_CHILDREN_H */
