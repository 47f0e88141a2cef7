// File helpers with Result errors that name the path.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace base {

// Reads a whole file; fails with the path in the message. `limit` bounds the size read.
Result<std::string> read_file(const std::string& path, size_t limit = 16 << 20);
// Everything left to read on `fd` (at most `limit` bytes); `what` names it in errors.
Result<std::string> read_fd(int fd, size_t limit, const std::string& what);
// Reads a whole file relative to a directory fd.
Result<std::string> read_file_at(int dirfd, const std::string& path, size_t limit = 16 << 20);
// Writes `data` to an existing file (O_WRONLY|O_TRUNC), as used for /proc and cgroup files.
Status write_file(const std::string& path, std::string_view data);
// Writes all of `data` to `fd` (retrying short writes and EINTR); false with errno set on error.
bool write_all(int fd, std::string_view data);
// The names in directory `dir` (not . and ..); empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);
// Creates `path` (which must not exist) with `mode` and writes `data` to it.
Status create_file(const std::string& path, std::string_view data, mode_t mode);
// Writes `data` to path.tmp then renames over `path`, so readers never see a partial file.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// mkdir -p; existing directories are fine.
Status mkdir_all(const std::string& path, mode_t mode = 0755);
// rm -rf of a directory tree that does not cross mount points.
Status remove_all(const std::string& path);
bool path_exists(const std::string& path);

// Joins two path pieces with exactly one '/'.
std::string path_join(std::string_view a, std::string_view b);
// Lexically cleans a path: collapses '//' and '.', resolves '..' without going above '/'.
std::string clean_path(std::string_view p);

// The paths execvp would try for `arg0`, in order: `arg0` itself when it contains '/', else each
// directory of the PATH from `env` (a default PATH when absent; "." for an empty entry) joined
// with it.
std::vector<std::string> exec_candidates(const std::string& arg0,
                                         const std::vector<std::string>& env);
// Resolves a program name as execvp would, with the PATH from `env` (default PATH when absent):
// names containing '/' are taken as they are. `what` names the input in errors.
Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env,
                                    const std::string& what);

}  // namespace base
