// Process helpers: identity of a pid across reuse, liveness, waiting, signal names.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace base {

struct ProcStat {
  char state = 0;           // R, S, D, Z, X, ...
  uint64_t start_time = 0;  // field 22 of /proc/PID/stat: clock ticks since boot
};

// Parses /proc/PID/stat; nullopt if the process does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);
// Parses the text of a /proc/PID/stat file (comm may contain spaces and parentheses).
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// True when `pid` exists, is not a zombie, and (if start_time != 0) started at `start_time`,
// i.e. it is still the same process and not a reused pid.
bool process_alive(pid_t pid, uint64_t start_time);

// Waits until the process `pid` has exited (or became a zombie), up to `timeout_ms`.
// Works for processes that are not our children (pidfd). Returns false on timeout.
bool wait_process_gone(pid_t pid, uint64_t start_time, int timeout_ms);

// Signal by name ("KILL", "SIGKILL", "sigterm") or number ("9"). Errors name the input.
Result<int> parse_signal(std::string_view s);

// Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null and stderr inherited; returns
// what it wrote to stdout. A non-zero exit is an error naming the command and its status.
Result<std::string> capture_output(const std::vector<std::string>& argv);

// SIGKILLs child `pid` and reaps it; its wait status.
int kill_and_reap(pid_t pid);

// What a foreground rune (`run`, `exec`) relays to the process it waits for: every signal but
// the uncatchable and the synchronous (fault) ones. Block this set, then wait on it.
sigset_t relayable_signals();
// Of those, the ones relayed to a container's process: all but SIGCHLD, SIGURG and SIGPIPE, which
// are about rune itself. (SIGWINCH is relayed: rune's terminal relay takes it first, to resize
// its pty; an exec proxy leading a pty's session passes it on.)
bool relayed_to_container(int sig);

}  // namespace base
