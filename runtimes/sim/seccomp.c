#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "liberpal-sim's seccomp filter is written for x86_64"
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e)&SECCOMP_RET_DATA))
#define LD_W(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
/* if A == k, skip `t` instructions, else skip `f` */
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))

/* The low 32 bits of args[0]: prctl's option is an int, the kernel ignores the upper half. */
#define ARG0_LO offsetof(struct seccomp_data, args[0])

static const struct sock_filter k_filter[] = {
    /* 0 */ LD_W(offsetof(struct seccomp_data, arch)),
    /* 1 */ JEQ(AUDIT_ARCH_X86_64, 1, 0),
    /* 2 */ RET(SECCOMP_RET_KILL_PROCESS),
    /* 3 */ LD_W(offsetof(struct seccomp_data, nr)),
    /* 4 */ JGE(X32_SYSCALL_BIT, 6, 0), /* -> 11 deny */
    /* 5 */ JEQ(__NR_ptrace, 5, 0),     /* -> 11 deny */
    /* 6 */ JEQ(__NR_process_vm_readv, 4, 0),
    /* 7 */ JEQ(__NR_process_vm_writev, 3, 0),
    /* 8 */ JEQ(__NR_kcmp, 2, 0),
    /* 9 */ JEQ(__NR_perf_event_open, 1, 0),
    /* 10 */ JEQ(__NR_prctl, 2, 1), /* -> 13 prctl, else -> 12 allow */
    /* 11 */ RET(ERRNO(EPERM)),
    /* 12 */ RET(SECCOMP_RET_ALLOW),
    /* 13 */ LD_W(ARG0_LO),
    /* 14 */ JEQ(PR_SET_DUMPABLE, 2, 0), /* -> 17 deny */
    /* 15 */ JEQ(PR_SET_PTRACER, 1, 0),  /* -> 17 deny */
    /* 16 */ RET(SECCOMP_RET_ALLOW),
    /* 17 */ RET(ERRNO(EPERM)),
};

int sim_seccomp_install(void) {
  struct sock_fprog prog = {
      .len = (unsigned short)(sizeof k_filter / sizeof k_filter[0]),
      .filter = (struct sock_filter*)k_filter,
  };
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) return 0;
  if (errno != ENOSYS) return errno;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0) return 0;
  return errno;
}
