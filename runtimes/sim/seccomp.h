/*
 * The seccomp filter liberpal-sim puts on every workload: it keeps the workload from undoing its
 * non-dumpable state or from reaching into other processes.
 *   - any architecture but x86_64: kill the process;
 *   - x32 system calls (nr >= 0x40000000): EPERM;
 *   - ptrace, process_vm_readv, process_vm_writev, kcmp, perf_event_open: EPERM;
 *   - prctl(PR_SET_DUMPABLE, ...) and prctl(PR_SET_PTRACER, ...): EPERM;
 *   - everything else: allowed.
 */
#ifndef SIM_SECCOMP_H
#define SIM_SECCOMP_H

/* Installs the filter on the calling thread; needs no_new_privs (or CAP_SYS_ADMIN). Async-signal-
 * safe (runs between fork and exec). Returns 0 or errno. */
int sim_seccomp_install(void);

#endif /* SIM_SECCOMP_H */
