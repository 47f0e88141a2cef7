#include "shim/io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/socket.h"
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

// The stdin FIFO, read non-blocking: never blocks; until a writer comes, poll() reports nothing.
base::UniqueFd open_input_fifo(const std::string& path) {
  return base::UniqueFd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
}

// An output FIFO: a read end held open first (`*held`, so the process never gets EPIPE while
// the client is away), then the write end the copy uses (invalid on failure).
base::UniqueFd open_output_fifo(const std::string& path, base::UniqueFd* held) {
  held->reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!held->valid()) return base::UniqueFd();
  return base::UniqueFd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
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
  if (paths.terminal) {
    TRY(io->open_console(fifos[0], fifos[1]));
    return io;
  }

  // Open every FIFO first: nothing is started when one cannot be.
  base::UniqueFd fifo_fds[3], held_readers[3];
  for (int i = 0; i < 3; i++) {
    if (fifos[i].empty()) continue;
    fifo_fds[i] = i == 0 ? open_input_fifo(fifos[i]) : open_output_fifo(fifos[i], &held_readers[i]);
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
      TRY(io->start_stdin_copy(std::move(fifo_fds[0]), std::move(w)));
    } else {
      TRY(io->start_output_copy(std::move(r), std::move(fifo_fds[i]), std::move(held_readers[i])));
    }
  }
  return io;
}

base::Status ProcessIO::start_stdin_copy(base::UniqueFd fifo_fd, base::UniqueFd to_fd) {
  if (!stdin_cancel_.valid()) {
    stdin_cancel_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stdin_cancel_.valid()) return base::sys_error("eventfd");
  }
  base::UniqueFd cancel_fd(fcntl(stdin_cancel_.get(), F_DUPFD_CLOEXEC, 3));
  if (!cancel_fd.valid()) return base::sys_error("dup");
  int fifo = fifo_fd.release(), to = to_fd.release(), cancel = cancel_fd.release();
  auto started = base::start_detached([fifo, to, cancel] {
    copy_stdin(fifo, to, cancel);
    close(to);
    close(fifo);
    close(cancel);
  });
  if (!started.ok()) {
    close(to);
    close(fifo);
    close(cancel);
  }
  return started;
}

base::Status ProcessIO::start_output_copy(base::UniqueFd from_fd, base::UniqueFd fifo_fd,
                                          base::UniqueFd held_fd) {
  int from = from_fd.release(), fifo = fifo_fd.release(), held = held_fd.release();
  auto shared = shared_;
  {
    std::lock_guard lock(shared->mu);
    shared->copying++;
  }
  auto done = [from, fifo, held, shared] {
    close(from);
    close(fifo);
    if (held >= 0) close(held);
    std::lock_guard lock(shared->mu);
    shared->copying--;
    shared->cv.notify_all();
  };
  auto started = base::start_detached([from, fifo, done] {
    copy_fd(from, fifo);
    done();
  });
  if (!started.ok()) done();
  return started;
}

base::Status ProcessIO::open_console(const std::string& stdin_fifo,
                                     const std::string& stdout_fifo) {
  // The FIFOs first, as without a terminal: nothing is started when one cannot be opened.
  if (!stdin_fifo.empty()) {
    console_stdin_ = open_input_fifo(stdin_fifo);
    if (!console_stdin_.valid())
      return base::sys_error("cannot open the stdin FIFO `" + stdin_fifo + "`");
  }
  if (!stdout_fifo.empty()) {
    console_stdout_ = open_output_fifo(stdout_fifo, &console_held_);
    if (!console_stdout_.valid())
      return base::sys_error("cannot open the stdout FIFO `" + stdout_fifo + "`");
  } else {
    // Nobody reads the terminal: it is still drained, or the process would block on a full pty.
    console_stdout_.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!console_stdout_.valid()) return base::sys_error("cannot open /dev/null");
  }
  for (int i = 0; i < 3; i++) {
    child_[i].reset(::open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
    if (!child_[i].valid()) return base::sys_error("cannot open /dev/null");
  }
  char dir[] = "/tmp/pty-XXXXXX";
  if (!mkdtemp(dir)) return base::sys_error("cannot make a directory for the console socket");
  console_dir_ = dir;
  console_socket_ = console_dir_ + "/pty.sock";
  sockaddr_un addr{};
  ASSIGN_OR_RETURN(socklen_t len, base::unix_address(console_socket_, addr, "console socket"));
  console_listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!console_listener_.valid()) return base::sys_error("socket");
  if (bind(console_listener_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(console_listener_.get(), 1) != 0)
    return base::sys_error("cannot listen on the console socket `" + console_socket_ + "`");
  return base::ok();
}

base::Status ProcessIO::take_console(int timeout_ms) {
  if (console_socket_.empty()) return base::ok();
  auto remove_socket = [this] {
    console_listener_.reset();
    unlink(console_socket_.c_str());
    rmdir(console_dir_.c_str());
    console_socket_.clear();
  };
  pollfd pf{console_listener_.get(), POLLIN, 0};
  int ready;
  do ready = poll(&pf, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    std::string path = console_socket_;
    remove_socket();
    return base::Error(base::Category::internal,
                       "the runtime sent no pty master to the console socket `" + path + "`");
  }
  base::UniqueFd conn(accept4(console_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  remove_socket();
  if (!conn.valid()) return base::sys_error("accept on the console socket");
  ASSIGN_OR_RETURN(master_, base::receive_console(conn.get()));
  base::UniqueFd out(fcntl(master_.get(), F_DUPFD_CLOEXEC, 3));
  if (!out.valid()) return base::sys_error("dup");
  TRY(start_output_copy(std::move(out), std::move(console_stdout_), std::move(console_held_)));
  if (console_stdin_.valid()) {
    base::UniqueFd in(fcntl(master_.get(), F_DUPFD_CLOEXEC, 3));
    if (!in.valid()) return base::sys_error("dup");
    TRY(start_stdin_copy(std::move(console_stdin_), std::move(in)));
  }
  return base::ok();
}

base::Status ProcessIO::resize(uint32_t width, uint32_t height) {
  if (!master_.valid()) return base::ok();
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) return base::sys_error("resize the pty");
  return base::ok();
}

ProcessIO::~ProcessIO() {
  close_stdin();
  if (!console_socket_.empty()) {
    unlink(console_socket_.c_str());
    rmdir(console_dir_.c_str());
  }
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
