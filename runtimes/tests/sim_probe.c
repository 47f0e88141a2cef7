/*
 * A workload for the sim runtime's tests: it reports, from the inside, what liberpal-sim did to it.
 *   sim_probe report   prints key=value lines: dumpable, set_dumpable, set_ptracer, ptrace_traceme,
 *                      seccomp, no_new_privs, exe
 *   sim_probe wait     prints "ready" and sleeps until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

static const char* result(long rc) {
  return rc == 0 ? "ok" : errno == EPERM ? "EPERM" : "error";
}

static void status_field(const char* name, const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  size_t n = strlen(name);
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      char* v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = '\0';
      printf("%s=%s\n", key, v);
    }
  }
  if (f) fclose(f);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  printf("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  printf("set_dumpable=%s\n", result(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)));
  printf("set_ptracer=%s\n", result(prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0)));
  printf("ptrace_traceme=%s\n", result(ptrace(PTRACE_TRACEME, 0, 0, 0)));
  printf("dumpable_after=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  status_field("Seccomp", "seccomp");
  status_field("NoNewPrivs", "no_new_privs");
  char exe[256];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  printf("exe=%s\n", exe);
  return 0;
}
