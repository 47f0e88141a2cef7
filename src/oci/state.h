// Container state kept under the runtime root (`--root`, default /run/rune):
//   <root>/<id>/state.json   what create recorded (pid and its start time, bundle, cgroups, ...)
//   <root>/<id>/exec.fifo    present while the container is `created` (start releases it)
// A state dir without state.json is a container still `creating`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/config.h"

namespace oci {

// runc's statuses. `paused` is a running (or created) container whose cgroup is frozen; the
// lifecycle sets it, the store does not look at cgroups.
enum class Status { creating, created, running, stopped, paused };
const char* status_name(Status s);

// What create decided for an enclave container; exec, kill and delete use it as recorded.
struct EnclaveState {
  std::string type;          // sim, intelSgx
  std::string runtime_path;  // inside the container
  std::string runtime_args;
  std::string log_level;
  int pal_version = 0;
  unsigned symbols = 0;          // enclave::Symbol bits the runtime exports
  std::vector<std::string> env;  // the workload's env (ENCLAVE_* removed): exec's default
  // The pre-built entry (docs/epm.md): hit, miss, off, unavailable, rejected; empty for a
  // container created by a rune without the pool.
  std::string pool, pool_instance, pool_reason;
};

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  uint64_t pid_start = 0;  // /proc/PID/stat start time: detects pid reuse
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339
  std::map<std::string, std::string> annotations;
  std::vector<std::string> cgroup_dirs;     // host cgroup directories made for the container
  bool own_pid_ns = true;                   // false: kill/delete must signal every cgroup member
  bool memory_check_before_update = false;  // linux.resources.memory.checkBeforeUpdate
  bool no_new_keyring = false;              // create --no-new-keyring (exec joins none either)
  std::string systemd_unit;      // --systemd-cgroup: the container's scope (stopped by delete)
  uint64_t rootfs_mount_id = 0;  // no mount namespace: rune's rootfs bind in the host's (to undo)
  std::optional<EnclaveState> enclave;  // set for enclave containers
  Hooks hooks;  // the config's poststart and poststop hooks (run by start and delete), and
                // whether it has startContainer hooks (start then waits for the workload)
};

// The state a hook reads on its standard input (runtime-spec runtime.md "State").
std::string hook_state_json(const std::string& id, Status status, pid_t pid,
                            const std::string& bundle,
                            const std::map<std::string, std::string>& annotations);

// Valid container id: non-empty, at most 1024 bytes, [A-Za-z0-9_+.-], not "." or "..".
base::Status validate_id(const std::string& id);

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string fifo_path(const std::string& id) const { return dir(id) + "/exec.fifo"; }

  // Creates <root>/<id> atomically; an existing one is an `already_exists` error naming the id.
  base::Status reserve(const std::string& id);
  base::Status save(const ContainerState& st);
  // Loads; a missing container is a `not_found` error "container `id` does not exist".
  base::Result<ContainerState> load(const std::string& id) const;
  bool exists(const std::string& id) const;
  Status status(const ContainerState& st) const;
  // Removes <root>/<id> and everything in it.
  base::Status remove(const std::string& id);
  // Ids of every container under the root, sorted.
  std::vector<std::string> list() const;

 private:
  std::string root_;
};

// runc's `state` JSON for a container (two-space indented, as runc prints it).
std::string state_json(const ContainerState& st, Status status, bool indent,
                       const std::string& owner);
std::string serialize_state(const ContainerState& st);
base::Result<ContainerState> deserialize_state(const std::string& text, const std::string& what);

}  // namespace oci
