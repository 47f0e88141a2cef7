#include "base/socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace base {

ssize_t send_with_fds(int sock, const void* data, size_t len, std::span<const int> fds) {
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  if (!fds.empty()) {
    size_t n = std::min(fds.size(), kMaxPassedFds);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * n);
  }
  ssize_t r;
  do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}

ssize_t recv_with_fds(int sock, void* buf, size_t len, std::vector<UniqueFd>& fds, int* msg_flags) {
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return r;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (msg_flags) *msg_flags = msg.msg_flags;
  return r;
}

Result<UniqueFd> receive_console(int sock) {
  char name[256];
  std::vector<UniqueFd> fds;
  ssize_t n = recv_with_fds(sock, name, sizeof name, fds);
  if (n < 0) return sys_error("receive the pty master");
  if (fds.size() != 1)
    return Error(Category::internal, "receive the pty master: the process sent " +
                                         std::to_string(fds.size()) + " descriptors");
  return std::move(fds[0]);
}

Result<socklen_t> unix_address(const std::string& path, sockaddr_un& addr,
                               const std::string& what) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return invalid(what + ": `" + path + "` is " + (path.empty() ? "empty" : "too long") +
                   " for a socket address");
  memcpy(addr.sun_path, path.data(), path.size());
  const bool abstract = path[0] == '@';
  if (abstract) addr.sun_path[0] = '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
}

Result<UniqueFd> connect_unix(const std::string& path, const std::string& what, int type) {
  sockaddr_un addr;
  ASSIGN_OR_RETURN(socklen_t len, unix_address(path, addr, what));
  UniqueFd sock(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return sys_error(what + ": socket");
  int r;
  do r = connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), len);
  while (r != 0 && errno == EINTR);
  if (r != 0) return sys_error(what + ": connect to `" + path + "`");
  return sock;
}

Result<UniqueFd> listen_unix(const std::string& path, const std::string& what, int type) {
  sockaddr_un sa;
  ASSIGN_OR_RETURN(socklen_t len, unix_address(path, sa, what));
  if (path[0] != '@' && access(path.c_str(), F_OK) == 0) {
    if (connect_unix(path, what, type).ok()) {
      return Error(Category::already_exists, what + ": a server already answers on that socket");
    }
    unlink(path.c_str());  // stale
  }
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket for " + what);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    return sys_error("cannot bind " + what);
  }
  if (listen(fd.get(), 64) != 0) return sys_error("cannot listen on " + what);
  return fd;
}

}  // namespace base
