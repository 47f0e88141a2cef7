// A ttrpc server on a listening unix socket: one reader thread per connection, each call on its
// own thread (Session), replies written whole under the connection's lock.
//
// Only peers with the server's effective uid and gid (SO_PEERCRED) are served; others are
// disconnected at once. EOF, even in the middle of a frame, closes that connection only.
#pragma once

#include <atomic>

#include "base/error.h"
#include "base/fd.h"
#include "ttrpc/service.h"

namespace ttrpc {

class Server {
 public:
  explicit Server(const Services& services);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts and serves connections on `listen_fd` until stop(); then returns (connections
  // still open are left to the process's exit).
  base::Status serve(int listen_fd);
  // Ends serve(); callable from any thread, a handler's too.
  void stop();

 private:
  const Services& services_;
  base::UniqueFd wake_;  // eventfd that stop() signals
};

// A listening, close-on-exec unix stream socket at `path` (mode 0600), which must not exist.
base::Result<base::UniqueFd> listen_unix(const std::string& path);

}  // namespace ttrpc
