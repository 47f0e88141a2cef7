#include "linux/exec_copy.h"

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/file.h"
#include "linux/sys.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace kernel {

base::Result<base::UniqueFd> make_exec_memfd(const char* name) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return base::sys_error(std::string(name) + ": memfd_create");
  return base::UniqueFd(fd);
}

EntrypointCopy EntrypointCopy::open(const oci::Process& p, const std::string& rootfs,
                                    const char* name) {
  EntrypointCopy e;
  if (p.args.empty() || p.args[0].empty()) return e;
  base::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return e;
  RealSys sys;
  for (auto c : base::exec_candidates(p.args[0], p.env)) {
    if (c[0] != '/') c = base::path_join(p.cwd, c);
    base::UniqueFd at(sys.open_in_root(root.get(), c.c_str(), O_PATH | O_CLOEXEC, 0));
    struct stat st;
    if (!at.valid() || fstat(at.get(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
      continue;
    std::string self = "/proc/self/fd/" + std::to_string(at.get());
    base::UniqueFd src(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
    auto copy = make_exec_memfd(name);
    if (!src.valid() || !copy.ok()) return e;
    e.src = std::move(src);
    e.copy = std::move(copy).value();
    return e;
  }
  return e;
}

void EntrypointCopy::fill() {
  struct stat st;
  if (src.valid() && copy.valid() && fstat(src.get(), &st) == 0) {
    bool ok = true;
    for (off_t off = 0; ok && off < st.st_size;) {
      ssize_t n = sendfile(copy.get(), src.get(), &off, static_cast<size_t>(st.st_size - off));
      ok = n > 0 || (n < 0 && errno == EINTR);
    }
    if (ok && fchmod(copy.get(), 0111) == 0) (void)fcntl(copy.get(), F_ADD_SEALS, kAllSeals);
  }
  src.reset();
  copy.reset();
}

int EntrypointCopy::take(const std::string& exe) {
  int out = -1;
  struct stat s, now, mem;
  if (src.valid() && copy.valid() && fstat(src.get(), &s) == 0 && stat(exe.c_str(), &now) == 0 &&
      s.st_dev == now.st_dev && s.st_ino == now.st_ino &&
      (fcntl(copy.get(), F_GET_SEALS) & kAllSeals) == kAllSeals && fstat(copy.get(), &mem) == 0 &&
      mem.st_size == s.st_size)
    out = copy.release();
  src.reset();
  copy.reset();
  return out;
}

}  // namespace kernel
