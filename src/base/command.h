// Running a helper command from a multithreaded service (inclavared runs `rune state` and
// `rune attest`): posix_spawn (nothing runs between fork and exec), both outputs captured, a
// deadline and a stop flag that kill it. Kept apart from base/process so that rune, which links
// base, does not carry it.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "base/error.h"

namespace base {

struct SpawnOutput {
  int status = 0;   // the wait status
  std::string out;  // stdout, at most `max_output` bytes (the rest is read and dropped)
  std::string err;  // stderr, likewise
  bool exited_ok() const;
  // stderr without its trailing newlines and spaces: what the command said, for a message.
  std::string said() const;
};

// Runs `argv` (argv[0] looked up in PATH unless it has a slash) with stdin from /dev/null, default
// signal dispositions and an empty signal mask, in a process group of its own. SIGKILLs that group
// and reaps the child when `timeout_ms` passes (a deadline_exceeded error naming the command) or
// when `*stop` becomes true (cancelled). A child that exits with an error is not an error here:
// look at `status`.
Result<SpawnOutput> run_captured(const std::vector<std::string>& argv, int timeout_ms,
                                 const std::atomic<bool>* stop = nullptr,
                                 size_t max_output = 1 << 20);

}  // namespace base
