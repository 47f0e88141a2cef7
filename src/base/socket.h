// Messages with file descriptors attached (SCM_RIGHTS) over unix sockets: the one place that
// lays out the control message. Callers keep their own framing and error texts.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstddef>
#include <span>
#include <vector>

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace base {

constexpr size_t kMaxPassedFds = 8;

// sendmsg of `len` bytes with `fds` (at most kMaxPassedFds) attached, MSG_NOSIGNAL, retried on
// EINTR. What sendmsg returns (-1 with errno).
ssize_t send_with_fds(int sock, const void* data, size_t len, std::span<const int> fds);

// recvmsg into `buf`, retried on EINTR; descriptors that came with the message are appended to
// `fds` (close-on-exec), `msg_flags` gets the message's flags (MSG_TRUNC, ...). What recvmsg
// returns (-1 with errno).
ssize_t recv_with_fds(int sock, void* buf, size_t len, std::vector<UniqueFd>& fds,
                      int* msg_flags = nullptr);

// The pty master a process sends over the console socket `sock` (runc's protocol, which go-runc
// and conmon read: one message, the pty's path as data, the master attached).
Result<UniqueFd> receive_console(int sock);

// `path` as a unix socket address in `addr` (a leading '@' names an abstract one, as systemd
// writes NOTIFY_SOCKET); its length. An empty path or one too long for sun_path is an error naming
// `what`.
Result<socklen_t> unix_address(const std::string& path, sockaddr_un& addr, const std::string& what);

// A close-on-exec socket of `type` (stream unless said) connected to the unix socket at `path`;
// errors name `what` and the path (a path too long for sun_path is one).
Result<UniqueFd> connect_unix(const std::string& path, const std::string& what,
                              int type = SOCK_STREAM);

// A close-on-exec socket of `type` (stream unless said) listening at `path` (backlog 64). A path on
// which a live server answers is refused (already_exists, "a server already answers"); a stale
// socket file (nothing answers) is replaced. Errors name `what`.
Result<UniqueFd> listen_unix(const std::string& path, const std::string& what,
                             int type = SOCK_STREAM);

}  // namespace base
