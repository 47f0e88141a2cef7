// Terminals (`process.terminal`): the pty is made inside the container, from its own devpts
// (after the process entered the container's mount namespace and root); the master goes to
// rune's caller over the console socket in runc's form (one message: the pty's path as data,
// the master attached — what go-runc and conmon read), and the slave becomes the process's
// controlling terminal and its stdin, stdout and stderr.
#pragma once

#include <sys/types.h>

#include <optional>

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

// In the process that will exec the workload, inside the container (before it drops its
// capabilities): opens /dev/ptmx, applies `size`, sends the master over `console_sock` (then
// closed), makes the slave owned by `uid`:`gid` (the process's user, as runc does), starts a new
// session with the slave as controlling terminal, and puts it on 0, 1 and 2.
// `bind_console` (a container's init in its own mount namespace, as runc): the slave is also
// bind-mounted on /dev/console (made as an empty 0666 file when missing).
base::Status setup_console(int console_sock, const std::optional<oci::ConsoleSize>& size, uid_t uid,
                           gid_t gid, bool bind_console = false);

}  // namespace kernel
