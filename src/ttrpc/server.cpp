#include "ttrpc/server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include "base/log.h"
#include "base/socket.h"
#include "base/thread.h"

namespace ttrpc {
namespace {

struct Conn {
  explicit Conn(int f) : fd(f) {}
  base::UniqueFd fd;
  std::mutex write_mu;
  bool broken = false;  // a write failed: the peer is gone

  void send(const std::string& frame) {
    std::lock_guard lock(write_mu);
    if (broken) return;
    size_t off = 0;
    while (off < frame.size()) {
      ssize_t n = ::send(fd.get(), frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken = true;
        shutdown(fd.get(), SHUT_RDWR);
        return;
      }
      off += size_t(n);
    }
  }
};

bool same_user(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == geteuid() && cred.gid == getegid();
}

void run_on_thread(std::function<void()> f) {
  auto r = base::start_detached(f);
  if (!r.ok()) {
    base::log::error("ttrpc: " + r.error().what() + "; running the call on the reader's thread");
    f();
  }
}

void serve_connection(const Services& services, std::shared_ptr<Conn> conn) {
  Session session(
      services, [conn](std::string frame) { conn->send(frame); }, run_on_thread);
  char buf[16 << 10];
  for (;;) {
    ssize_t n = ::read(conn->fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0 && session.mid_frame()) base::log::debug("ttrpc: connection closed mid-frame");
      break;
    }
    session.feed(buf, size_t(n));
  }
  // Calls still running keep `conn` (and its descriptor) until they reply into the void.
  shutdown(conn->fd.get(), SHUT_RDWR);
}

}  // namespace

Server::Server(const Services& services)
    : services_(services), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
Server::~Server() = default;

void Server::stop() {
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

base::Status Server::serve(int listen_fd) {
  if (!wake_.valid()) return base::sys_error("ttrpc: eventfd");
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return base::sys_error("ttrpc: poll");
    }
    if (fds[1].revents) return base::ok();
    if (!fds[0].revents) continue;
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        base::log::error("ttrpc: accept: out of file descriptors");
        poll(nullptr, 0, 100);
        continue;
      }
      return base::sys_error("ttrpc: accept");
    }
    auto conn = std::make_shared<Conn>(fd);
    if (!same_user(fd)) {
      base::log::warn("ttrpc: refused a connection from another user");
      continue;
    }
    auto started = base::start_detached([this, conn] { serve_connection(services_, conn); });
    if (!started.ok()) base::log::error("ttrpc: " + started.error().what());
  }
}

base::Result<base::UniqueFd> listen_unix(const std::string& path) {
  sockaddr_un addr{};
  ASSIGN_OR_RETURN(socklen_t len, base::unix_address(path, addr, "ttrpc socket"));
  if (path.empty() || path[0] == '@')
    return base::invalid("ttrpc socket `" + path + "`: abstract sockets are refused");
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return base::sys_error("socket");
  // 0600 from the start: no window in which another user could connect.
  mode_t old = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  umask(old);
  if (rc != 0) return base::sys_error("cannot bind the socket `" + path + "`", err);
  if (listen(fd.get(), 128) != 0) return base::sys_error("cannot listen on `" + path + "`");
  return fd;
}

}  // namespace ttrpc
