// inclavared's relay: a connection to a workload's address as the container sees it, then bytes
// copied both ways uninterpreted (the attested TLS session ends inside the workload, not here).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "eaa/address.h"
#include "eaa/containers.h"

namespace eaa {

// Connects to `a` inside the container: unix:// resolved in the init's root (openat2
// RESOLVE_IN_ROOT, no magic links; connect through the O_PATH fd), so a symlink cannot lead to a
// host socket and the container's mounts are what counts; tcp:// from its network namespace.
// Errors name the address and the container.
base::Result<base::UniqueFd> connect_in_container(const ContainerHandle& c, const Address& a);

// A unix socket at `path` resolved inside the directory `root` (exposed for tests).
base::Result<base::UniqueFd> connect_unix_in_root(int root, const std::string& path,
                                                  const std::string& what);

struct RelayStats {
  uint64_t to_b = 0, to_a = 0;  // bytes copied each way
  std::string ended;  // why it ended: "closed", "idle", "stopped", "container exited", an error
};

// Copies a→b (after `a_pending`, bytes already read from a, at most 256 KiB) and b→a until both
// directions ended; a side's EOF becomes a shutdown(SHUT_WR) of the other. Ends early on an error,
// when nothing moved for `idle_ms`, when `*stop` is set or when `watch` (a pidfd, -1: none) exits.
RelayStats relay(int a, int b, std::string_view a_pending, int idle_ms,
                 const std::atomic<bool>* stop, int watch);

}  // namespace eaa
