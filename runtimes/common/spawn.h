/* Child-side set-up shared by the reference runtimes. Everything in the rt_child_* functions is
 * async-signal-safe: they run between fork and exec of a possibly multi-threaded caller. */
#ifndef RT_SPAWN_H
#define RT_SPAWN_H

#include <sys/types.h>

#include "inclavare/pal.h"

/* Dies with the thread that forked it (PR_SET_PDEATHSIG), and at once if that parent is already
 * gone; leads a session of its own (no controlling terminal: the caller's terminal signals reach
 * the caller, which relays them by pal_kill); resets every signal disposition to its default and unblocks all signals (rt_children_spawn
 * forks with all blocked), so the workload starts like any freshly exec'd process whatever the
 * caller's threads had set. Returns 0 or errno. */
int rt_child_basic_setup(pid_t parent);

/* Puts the given fds on 0, 1, 2. Any of them may already be 0, 1 or 2, or two of them may be the
 * same fd; a negative fd leaves that slot as inherited. Returns 0 or errno. */
int rt_child_setup_stdio(const pal_stdio_fds* stdio);

/* Closes (cloexec_only = 0) or marks close-on-exec (cloexec_only = 1) every fd >= 3. */
void rt_child_close_fds(int cloexec_only);

/* Writes "<prefix>: <what> <path>: <error description>\n" to fd 2, e.g. what = "exec". */
void rt_child_report_error(const char* prefix, const char* what, const char* path, int err);

/* Parent side: closes the distinct non-negative fds of *stdio (the runtime's to keep). */
void rt_close_stdio(const pal_stdio_fds* stdio);

#endif /* RT_SPAWN_H */
