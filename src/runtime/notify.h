// sd-notify (NOTIFY_SOCKET), as runc 1.1 does it: when rune runs with NOTIFY_SOCKET set (systemd
// started it as a Type=notify service), the container gets its own datagram socket instead of the
// host's: <state dir>/notify/notify.sock, bind-mounted read-only at /run/notify with
// NOTIFY_SOCKET=/run/notify/notify.sock in the process env. `start` (or `run`) binds it, starts
// the container and waits until the container sends READY=... (relayed to the host socket with
// MAINPID=<init pid>) or its init ends.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "oci/config.h"

namespace runtime {

// rune's own NOTIFY_SOCKET, or empty.
std::string host_notify_socket();

// create: the container's NOTIFY_SOCKET in its process env.
void add_notify_env(oci::Process& process);
// create, once the state dir exists: makes <state dir>/notify; the mount that puts it at
// /run/notify (read-only).
base::Result<oci::Mount> make_notify_dir(const std::string& state_dir);

// start/run: binds the container's socket; an invalid fd when the container has none.
base::Result<base::UniqueFd> bind_notify(const std::string& state_dir);
// After the start: relays the first READY= line from `sock` to `host_socket`, with MAINPID=`pid`;
// returns when it did or when the init (`pid`, started at `pid_start`) is gone.
base::Status relay_ready(int sock, const std::string& host_socket, pid_t pid, uint64_t pid_start);

}  // namespace runtime
