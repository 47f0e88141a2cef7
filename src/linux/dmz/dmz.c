/*
 * rune-dmz: the image the container's init execs just before the workload (CVE-2019-5736).
 *
 * The init is a clone() of rune, so its /proc/self/exe is the host's rune binary. Were the
 * workload exec'd from there, a workload that is /proc/self/exe, a `#!/proc/self/exe` script or
 * an ELF file with /proc/self/exe as its interpreter would run the host's rune again inside the
 * container, with the container's dynamic loader, which could keep a descriptor to it and reopen
 * it for writing once no rune runs. So the init execs this program instead, from a sealed memfd
 * of its own (src/linux/dmz.cpp), and this program execs the workload: while it runs,
 * /proc/self/exe is the sealed memfd, and there is no rune image left in the container.
 *
 * Protocol: argv = {"rune-dmz", WAIT, EXE, ARGS...}; it runs execve(EXE, ARGS, envp). WAIT is "-",
 * or the number of a descriptor to read one byte from first (the exec fifo, or the socket to rune
 * in `rune run`: the container's start), which it then closes; if the read fails or meets EOF it
 * exits 1, as rune's init did. While it waits it is not dumpable. Anything else (the kernel
 * running it as an interpreter or through /proc/self/exe) is refused with exit 127. On failure it
 * prints rune's message, "rune: exec `EXE`: <strerror>", and exits 127.
 *
 * No libc: static, a few hundred bytes of code, so that the second exec costs next to nothing.
 * Built with its own flags by src/linux/CMakeLists.txt and embedded in rune as a byte array.
 */

typedef unsigned long u64;

#if defined(__x86_64__)
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_EXECVE 59
#define NR_PRCTL 157
#define NR_EXIT_GROUP 231
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
__asm__(
    ".text\n.global _start\n_start:\n xor %ebp,%ebp\n mov %rsp,%rdi\n and $-16,%rsp\n"
    " call dmz_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_READ 63
#define NR_WRITE 64
#define NR_CLOSE 57
#define NR_EXECVE 221
#define NR_PRCTL 167
#define NR_EXIT_GROUP 94
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x0, sp\n bl dmz_main\n brk #0\n");
#else
#error "rune-dmz: add this architecture's system calls"
#endif

static u64 len(const char* s) {
  u64 n = 0;
  while (s[n]) n++;
  return n;
}

static void put(const char* s) {
  sys3(NR_WRITE, 2, (long)s, (long)len(s));
}

/* glibc's strerror() text for what execve(2) can fail with, so that the message is rune's. */
static const char* message(long err) {
  switch (err) {
    case 1:
      return "Operation not permitted";
    case 2:
      return "No such file or directory";
    case 5:
      return "Input/output error";
    case 7:
      return "Argument list too long";
    case 8:
      return "Exec format error";
    case 11:
      return "Resource temporarily unavailable";
    case 12:
      return "Cannot allocate memory";
    case 13:
      return "Permission denied";
    case 14:
      return "Bad address";
    case 20:
      return "Not a directory";
    case 21:
      return "Is a directory";
    case 22:
      return "Invalid argument";
    case 23:
      return "Too many open files in system";
    case 24:
      return "Too many open files";
    case 26:
      return "Text file busy";
    case 36:
      return "File name too long";
    case 38:
      return "Function not implemented";
    case 40:
      return "Too many levels of symbolic links";
    case 80:
      return "Accessing a corrupted shared library";
    default:
      return "Unknown error";
  }
}

static __attribute__((noreturn)) void die(long code) {
  for (;;) sys3(NR_EXIT_GROUP, code, 0, 0);
}

/* Blocks until one byte can be read from descriptor `arg` (decimal), then closes it. */
static void wait_start(const char* arg) {
  long fd = 0;
  for (; *arg; arg++) {
    if (*arg < '0' || *arg > '9') die(1);
    fd = fd * 10 + (*arg - '0');
  }
  sys3(NR_PRCTL, 4 /* PR_SET_DUMPABLE */, 0, 0);
  char b;
  long r;
  do r = sys3(NR_READ, fd, (long)&b, 1);
  while (r == -4 /* EINTR */);
  if (r != 1) die(1);
  sys3(NR_CLOSE, fd, 0, 0);
}

static const char k_marker[] = "rune-dmz";

__attribute__((noreturn, used)) void dmz_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  int ours = argc >= 4;
  for (u64 i = 0; ours && i < sizeof k_marker; i++) ours = argv[0][i] == k_marker[i];
  if (!ours) {
    put("rune: the container's init image (/proc/self/exe) cannot be run by the workload\n");
    die(127);
  }
  if (argv[1][0] != '-') wait_start(argv[1]);
  long r = sys3(NR_EXECVE, (long)argv[2], (long)(argv + 3), (long)envp);
  put("rune: exec `");
  put(argv[2]);
  put("`: ");
  put(message(-r));
  put("\n");
  die(127);
}
