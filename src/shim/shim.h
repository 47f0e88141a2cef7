// The shim's two actions and its daemon, as containerd 1.6 drives a v2 shim:
//
//   start   (cwd = bundle, options Any on stdin) prints the address of the group's shim: an
//           existing one that accepts, else a new daemon forked from here (no re-exec) that
//           listens on it. Nothing else reaches stdout or stderr unless start fails.
//   delete  (after a task connection closed or a shim died) cleans up one container with no
//           daemon: `<runtime> delete --force` if its state exists, unmounts <bundle>/rootfs,
//           removes the socket when nothing accepts on it, prints an encoded DeleteResponse.
#pragma once

#include <string>

#include "base/error.h"
#include "shim/options.h"

namespace shim {

// unix://<dir of address>/s/<hex sha256 of "<address>/<ns>/<group>">, or under /run/containerd/s
// when that path would not fit a socket address (106 bytes).
std::string socket_address(const std::string& containerd_address, const std::string& ns,
                           const std::string& group);
// The group of a bundle's container: annotation io.containerd.rune.v2.group, else
// io.kubernetes.cri.sandbox-id, else the id.
std::string group_of(const std::string& bundle, const std::string& id);

// Exit codes of the process.
int start_action(const ShimArgs& args);
int delete_action(const ShimArgs& args);

}  // namespace shim
