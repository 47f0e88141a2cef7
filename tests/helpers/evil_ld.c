/* evil_ld: stands in for the container's dynamic loader (/lib64/ld-linux-x86-64.so.2) in the
 * CVE-2019-5736 tests (tests/integration/security.sh). Should the kernel ever run it as the
 * interpreter of the host's rune (the workload ran /proc/self/exe, directly or as the
 * interpreter of a script), it does what the exploit did: opens /proc/self/exe (rune's image)
 * read-only, notes that in /rec/ld.log, and execs `/bin/cve_probe reopen /proc/self/fd/N 6
 * /rec/attack.log`, which keeps trying to reopen it for writing after rune has exited.
 * No libc: run as an interpreter it gets the main program's auxv, which a libc start-up misreads.
 * Anything run directly (argv[0] not rune-dmz's marker) reaches it only this way. */
#if !defined(__x86_64__)
#error "evil_ld: x86_64 only (the path of the loader it replaces)"
#endif

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
__asm__(
    ".text\n.global _start\n_start:\n xor %ebp,%ebp\n mov %rsp,%rdi\n and $-16,%rsp\n"
    " call ld_main\n hlt\n");

static unsigned long len(const char* s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

__attribute__((noreturn, used)) void ld_main(long* sp) {
  long argc = sp[0];
  char** envp = (char**)(sp + 1) + argc + 1;
  long fd = sys3(2 /* open */, (long)"/proc/self/exe", 0 /* O_RDONLY */, 0);
  long log = sys3(2, (long)"/rec/ld.log", 02101 /* O_WRONLY|O_CREAT|O_APPEND */, 0644);
  char num[3] = {'0' + (char)(fd % 10), 0, 0}; /* /proc/self/fd/N: no leading zero */
  if (fd >= 10) num[0] = '0' + (char)(fd / 10 % 10), num[1] = '0' + (char)(fd % 10);
  const char* line =
      fd >= 0 ? "ld: opened /proc/self/exe as fd " : "ld: open /proc/self/exe failed\n";
  sys3(1 /* write */, log, (long)line, (long)len(line));
  if (fd >= 0) {
    sys3(1, log, (long)num, (long)len(num));
    sys3(1, log, (long)"\n", 1);
    char path[] = "/proc/self/fd/00";
    path[14] = num[0];
    path[15] = num[1]; /* '\0' for a one-digit fd */
    char* argv[] = {"cve_probe", "reopen", path, "6", "/rec/attack.log", 0};
    sys3(59 /* execve */, (long)"/bin/cve_probe", (long)argv, (long)envp);
    sys3(1, log, (long)"ld: exec cve_probe failed\n", 26);
  }
  for (;;) sys3(231 /* exit_group */, 42, 0, 0);
}
