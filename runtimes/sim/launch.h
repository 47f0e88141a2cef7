/*
 * How liberpal-sim starts a workload.
 *
 * Parent: the executable is copied into a sealed, execute-only memfd while it is hashed, so that
 * what runs is exactly what was measured (the file on disk may change afterwards).
 * Child: the usual PAL set-up (parent-death signal, stdio, no inherited fds), then no_new_privs,
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from the effective set, the seccomp filter,
 * and execveat(memfd). Because the exec'ing task cannot read the execute-only memfd, the kernel
 * marks the new image non-dumpable: same-uid processes without CAP_SYS_PTRACE can neither
 * ptrace it nor open its /proc/<pid>/mem, and the filter stops the workload from undoing that.
 */
#ifndef SIM_LAUNCH_H
#define SIM_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

#include "inclavare/pal.h"

/* Opens `path`, checks that it is an executable ELF file, copies it into a sealed execute-only
 * memfd and hashes it. Returns 0 with *memfd and digest, or -errno after logging why (-ENOEXEC
 * for a file that is not ELF, e.g. a #! script: it could not run from a close-on-exec memfd). */
int sim_load_workload(const char* path, int* memfd, uint8_t digest[32]);

struct sim_exec_ctx {
  int memfd;
  const char* path; /* for messages */
  char** argv;
  char** env;
  const pal_stdio_fds* stdio;
  pid_t parent;
};

/* The forked child (an rt_child_fn): never returns. */
void sim_child_exec(void* ctx);

#endif /* SIM_LAUNCH_H */
