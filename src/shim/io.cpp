#include "shim/io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/words.h"
#include "shim/reaper.h"

namespace shim {
namespace {

// "fifo://p" and "p" name the FIFO p; other schemes are errors naming them.
base::Result<std::string> fifo_path(const std::string& uri, const char* stream) {
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return uri;
  std::string scheme = uri.substr(0, scheme_end);
  if (scheme == "fifo") return uri.substr(scheme_end + 3);
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

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

}  // namespace

base::Result<Logger> parse_logger(const std::string& uri) {
  Logger l;
  auto colon = uri.find("://");
  if (colon == std::string::npos) return base::invalid("`" + base::clip(uri) + "` is not a URI");
  l.scheme = uri.substr(0, colon);
  if (l.scheme != "binary" && l.scheme != "file")
    return base::invalid("`" + base::clip(uri) + "`: not a binary:// or file:// logger");
  std::string rest = uri.substr(colon + 3);
  auto q = rest.find('?');
  l.path = percent_decode(rest.substr(0, q));
  if (l.path.empty() || l.path[0] != '/' || l.path.find('\0') != std::string::npos)
    return base::invalid("logger `" + base::clip(uri) + "`: the path must be absolute");
  if (q != std::string::npos && l.scheme == "binary") {
    for (auto kv : base::split(std::string_view(rest).substr(q + 1), '&')) {
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      l.args.push_back(percent_decode(kv.substr(0, eq)));
      if (eq != std::string_view::npos) l.args.push_back(percent_decode(kv.substr(eq + 1)));
    }
  }
  return l;
}

base::Status ProcessIO::open_logger(const Logger& l, const std::string& id, const std::string& ns) {
  if (l.scheme == "file") {
    auto slash = l.path.rfind('/');
    if (slash > 0) TRY(base::mkdir_all(l.path.substr(0, slash), 0755));
    child_[1].reset(::open(l.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!child_[1].valid()) return base::sys_error("cannot open the log file `" + l.path + "`");
    child_[2].reset(fcntl(child_[1].get(), F_DUPFD_CLOEXEC, 3));
    if (!child_[2].valid()) return base::sys_error("dup");
    return base::ok();
  }
  // binary://: the logger reads the container's stdout on fd 3 and stderr on fd 4, and closes
  // (or writes to) fd 5 once it is ready.
  int out[2], err[2], ready[2];
  if (pipe2(out, O_CLOEXEC) != 0) return base::sys_error("pipe");
  base::UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return base::sys_error("pipe");
  base::UniqueFd err_r(err[0]), err_w(err[1]);
  if (pipe2(ready, O_CLOEXEC) != 0) return base::sys_error("pipe");
  base::UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  base::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  std::vector<std::string> argv = {l.path};
  argv.insert(argv.end(), l.args.begin(), l.args.end());
  std::string env_id = "CONTAINER_ID=" + id, env_ns = "CONTAINER_NAMESPACE=" + ns;
  char* envp[] = {env_id.data(), env_ns.data(), nullptr};
  auto spawned = spawn(
      argv, {null.get(), null.get(), null.get(), out_r.get(), err_r.get(), ready_w.get()}, envp);
  if (!spawned.ok()) return std::move(spawned).error().wrap("logger `" + l.path + "`");
  pid_t pid = *spawned;
  ready_w.reset();
  out_r.reset();
  err_r.reset();
  {
    std::lock_guard lock(shared_->mu);
    shared_->copying++;
  }
  auto shared = shared_;
  watch(pid, [shared](const Exit&) {
    std::lock_guard lock(shared->mu);
    shared->copying--;
    shared->cv.notify_all();
  });
  // Wait for it to be ready: a byte or EOF on fd 5 (10 s at most).
  pollfd pf{ready_r.get(), POLLIN, 0};
  if (poll(&pf, 1, 10000) <= 0) {
    kill(pid, SIGKILL);
    return base::Error(base::Category::unavailable,
                       "the logger `" + l.path + "` did not get ready within 10 s");
  }
  child_[1] = std::move(out_w);
  child_[2] = std::move(err_w);
  return base::ok();
}

base::Result<std::unique_ptr<ProcessIO>> ProcessIO::open(const StdioPaths& paths, uid_t uid,
                                                         gid_t gid, const std::string& id,
                                                         const std::string& ns) {
  std::unique_ptr<ProcessIO> io(new ProcessIO);
  // A logger takes stdout and stderr (containerd gives both the same URI); stdin stays a FIFO.
  if (paths.stdout.rfind("binary://", 0) == 0 || paths.stdout.rfind("file://", 0) == 0) {
    ASSIGN_OR_RETURN(Logger l, parse_logger(paths.stdout));
    if (paths.terminal)
      return base::invalid("stdout `" + base::clip(paths.stdout) +
                           "`: a logger cannot serve a terminal");
    TRY(io->open_logger(l, id, ns));
    StdioPaths rest;
    rest.stdin = paths.stdin;
    ASSIGN_OR_RETURN(auto in, ProcessIO::open(rest, uid, gid, id, ns));
    io->child_[0] = std::move(in->child_[0]);
    io->stdin_cancel_ = std::move(in->stdin_cancel_);
    return io;
  }
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
