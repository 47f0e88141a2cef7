// The foreground side of `rune run` and `rune exec`: rune waits for the process, relays the
// signals it gets, and when it allocated a terminal without a console socket, relays its own
// terminal to the pty (raw mode on rune's terminal, restored on every way out; SIGWINCH resizes
// the pty), as runc does.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/fd.h"

namespace runtime {

// Waits for child `pid` with the signals of `fwd` blocked (base::relayable_signals): relays them
// to it (base::relayed_to_container) and returns its exit code (128+signal when killed). With
// `master` >= 0, copies rune's stdin to the pty and the pty to rune's stdout until the process
// has exited and the pty is drained.
int wait_foreground(pid_t pid, const sigset_t& fwd, int master = -1);

// The socket a process with a terminal sends its pty master over (`*to_process`): connected to
// `console_socket`, or when that is empty (foreground), one end of a pair whose other end
// (`*relay`) rune reads with receive_console.
base::Status open_console(const std::string& console_socket, base::UniqueFd* to_process,
                          base::UniqueFd* relay);

}  // namespace runtime
