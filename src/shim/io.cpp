#include "shim/io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/thread.h"

namespace shim {
namespace {

// "fifo://p" and "p" name the FIFO p; other schemes are errors naming them.
base::Result<std::string> fifo_path(const std::string& uri, const char* stream) {
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return uri;
  std::string scheme = uri.substr(0, scheme_end);
  if (scheme == "fifo") return uri.substr(scheme_end + 3);
  if (scheme == "binary" || scheme == "file")
    return base::Error(base::Category::unimplemented,
                       std::string(stream) + " `" + base::clip(uri) + "`: the `" + scheme +
                           "://` logger is not implemented yet (shim-rune 1b)");
  return base::invalid(std::string(stream) + " `" + base::clip(uri) + "`: the scheme `" +
                       base::clip(scheme, 16) + "` is not supported (a path or fifo://)");
}

void copy_fd(int from, int to) {
  char buf[32 << 10];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || !base::write_all(to, std::string_view(buf, size_t(n)))) return;
  }
}

// Copies the stdin FIFO (non-blocking) into the pipe until the FIFO's writer has come and gone
// or `cancel` is signalled (CloseIO, the process deleted).
void copy_stdin(int fifo, int to, int cancel) {
  char buf[32 << 10];
  for (;;) {
    pollfd p[2] = {{fifo, POLLIN, 0}, {cancel, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    ssize_t n = read(fifo, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0 || !base::write_all(to, std::string_view(buf, size_t(n)))) return;
  }
}

}  // namespace

base::Result<std::unique_ptr<ProcessIO>> ProcessIO::open(const StdioPaths& paths, uid_t uid,
                                                         gid_t gid) {
  std::unique_ptr<ProcessIO> io(new ProcessIO);
  const std::string* uris[3] = {&paths.stdin, &paths.stdout, &paths.stderr};
  const char* names[3] = {"stdin", "stdout", "stderr"};
  std::string fifos[3];
  for (int i = 0; i < 3; i++) {
    if (!uris[i]->empty()) {
      ASSIGN_OR_RETURN(fifos[i], fifo_path(*uris[i], names[i]));
    }
  }
  if (paths.terminal)
    return base::Error(base::Category::unimplemented,
                       "terminal: a container with a terminal is not implemented yet (shim-rune "
                       "1b)");

  // Open every FIFO first: nothing is started when one cannot be.
  base::UniqueFd fifo_fds[3], held_readers[3];
  for (int i = 0; i < 3; i++) {
    if (fifos[i].empty()) continue;
    if (i == 0) {
      // Never blocks; until a writer comes, poll() reports nothing (no POLLHUP before a writer).
      fifo_fds[i].reset(::open(fifos[i].c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    } else {
      held_readers[i].reset(::open(fifos[i].c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
      if (held_readers[i].valid())
        fifo_fds[i].reset(::open(fifos[i].c_str(), O_WRONLY | O_CLOEXEC));
    }
    if (!fifo_fds[i].valid())
      return base::sys_error(std::string("cannot open the ") + names[i] + " FIFO `" + fifos[i] +
                             "`");
  }
  for (int i = 0; i < 3; i++) {
    if (fifos[i].empty()) {
      io->child_[i].reset(::open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
      if (!io->child_[i].valid()) return base::sys_error("cannot open /dev/null");
      continue;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return base::sys_error("pipe");
    base::UniqueFd r(p[0]), w(p[1]);
    base::UniqueFd& child_end = i == 0 ? r : w;
    if ((uid != 0 || gid != 0) && fchown(child_end.get(), uid, gid) != 0)
      return base::sys_error("cannot give the " + std::string(names[i]) + " pipe to " +
                             std::to_string(uid) + ":" + std::to_string(gid));
    io->child_[i] = std::move(child_end);
    if (i == 0) {
      io->stdin_cancel_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      if (!io->stdin_cancel_.valid()) return base::sys_error("eventfd");
      int fifo = fifo_fds[0].release(), to = w.release(), cancel = dup(io->stdin_cancel_.get());
      TRY(base::start_detached([fifo, to, cancel] {
        copy_stdin(fifo, to, cancel);
        close(to);
        close(fifo);
        close(cancel);
      }));
    } else {
      int from = r.release(), fifo = fifo_fds[i].release(), held = held_readers[i].release();
      auto shared = io->shared_;
      {
        std::lock_guard lock(shared->mu);
        shared->copying++;
      }
      TRY(base::start_detached([from, fifo, held, shared] {
        copy_fd(from, fifo);
        close(from);
        close(fifo);
        close(held);
        std::lock_guard lock(shared->mu);
        shared->copying--;
        shared->cv.notify_all();
      }));
    }
  }
  return io;
}

ProcessIO::~ProcessIO() {
  close_stdin();
}

void ProcessIO::close_child_ends() {
  for (auto& fd : child_) fd.reset();
}

void ProcessIO::close_stdin() {
  if (!stdin_cancel_.valid()) return;
  uint64_t one = 1;
  (void)!write(stdin_cancel_.get(), &one, sizeof one);
}

bool ProcessIO::wait_copied(int timeout_ms) {
  std::unique_lock lock(shared_->mu);
  return shared_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                              [&] { return shared_->copying == 0; });
}

}  // namespace shim
