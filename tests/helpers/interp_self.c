/* interp_self: an ELF file whose interpreter (PT_INTERP) is /proc/self/exe, for the CVE-2019-5736
 * tests (tests/integration/security.sh): whatever the exec'ing process's image is gets loaded as
 * its loader. It prints "main ran" if it ever runs itself. No libc, x86_64. */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
void _start(void) {
  sys3(1 /* write */, 1, (long)"main ran\n", 9);
  sys3(231 /* exit_group */, 0, 0, 0);
}
