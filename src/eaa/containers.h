// The containers inclavared serves, as rune knows them: `rune state` run as a command (inclavared
// links neither rune's runtime nor its state format), the opt-in annotations, and a handle on a
// running container's init that cannot be fooled by a reused pid.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace eaa {

// Annotations: any key under this prefix opts a container in; `address` names where its
// attested workload listens (tcp://… in its network namespace, unix://… in its root).
inline constexpr const char* kAnnotationPrefix = "enclave.attestation.";
inline constexpr const char* kAddressAnnotation = "enclave.attestation.address";

struct RuneCommand {
  std::string rune = "rune";  // a path
  std::string root;           // --root; empty: rune's default
  std::string sim_state_dir;  // `rune attest --sim-state-dir`; empty: rune-attest's default
  const std::atomic<bool>* stop = nullptr;
  // The command line `rune [--root R] ARGS...`.
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
};

struct ContainerInfo {
  std::string id;
  std::string status;  // created, running, paused, stopped
  pid_t pid = 0;
  std::string bundle;
  std::map<std::string, std::string> annotations;
  bool opted_in() const;
};

// `rune state ID` (5 s): an unknown container is not_found naming it; other failures name rune
// and what it said.
base::Result<ContainerInfo> container_state(const RuneCommand& rune, const std::string& id);
// The state JSON rune prints, parsed (exposed for tests).
base::Result<ContainerInfo> parse_state(const std::string& id, const std::string& json);

// A running, opted-in container's init, held by a pidfd: `proc` is its /proc/PID directory,
// opened after the pidfd and checked against it, so `root` and `ns/net` under it are the init's
// even if the pid is reused later.
struct ContainerHandle {
  ContainerInfo info;
  base::UniqueFd pidfd;
  base::UniqueFd proc;
  // True while the init runs.
  bool alive() const;
};

// Errors name the container: unknown, not running, not opted in, gone while being opened.
base::Result<ContainerHandle> open_container(const RuneCommand& rune, const std::string& id);

}  // namespace eaa
