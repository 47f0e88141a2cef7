// The container lifecycle, as runc does it: create (the init process waits), start (releases
// it), run (create + start, foreground or detached), state, kill, delete; exec and attest go to
// the container's handler (runtime/handler.h). The kernel set-up is src/linux's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/config.h"
#include "oci/state.h"
#include "runtime/handler.h"

namespace runtime {

struct CreateOptions {
  std::string id;
  std::string bundle;  // directory; empty = current directory
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
  bool detach = false;          // run: return once the container runs (create always does)
  bool no_new_keyring = false;  // keep the caller's session keyring instead of `_ses.<id>`
  bool keep = false;            // run: leave the stopped container (state, cgroups) for `delete`
  bool systemd_cgroup = false;  // the cgroups as a systemd scope (systemd.h)
  PoolOptions pool;             // enclave containers: pre-built entries from epm (docs/epm.md)
};

class Runtime {
 public:
  explicit Runtime(std::string root) : store_(std::move(root)) {}
  oci::StateStore& store() { return store_; }

  base::Status create(const CreateOptions& o);
  base::Status start(const std::string& id);
  // Creates and starts; foreground waits (relaying signals, and its terminal to the pty when
  // `process.terminal` has no console socket) and returns the container's exit code (128+signal
  // if killed) after deleting it; detached (o.detach) returns 0 once it is running.
  base::Result<int> run(const CreateOptions& o);
  base::Status kill(const std::string& id, int sig, bool all);
  // Freezes / thaws every process of the container (its status is then `paused` / `running`).
  base::Status pause(const std::string& id);
  base::Status resume(const std::string& id);
  // The pids in the container's cgroups.
  base::Result<std::vector<pid_t>> pids(const std::string& id);
  // Writes new resource limits to the container's cgroups (`rune update`). Non-empty
  // `device_rules` replace the container's device program (cgroup v2 only).
  base::Status update(const std::string& id, const oci::Resources& resources,
                      const std::vector<oci::DeviceRule>& device_rules = {});
  base::Status remove(const std::string& id, bool force);
  // Runs a further process in the container (enclave containers: in its runtime, PAL API v2+);
  // foreground returns its exit value.
  base::Result<int> exec(const std::string& id, const ExecOptions& o);
  // A local report from an enclave container's runtime (PAL API v3).
  base::Result<std::vector<uint8_t>> attest(const std::string& id,
                                            const std::vector<uint8_t>& target_info);

  struct Info {
    oci::ContainerState state;
    oci::Status status;
  };
  base::Result<Info> info(const std::string& id);

 private:
  enum class Mode { create, run };
  struct Created;
  // Creates the container; in run mode the init waits for Start on the channel instead of the
  // exec fifo.
  base::Result<Created> do_create(const CreateOptions& o, Mode mode);
  base::Result<Container> load(const std::string& id);
  base::Status destroy(const oci::ContainerState& st);
  base::Status force_remove_by_record(const std::string& id);

  oci::StateStore store_;
};

}  // namespace runtime
