// A kernel::Sys that records calls instead of making them, so mount order, flags and
// propagation can be checked without privileges. open_in_root hands out fake fds (100, 101, ...)
// and remembers which path each one names.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "linux/sys.h"

namespace kernel::testing {

class RecordingSys : public Sys {
 public:
  std::vector<std::string> calls;
  std::map<int, std::string> fd_paths;
  std::set<std::string> missing;           // open_in_root fails with ENOENT for these
  std::map<std::string, int> mount_errno;  // mount() on this target fails with this errno
  std::map<std::string, int> bind_errno;   // mount() of "SOURCE TARGET" fails with this errno

  // "/proc/self/fd/N" -> the path fd N was opened for.
  std::string target(const char* t) const {
    std::string s = t ? t : "";
    const std::string pre = "/proc/self/fd/";
    if (s.rfind(pre, 0) == 0) {
      auto it = fd_paths.find(std::stoi(s.substr(pre.size())));
      if (it != fd_paths.end()) return "fd:" + it->second;
    }
    return s;
  }

  int mount(const char* src, const char* tgt, const char* type, unsigned long flags,
            const char* data) override {
    std::string t = target(tgt);
    calls.push_back("mount " + std::string(src ? src : "-") + " " + t + " " + (type ? type : "-") +
                    " " + std::to_string(flags) + " " + (data ? data : "-"));
    auto it = mount_errno.find(t);
    if (it != mount_errno.end()) {
      errno = it->second;
      return -1;
    }
    auto bt = bind_errno.find(std::string(src ? src : "-") + " " + t);
    if (bt != bind_errno.end()) {
      errno = bt->second;
      return -1;
    }
    return 0;
  }
  int umount2(const char* t, int flags) override {
    calls.push_back("umount2 " + std::string(t) + " " + std::to_string(flags));
    return 0;
  }
  int pivot_root(const char* a, const char* b) override {
    calls.push_back("pivot_root " + std::string(a) + " " + b);
    return 0;
  }
  int chdir(const char* p) override {
    calls.push_back("chdir " + std::string(p));
    return 0;
  }
  int fchdir(int fd) override {
    calls.push_back("fchdir " + std::to_string(fd));
    return 0;
  }
  int chroot(const char* p) override {
    calls.push_back("chroot " + std::string(p));
    return 0;
  }
  int open_in_root(int, const char* path, int, mode_t) override {
    if (missing.count(path)) {
      errno = ENOENT;
      return -1;
    }
    int fd = next_fd_++;
    fd_paths[fd] = path;
    return fd;
  }
  int open(const char* path, int, mode_t) override {
    calls.push_back("open " + std::string(path));
    int fd = next_fd_++;
    fd_paths[fd] = path;
    return fd;
  }
  int mkdirat(int dirfd, const char* name, mode_t) override {
    std::string p = fd_paths[dirfd] + "/" + name;
    calls.push_back("mkdir " + p);
    missing.erase(p);
    missing.erase(fd_paths[dirfd] == "/" ? std::string("/") + name : p);
    return 0;
  }
  int mknodat(int, const char* name, mode_t, dev_t) override {
    calls.push_back("mknod " + std::string(name));
    return 0;
  }
  int symlinkat(const char* t, int, const char* name) override {
    calls.push_back("symlink " + std::string(name) + " -> " + t);
    return 0;
  }
  ssize_t readlinkat(int, const char*, char*, size_t) override {
    errno = EINVAL;
    return -1;
  }
  int fchownat(int, const char*, uid_t, gid_t, int) override { return 0; }
  int fchmodat(int, const char*, mode_t) override { return 0; }
  int sethostname(const char* n, size_t len) override {
    calls.push_back("sethostname " + std::string(n, len));
    return 0;
  }
  int setdomainname(const char* n, size_t len) override {
    calls.push_back("setdomainname " + std::string(n, len));
    return 0;
  }
  int setns_errno = 0;  // setns() fails with this errno when set
  int setns(int fd, int type) override {
    calls.push_back("setns " + std::to_string(fd) + " " + std::to_string(type));
    if (setns_errno) {
      errno = setns_errno;
      return -1;
    }
    return 0;
  }
  int unshare(int flags) override {
    calls.push_back("unshare " + std::to_string(flags));
    return 0;
  }
  int close(int) override { return 0; }
  // Types of paths for file_type(): S_IFREG unless listed; `missing` paths are ENOENT.
  std::map<std::string, int> types;
  int file_type(const char* path) override {
    calls.push_back("file_type " + std::string(path));
    if (missing.count(path)) {
      errno = ENOENT;
      return -1;
    }
    auto it = types.find(path);
    return it == types.end() ? S_IFREG : it->second;
  }

 private:
  int next_fd_ = 100;
};

}  // namespace kernel::testing
