// The typed channel between rune (parent) and the container's init (child) during create:
//   parent -> child: Go (the child is in its cgroups; set up the container), Start (exec now)
//   child -> parent: Ready (set up, waiting for start; enclave: "<pal version> <symbols>"),
//                    Failed (errno + message), Phase (enclave: the PAL call about to be made),
//                    Started (enclave, run mode: the entrypoint runs; its runtime pid)
// Each side has its own type with named methods; an out-of-order message is an error naming
// what was expected and what arrived.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace kernel {

enum class SyncMsg : uint32_t {
  go = 1,
  start = 2,
  ready = 3,
  failed = 4,
  phase = 5,
  started = 6,
  hooks = 7,             // child -> parent: before pivot_root; run prestart and createRuntime hooks
  hooks_done = 8,        // parent -> child: they ran; go on
  seccomp_listener = 9,  // child -> parent: the NOTIFY filter's listener fd (SCM_RIGHTS)
  seccomp_done = 10,     // parent -> child: it went to listenerPath; go on
  pool_take = 11,        // child -> parent (enclave): the key of a pre-built entry to ask epm for
  pool_answer = 12,      // parent -> child: the outcome, a hit's memfd attached (SCM_RIGHTS)
};

class ParentChannel;
class ChildChannel;

// True for the error of a wait whose peer exited without a Failed message.
bool peer_exited(const base::Error& e);

// Makes the socketpair; each end goes to its own process.
base::Status make_sync_pair(ParentChannel& parent, ChildChannel& child);

class ParentChannel {
 public:
  // Go carries the init's pid as the host sees it (the init's hooks report it).
  base::Status send_go(int init_pid);
  base::Status send_start();
  // Waits for Ready; a Failed message comes back as the child's error. Phase messages on the
  // way are kept in `phase` (the last one), Ready's text in `ready_text`. A Hooks message runs
  // `on_hooks` (its error ends the wait) and is answered with HooksDone.
  // A SeccompListener message runs `on_listener` with the fd (closed afterwards) and is
  // answered with SeccompDone.
  // A PoolTake message runs `on_pool` with its text; the answer (and the fd, when valid) goes
  // back as PoolAnswer, and the fd is closed here.
  using PoolServer =
      std::function<void(const std::string& request, std::string* answer, base::UniqueFd* fd)>;
  base::Status wait_ready(std::string* ready_text = nullptr, std::string* phase = nullptr,
                          const std::function<base::Status()>& on_hooks = nullptr,
                          const std::function<base::Status(int)>& on_listener = nullptr,
                          const PoolServer& on_pool = nullptr);
  // Waits for Started (enclave containers in run mode); returns the runtime's pid.
  base::Result<int> wait_started();
  void close() { fd_.reset(); }

 private:
  friend base::Status make_sync_pair(ParentChannel&, ChildChannel&);
  base::UniqueFd fd_;
};

class ChildChannel {
 public:
  base::Status wait_go(int* init_pid = nullptr);
  // Asks rune to run the prestart and createRuntime hooks, and waits until they ran.
  base::Status request_hooks();
  // Sends the seccomp listener fd and waits until rune passed it on.
  base::Status send_seccomp_listener(int fd);
  // Sends the key of a pre-built entry and waits for rune's answer; `fd` gets the memfd of a hit
  // (close-on-exec), or stays invalid (none attached, or the control data was cut: MSG_CTRUNC).
  base::Status request_pool(const std::string& key, std::string* answer, base::UniqueFd* fd);
  base::Status wait_start();
  base::Status send_ready(const std::string& text = "");
  base::Status send_phase(const std::string& text);
  base::Status send_started(int pid);
  void send_failed(const base::Error& e);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  friend base::Status make_sync_pair(ParentChannel&, ChildChannel&);
  base::UniqueFd fd_;
};

}  // namespace kernel
