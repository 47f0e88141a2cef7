/*
 * How liberpal-sim starts a workload.
 *
 * Parent: the executable is copied into a sealed, execute-only memfd, so that what runs is exactly
 * what is measured (the file on disk may change afterwards; the sealed copy cannot). It is hashed
 * while it is copied (with a measurement log file), or read back from the sealed copy by a thread
 * while the workload starts (without one: see pal_sim.c).
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
 * memfd and, when `digest` (32 bytes) is not NULL, hashes it. Returns 0 with *memfd, or -errno
 * after logging why (-ENOEXEC for a file that is not ELF, e.g. a #! script: it could not run
 * from a close-on-exec memfd). */
int sim_load_workload(const char* path, int* memfd, uint8_t* digest);

/* SHA-256 of the sealed copy, read back through `memfd` (made by sim_load_workload). Stops with
 * -ECANCELED as soon as *cancel (read atomically) is set. 0 or -errno. */
int sim_hash_workload(const char* path, int memfd, uint8_t digest[32], const int* cancel);

struct sim_exec_ctx {
  int memfd;
  const char* path; /* for messages */
  char** argv;
  char** env;
  const pal_stdio_fds* stdio;
  pid_t parent;
  int attest_fd; /* the attestation channel, kept through the exec (-1: none) */
};

/* The forked child (an rt_child_fn): never returns. */
void sim_child_exec(void* ctx);

#endif /* SIM_LAUNCH_H */
