#include "linux/dmz.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "linux/exec_copy.h"

namespace kernel {

namespace dmz {
extern const uint8_t kImage[];  // dmz_image.cpp, generated from dmz/dmz.c
extern const size_t kImageSize;
}  // namespace dmz

namespace {

constexpr char kMarker[] = "rune-dmz";  // dmz.c's k_marker: argv[0] of every exec of the dmz

}  // namespace

base::Result<base::UniqueFd> make_dmz() {
  ASSIGN_OR_RETURN(base::UniqueFd out, make_exec_memfd("rune-dmz"));
  const int fd = out.get();
  if (write(fd, dmz::kImage, dmz::kImageSize) != static_cast<ssize_t>(dmz::kImageSize))
    return base::sys_error("rune-dmz: write its memfd");
  if (fcntl(fd, F_ADD_SEALS, kAllSeals) != 0) return base::sys_error("rune-dmz: seal its memfd");
  return out;
}

size_t dmz_exec_overhead(size_t exe_size) {
  return sizeof kMarker + 12 + exe_size + 1 + 3 * sizeof(char*);
}

void exec_through_dmz(int dmz_fd, int wait_fd, const char* exe, char* const* argv,
                      char* const* envp) {
  size_t argc = 0;
  while (argv[argc]) ++argc;
  char wait[16] = "-";
  if (wait_fd >= 0) {
    snprintf(wait, sizeof wait, "%d", wait_fd);
    if (fcntl(wait_fd, F_SETFD, 0) != 0) return;
  }
  std::vector<char*> dargv;
  dargv.reserve(argc + 4);
  dargv.push_back(const_cast<char*>(kMarker));
  dargv.push_back(wait);
  dargv.push_back(const_cast<char*>(exe));
  dargv.insert(dargv.end(), argv, argv + argc + 1);
  // execve first: every seccomp profile lets the workload's execve through, while execveat may
  // be refused (or kill) under a strict one. Where /proc is not mounted, execveat.
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", dmz_fd);
  execve(path, dargv.data(), envp);
  int err = errno;
  syscall(SYS_execveat, dmz_fd, "", dargv.data(), envp, AT_EMPTY_PATH);
  if (errno == ENOSYS || errno == EPERM) errno = err;  // execveat refused: /proc's reason
}

}  // namespace kernel
