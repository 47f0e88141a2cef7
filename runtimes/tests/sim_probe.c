/*
 * A workload for the sim runtime's tests: it reports, from the inside, what liberpal-sim did to it.
 *   sim_probe report   prints key=value lines: dumpable, set_dumpable, set_ptracer, ptrace_traceme,
 *                      seccomp, no_new_privs, exe
 *   sim_probe wait     prints "ready" and sleeps until killed
 *   sim_probe attest [short]  asks its attestation channel for a REPORT (TARGETINFO: the sim QE's
 *                      MRENCLAVE, then bytes i*13+1; REPORTDATA: bytes 0xa0+i), or sends a request
 *                      one byte short; prints fd=, cloexec=, status= and report= (hex)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inclavare/sim_tee.h"

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

static int attest(int short_request) {
  const char* v = getenv(SIM_TEE_ATTEST_FD_ENV);
  int fd = v ? atoi(v) : -1;
  printf("fd=%s\n", v ? v : "none");
  if (fd < 0) return 1;
  printf("cloexec=%d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  uint8_t req[SIM_TEE_ATTEST_REQUEST_SIZE];
  for (int i = 0; i < 512; i++) req[i] = (uint8_t)(i * 13 + 1);
  memcpy(req, SIM_TEE_QE_MRENCLAVE, 32);
  for (int i = 0; i < 64; i++) req[512 + i] = (uint8_t)(0xa0 + i);
  if (send(fd, req, sizeof req - (short_request ? 1 : 0), 0) < 0) return 2;
  uint8_t reply[SIM_TEE_ATTEST_REPLY_SIZE];
  ssize_t n = recv(fd, reply, sizeof reply, 0);
  if (n < 4) return 3;
  printf("status=%u\n", reply[0] | reply[1] << 8 | reply[2] << 16 | (unsigned)reply[3] << 24);
  printf("report=");
  for (ssize_t i = 4; i < n; i++) printf("%02x", reply[i]);
  printf("\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "attest") == 0) return attest(argc > 2);
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
