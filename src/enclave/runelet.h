// The init-runelet: PID 1 of an enclave container. It holds the enclave runtime (PAL) for the
// container's lifetime:
//   create: (pal_get_version) + pal_init, inside the container, with its user and caps applied
//   start:  v1 pal_exec / v2+ pal_create_process + pal_exec, on duplicated stdio fds
//   signals: v2+ pal_kill(-1, sig); SIGTERM also ends the container after a grace period;
//            v1 (no pal_kill): a signal that would terminate a process ends the container
//   entrypoint exit: pal_destroy, then exit with the enclave process's exit value
//   requests on runelet.sock: start, exec, kill, attest (see agent.h)
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "enclave/agent.h"
#include "enclave/config.h"
#include "enclave/pal.h"
#include "enclave/pool_client.h"

namespace enclave {

// How long a SIGTERM'd enclave container may take to exit before pal_destroy ends it.
inline constexpr int kTermGraceMs = 3000;

class Runelet {
 public:
  Runelet(Config cfg, int listen_fd) : cfg_(std::move(cfg)), listen_fd_(listen_fd) {}

  // Asks rune for a pre-built entry (pool_client.h); called at most once. `key` makes the key
  // (reads the loaded runtime's build-id): called only when rune is really asked.
  using AskPool = std::function<pool::Outcome(const std::function<epm::Key()>& key)>;

  // Relays signals to the main loop, loads the PAL and calls pal_init. `phase` is told the name
  // of each PAL call before it is made, so that rune can name a call that crashes or exits. With
  // `ask_pool`, a v3 runtime exporting pal_prebuild and carrying a build-id is handed the entry
  // rune got (one that it refuses with -EBADFD is followed by one cold pal_init).
  base::Status init(const std::function<void(const char*)>& phase, const AskPool& ask_pool);
  const Pal& pal() const { return pal_; }
  // How pal_init went with the pool: hit, miss, off, unavailable or rejected.
  const pool::Outcome& pool_outcome() const { return pool_; }

  void set_entrypoint(std::string exe, std::vector<std::string> argv, std::vector<std::string> env);
  // Runs the entrypoint in the enclave runtime; returns the runtime's pid for it (0 for v1).
  base::Result<int> start();
  // Calls pal_destroy (once, whichever thread gets here first) and exits with `code`.
  [[noreturn]] void destroy_and_exit(int code);
  // The main loop: signals, the entrypoint's end, requests on the socket. Never returns.
  [[noreturn]] void serve();

 private:
  // Serves one request (`fd` is the connection, closed when done). Everything but `start`
  // runs on its own thread: an exec session keeps its thread until the process ends.
  void handle_request(int fd, Message& m);
  // An exec's connection while its process `pid` runs: kill messages -> pal_kill(pid, sig); the
  // connection closing before `done` -> pal_kill(pid, SIGKILL).
  void watch_exec(int fd, int pid, const std::atomic<bool>& done);
  void handle_signal(int sig);
  void post(int kind, int value);  // to the main loop
  void entrypoint_done(base::Result<int> r);

  Config cfg_;
  int listen_fd_;
  Pal pal_;
  pool::Outcome pool_;
  std::mutex pal_mu_;    // serializes every PAL call except the blocking pal_exec
  std::mutex reply_mu_;  // held across pal_kill and its reply: the exit waits for the reply
  std::atomic<bool> started_{false};
  std::string exe_;
  std::vector<std::string> argv_, env_;
  int ctl_[2] = {-1, -1};
  int signal_read_ = -1;
};

}  // namespace enclave
