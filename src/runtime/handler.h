// The handler of a container: what differs between an ordinary container and an enclave
// container, chosen once at create (from the config) and kept in the state, so that no other
// code asks "enclave?" (STYLE.md §5: crun's custom handlers, youki's executors).
//
//   create (parent):  prepare (before clone), after_clone, while_init_sets_up (after Go),
//                     record (at Ready), explain (failure)
//   create (init):    run_in_init, after the kernel set-up; the enclave handler never returns
//   run (parent):     started, after Start was sent
//   later commands:   start, kill, exec, attest
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "linux/seccomp_program.h"
#include "linux/sync.h"
#include "oci/config.h"
#include "oci/state.h"

namespace runtime {

// A created container as the commands after create see it.
struct Container {
  std::string id;
  std::string dir;        // its state directory
  std::string fifo_path;  // the exec fifo (created, ordinary containers)
  oci::ContainerState state;
  oci::Status status = oci::Status::stopped;
};

// `rune exec`, with runc 1.1's flags. Without `process` (--process FILE), the process is the
// container's own `process` with `args` and the overrides below (resolve_exec_process).
struct ExecOptions {
  std::optional<oci::Process> process;
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE added to (replacing the same KEY in) the process's
  std::optional<std::string> cwd;
  std::optional<uint32_t> uid, gid;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;  // added to the bounding, effective and permitted sets
  bool no_new_privs = false;
  bool tty = false;
  std::string console_socket, pid_file;
  bool detach = false, ignore_paused = false;
  int preserve_fds = 0;
  std::vector<std::string> cgroups;  // --cgroup (linux/cgroup.h sub_cgroups)
};

// The process an exec runs: `o.process`, or `container`'s with the overrides of `o`. Errors name
// the flag (an unknown `--cap`).
base::Result<oci::Process> resolve_exec_process(const oci::Process& container,
                                                const ExecOptions& o);

// How an enclave container may ask epm for a pre-built entry (docs/epm.md): rune's global flags
// `--epm-socket` ("" turns the pool off) and `--epm-timeout`.
struct PoolOptions {
  std::string socket = "/run/epm/take.sock";
  int timeout_ms = 50;
  std::string container;  // the id, for epm's log
};

// What the container's init has once the kernel set-up is done.
struct InitContext {
  const oci::Config& config;
  kernel::ChildChannel& channel;
  const std::string& exe;  // the resolved `process.args[0]`
  int fifo_fd;             // create: the exec fifo; run: -1 (Start arrives on the channel)
  int preserve_fds;
  const kernel::SeccompProgram* seccomp;  // compiled linux.seccomp, or nullptr
  int dmz_fd;  // rune-dmz's sealed memfd (linux/dmz.h), for an init that execs the workload
};

class Handler {
 public:
  virtual ~Handler() = default;

  // Before clone: what the init needs from the handler, made in the container's state directory
  // (`rootfs`: the container's root as rune sees it before the init's mounts).
  virtual base::Status prepare(const std::string& state_dir, const oci::Config& config,
                               const std::string& rootfs, const PoolOptions& pool);
  // After clone: the parent closes its copies of what prepare() made.
  virtual void after_clone();
  // After Go, while the init mounts and sets up (the parent only waits then): work that need
  // not be on the start path.
  virtual void while_init_sets_up();
  // In the init, after the kernel set-up and before Ready. The default returns, and the init
  // then reports Ready and execs the workload at start; a handler that runs the init itself
  // reports Ready on its own and never returns.
  virtual base::Status run_in_init(InitContext& ctx);
  // While waiting for Ready: the init asks for a pre-built enclave entry (`request`, the
  // runelet's key). The default answers that there is no pool.
  virtual void serve_pool(const std::string& request, std::string* answer, base::UniqueFd* fd);
  // Ready arrived with `ready_text`: the handler's part of the state.
  virtual base::Status record(const std::string& ready_text, const oci::Config& config,
                              oci::ContainerState& st);
  // The init failed during set-up and was reaped with `wait_status`; `phase` is the last step
  // it announced. A better error than `e`, or `e`.
  virtual base::Error explain(base::Error e, const std::string& phase, int wait_status);
  // run: Start was sent to the init; waits for what the handler needs to call it started.
  virtual base::Status started(kernel::ParentChannel& channel);

  // `rune start` of a created container.
  virtual base::Status start(const Container& c) = 0;
  // `rune kill`: signals the init (or, with `all`, every process in the cgroups).
  virtual base::Status kill(const Container& c, int sig, bool all);
  // `rune exec`; foreground returns the process's exit value.
  virtual base::Result<int> exec(const Container& c, const ExecOptions& o) = 0;
  // `rune attest`: a local report for `target_info`.
  virtual base::Result<std::vector<uint8_t>> attest(const Container& c,
                                                    const std::vector<uint8_t>& target_info);
};

// The handler for a new container, chosen from its config (ENCLAVE_* env or enclave.*
// annotations, which enclave containers lose from their env). Errors name the field.
base::Result<std::unique_ptr<Handler>> choose_handler(oci::Config& config);
// The handler a created container was given, from its state.
std::unique_ptr<Handler> handler_of(const oci::ContainerState& st);

}  // namespace runtime
