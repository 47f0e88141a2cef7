// The container lifecycle, as runc does it: create (the init process waits), start (releases
// it), run (create + start, foreground or detached), state, kill, delete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/state.h"

namespace linux {

struct CreateOptions {
  std::string id;
  std::string bundle;  // directory; empty = current directory
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
};

struct ExecOptions {
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE added to (or, env_replace, instead of) the container's
  bool env_replace = false;
  bool detach = false;
};

class Runtime {
 public:
  explicit Runtime(std::string root) : store_(std::move(root)) {}
  oci::StateStore& store() { return store_; }

  base::Status create(const CreateOptions& o);
  base::Status start(const std::string& id);
  // Creates and starts; foreground (detach=false) waits and returns the container's exit code
  // (128+signal if killed) after deleting it; detached returns 0 once it is running.
  base::Result<int> run(const CreateOptions& o, bool detach);
  base::Status kill(const std::string& id, int sig, bool all);
  base::Status remove(const std::string& id, bool force);
  // Runs a further process in an enclave container's runtime (PAL API v2+); foreground returns
  // its exit value.
  base::Result<int> exec(const std::string& id, const ExecOptions& o);
  // pal_get_local_report of an enclave container's runtime (PAL API v3).
  base::Result<std::vector<uint8_t>> attest(const std::string& id,
                                            const std::vector<uint8_t>& target_info);

  struct Info {
    oci::ContainerState state;
    oci::Status status;
  };
  base::Result<Info> info(const std::string& id);

 private:
  enum class Mode { create, run };
  // Creates the container; returns the init pid. In run mode the init waits for the start
  // message on `channel` instead of the exec fifo.
  struct Created;
  base::Result<Created> do_create(const CreateOptions& o, Mode mode);
  base::Status destroy(const oci::ContainerState& st);

  oci::StateStore store_;
};

}  // namespace linux
