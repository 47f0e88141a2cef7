#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/fd.h"
#include "base/words.h"

namespace base {

Result<std::string> read_fd(int fd, size_t limit, const std::string& what) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read `" + what + "`");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit)
      return Error(Category::invalid_argument,
                   "`" + what + "` is larger than " + std::to_string(limit) + " bytes");
  }
  return out;
}

Result<std::string> read_file_at(int dirfd, const std::string& path, size_t limit) {
  UniqueFd fd(openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open `" + path + "`");
  return read_fd(fd.get(), limit, path);
}

Result<std::string> read_file(const std::string& path, size_t limit) {
  return read_file_at(AT_FDCWD, path, limit);
}

Status write_file(const std::string& path, std::string_view data) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open `" + path + "`");
  ssize_t n = write(fd.get(), data.data(), data.size());
  if (n < 0) return sys_error("write `" + path + "`");
  if (static_cast<size_t>(n) != data.size()) return sys_error("short write to `" + path + "`", EIO);
  return ok();
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) out.push_back(e->d_name);
  closedir(d);
  return out;
}

Status create_file(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error("create `" + path + "`");
  ssize_t n = write(fd.get(), data.data(), data.size());
  if (n < 0) return sys_error("write `" + path + "`");
  if (static_cast<size_t>(n) != data.size()) return sys_error("short write to `" + path + "`", EIO);
  return ok();
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error("create `" + tmp + "`");
  ssize_t n = write(fd.get(), data.data(), data.size());
  if (n < 0 || static_cast<size_t>(n) != data.size()) {
    int e = n < 0 ? errno : EIO;
    unlink(tmp.c_str());
    return sys_error("write `" + tmp + "`", e);
  }
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return sys_error("rename `" + tmp + "` to `" + path + "`", e);
  }
  return ok();
}

Status mkdir_all(const std::string& path, mode_t mode) {
  if (path.empty()) return ok();
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ok();
    if (errno != ENOENT) return sys_error("`" + path + "` exists and is not a directory", ENOTDIR);
  }
  if (errno != ENOENT) return sys_error("mkdir `" + path + "`");
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) TRY(mkdir_all(path.substr(0, slash), mode));
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return sys_error("mkdir `" + path + "`");
  return ok();
}

static Status remove_all_at(int parent, const std::string& name, const std::string& shown,
                            dev_t dev) {
  if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return ok();
  if (errno != EISDIR && errno != EPERM) return sys_error("remove `" + shown + "`");
  UniqueFd dfd(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dfd.valid()) return sys_error("open `" + shown + "`");
  struct stat st;
  if (fstat(dfd.get(), &st) != 0) return sys_error("stat `" + shown + "`");
  if (dev != 0 && st.st_dev != dev)
    return Error(Category::failed_precondition, "`" + shown + "` is a mount point; not removing");
  DIR* d = fdopendir(dup(dfd.get()));
  if (!d) return sys_error("opendir `" + shown + "`");
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);
  for (const auto& n : names) TRY(remove_all_at(dfd.get(), n, shown + "/" + n, st.st_dev));
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return sys_error("rmdir `" + shown + "`");
  return ok();
}

Status remove_all(const std::string& path) {
  return remove_all_at(AT_FDCWD, path, path, 0);
}

bool path_exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
  std::string s(a);
  while (!s.empty() && s.back() == '/') s.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  s += '/';
  s += b;
  return s;
}

std::string clean_path(std::string_view p) {
  bool abs = !p.empty() && p.front() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == ".") {
    } else if (c == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!abs)
        parts.push_back(c);
    } else {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out = abs ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

}  // namespace base

namespace base {

namespace {

bool is_executable(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

}  // namespace

static std::string search_path(const std::vector<std::string>& env) {
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  return path;
}

std::vector<std::string> exec_candidates(const std::string& arg0,
                                         const std::vector<std::string>& env) {
  if (arg0.find('/') != std::string::npos) return {arg0};
  std::vector<std::string> out;
  const std::string path = search_path(env);
  for (std::string_view dir : split(path, ':'))
    out.push_back(path_join(dir.empty() ? "." : dir, arg0));
  return out;
}

Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env,
                                    const std::string& what) {
  if (arg0.find('/') != std::string::npos) {
    errno = 0;
    if (is_executable(arg0)) return arg0;
    return sys_error(what + ": cannot execute `" + arg0 + "`", errno ? errno : EACCES);
  }
  for (const auto& cand : exec_candidates(arg0, env))
    if (is_executable(cand)) return cand;
  return Error(Category::not_found,
               what + ": executable `" + arg0 + "` not found in $PATH (" + search_path(env) + ")",
               ENOENT);
}

}  // namespace base
