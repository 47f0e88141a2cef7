// sd-notify both ways, for the integration tests (static: it also runs inside containers):
//   sd_notify send MSG             sends MSG as one datagram to $NOTIFY_SOCKET
//   sd_notify listen PATH OUT SECS binds a datagram socket at PATH (a host's systemd), appends
//                                  each datagram it gets to OUT, and exits after SECS seconds
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int address(const char* path, struct sockaddr_un* a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (!path || strlen(path) >= sizeof a->sun_path) return -1;
  strcpy(a->sun_path, path);
  return 0;
}

int main(int argc, char** argv) {
  struct sockaddr_un a;
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (argc == 3 && strcmp(argv[1], "send") == 0) {
    if (address(getenv("NOTIFY_SOCKET"), &a) != 0) {
      fprintf(stderr, "sd_notify: NOTIFY_SOCKET unset or too long\n");
      return 1;
    }
    if (sendto(s, argv[2], strlen(argv[2]), 0, (struct sockaddr*)&a, sizeof a) < 0) {
      perror("sd_notify: sendto");
      return 1;
    }
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "listen") == 0) {
    unlink(argv[2]);
    if (address(argv[2], &a) != 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
      perror("sd_notify: bind");
      return 1;
    }
    time_t end = time(NULL) + atoi(argv[4]);
    struct timeval tv = {0, 200000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    while (time(NULL) < end) {
      ssize_t n = recv(s, buf, sizeof buf, 0);
      if (n <= 0) continue;
      FILE* f = fopen(argv[3], "a");
      if (!f) return 1;
      fwrite(buf, 1, (size_t)n, f);
      fputs("\n--\n", f);
      fclose(f);
    }
    return 0;
  }
  fprintf(stderr, "usage: sd_notify send MSG | sd_notify listen PATH OUT SECS\n");
  return 2;
}
