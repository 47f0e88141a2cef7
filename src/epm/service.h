// epm's management API: the gRPC service inclavare.epm.v1.EnclavePool on <runtime-dir>/epm.sock
// (0600) over a Daemon, and the client side the `epm status|pool|drain|resume|health` commands
// use.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "base/json_reader.h"
#include "epm/daemon.h"

namespace epm {

class ManagementServer {
 public:
  ~ManagementServer();
  // Starts serving at `path` (a stale socket file is replaced; the caller made sure no epm
  // answers there) with its own threads.
  static base::Result<std::unique_ptr<ManagementServer>> start(Daemon& d, const std::string& path);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The client: one call on the socket at `path`, with a 5 s deadline. Errors name the socket.
base::Result<base::Json> call_status(const std::string& path);
base::Status call_set_pool(const std::string& path, const std::string& runtime,
                           const std::string& args, int depth);
base::Status call_delete_pool(const std::string& path, const std::string& runtime,
                              const std::string& args);
base::Status call_drain(const std::string& path);
base::Status call_resume(const std::string& path);
base::Result<bool> call_health(const std::string& path);

}  // namespace epm
