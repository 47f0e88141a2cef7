#include "io.h"

#include <errno.h>
#include <unistd.h>

int rt_write_all(int fd, const void* p, size_t n) {
  const char* b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}
