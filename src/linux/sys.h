// The syscall seam: every kernel primitive that container setup uses goes through kernel::Sys,
// passed by reference to the setup code. RealSys calls the kernel; tests use a recording fake
// so that mount order, flags and propagation can be checked without privileges.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace kernel {

class Sys {
 public:
  virtual ~Sys() = default;
  // Each returns what the libc call returns (-1 with errno on failure).
  virtual int mount(const char* src, const char* target, const char* type, unsigned long flags,
                    const char* data) = 0;
  virtual int umount2(const char* target, int flags) = 0;
  virtual int pivot_root(const char* new_root, const char* put_old) = 0;
  virtual int chdir(const char* path) = 0;
  virtual int fchdir(int fd) = 0;
  virtual int chroot(const char* path) = 0;
  // openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS: `path` is resolved inside `rootfd`.
  virtual int open_in_root(int rootfd, const char* path, int flags, mode_t mode) = 0;
  virtual int open(const char* path, int flags, mode_t mode) = 0;
  virtual int mkdirat(int dirfd, const char* name, mode_t mode) = 0;
  virtual int mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) = 0;
  virtual int symlinkat(const char* target, int dirfd, const char* name) = 0;
  virtual ssize_t readlinkat(int dirfd, const char* name, char* buf, size_t size) = 0;
  virtual int fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) = 0;
  virtual int fchmodat(int dirfd, const char* name, mode_t mode) = 0;
  virtual int sethostname(const char* name, size_t len) = 0;
  virtual int setdomainname(const char* name, size_t len) = 0;
  virtual int setns(int fd, int nstype) = 0;
  virtual int unshare(int flags) = 0;
  virtual int close(int fd) = 0;
  // The S_IFMT bits of what `path` names (symbolic links followed, as mount(2) follows its
  // target), or -1 with errno.
  virtual int file_type(const char* path) = 0;
};

class RealSys final : public Sys {
 public:
  int mount(const char* src, const char* target, const char* type, unsigned long flags,
            const char* data) override;
  int umount2(const char* target, int flags) override;
  int pivot_root(const char* new_root, const char* put_old) override;
  int chdir(const char* path) override;
  int fchdir(int fd) override;
  int chroot(const char* path) override;
  int open_in_root(int rootfd, const char* path, int flags, mode_t mode) override;
  int open(const char* path, int flags, mode_t mode) override;
  int mkdirat(int dirfd, const char* name, mode_t mode) override;
  int mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) override;
  int symlinkat(const char* target, int dirfd, const char* name) override;
  ssize_t readlinkat(int dirfd, const char* name, char* buf, size_t size) override;
  int fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) override;
  int fchmodat(int dirfd, const char* name, mode_t mode) override;
  int sethostname(const char* name, size_t len) override;
  int setdomainname(const char* name, size_t len) override;
  int setns(int fd, int nstype) override;
  int unshare(int flags) override;
  int close(int fd) override;
  int file_type(const char* path) override;
};

}  // namespace kernel
