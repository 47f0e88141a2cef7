#include "linux/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kernel {

int RealSys::mount(const char* src, const char* target, const char* type, unsigned long flags,
                   const char* data) {
  return ::mount(src, target, type, flags, data);
}
int RealSys::umount2(const char* target, int flags) {
  return ::umount2(target, flags);
}
int RealSys::pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}
int RealSys::chdir(const char* path) {
  return ::chdir(path);
}
int RealSys::fchdir(int fd) {
  return ::fchdir(fd);
}
int RealSys::chroot(const char* path) {
  return ::chroot(path);
}
int RealSys::open_in_root(int rootfd, const char* path, int flags, mode_t mode) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int r;
  do r = static_cast<int>(syscall(SYS_openat2, rootfd, path, &how, sizeof how));
  while (r < 0 && errno == EAGAIN);  // a concurrent rename: retry, as the kernel asks
  return r;
}
int RealSys::open(const char* path, int flags, mode_t mode) {
  return ::open(path, flags | O_CLOEXEC, mode);
}
int RealSys::mkdirat(int dirfd, const char* name, mode_t mode) {
  return ::mkdirat(dirfd, name, mode);
}
int RealSys::mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) {
  return ::mknodat(dirfd, name, mode, dev);
}
int RealSys::symlinkat(const char* target, int dirfd, const char* name) {
  return ::symlinkat(target, dirfd, name);
}
ssize_t RealSys::readlinkat(int dirfd, const char* name, char* buf, size_t size) {
  return ::readlinkat(dirfd, name, buf, size);
}
int RealSys::fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) {
  return ::fchownat(dirfd, name, uid, gid, flags);
}
int RealSys::fchmodat(int dirfd, const char* name, mode_t mode) {
  return ::fchmodat(dirfd, name, mode, 0);
}
int RealSys::sethostname(const char* name, size_t len) {
  return ::sethostname(name, len);
}
int RealSys::setdomainname(const char* name, size_t len) {
  return ::setdomainname(name, len);
}
int RealSys::setns(int fd, int nstype) {
  return ::setns(fd, nstype);
}
int RealSys::unshare(int flags) {
  return ::unshare(flags);
}
int RealSys::close(int fd) {
  return ::close(fd);
}
int RealSys::file_type(const char* path) {
  struct statx sx;
  if (::statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_TYPE, &sx) != 0) return -1;
  return sx.stx_mode & S_IFMT;
}

}  // namespace kernel
