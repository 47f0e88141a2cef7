// The daemon's one reaper: the shim is a child subreaper, so containers' processes (reparented
// when the runtime exits) and the runtime commands it runs are all its children, and one thread
// reaps them all (SIGCHLD, waitpid(-1)). Exits of pids nobody watches yet are kept, so a process
// that dies before its pid is known (read from a pid file) is still reported.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace shim {

struct Exit {
  pid_t pid = 0;
  int status = 0;  // the exit code, or 128 + the signal that ended it
  timespec at{};   // CLOCK_REALTIME when reaped
};

// Blocks SIGCHLD in the calling thread (the daemon's main thread, before any other thread
// starts), makes the process a child subreaper and starts the reaping thread.
base::Status start_reaper();

// Calls `on_exit` once, on the reaper's thread, when `pid` has exited (at once if its exit was
// kept). `on_exit` must not block: it runs where every other exit is reaped.
void watch(pid_t pid, std::function<void(const Exit&)> on_exit);

// posix_spawn of `argv` (argv[0] a path) with `fds[i]` as its descriptor i, default signal
// dispositions and an empty mask, environment `envp`. The child is reaped by the reaper.
base::Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<int>& fds,
                          char* const* envp);

struct Command {
  std::vector<std::string> argv;  // argv[0]: a path
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: captured into Output::out
  int stderr_fd = -1;             // -1: captured into Output::err
  int timeout_ms = -1;            // SIGKILLed after this long (-1: never)
};
struct Output {
  int status = 0;
  std::string out, err;
};
// Runs `cmd` as a child reaped by the reaper and waits for it. An error only when it could not
// be started (a non-zero exit is Output::status).
base::Result<Output> run(const Command& cmd);

// A wait status as containerd reports it: the code, or 128 + the signal.
int exit_status(int wait_status);

}  // namespace shim
