// Building one entry: epm forks and execs itself as `epm __build` (no dlopen inside the daemon),
// the child loads the allowed runtime, describes the entry, waits for epm's go-ahead (the budget),
// builds it and sends the sealed memfd back over a SOCK_SEQPACKET socketpair.
//
//   child -> epm:  "desc <json>" | "enotsup" | "error <text>"
//   epm -> child:  "build" | "stop"
//   child -> epm:  "entry <addr> <json>" with the memfd (SCM_RIGHTS) | "error <text>"
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace epm {

// The builder's end of the socketpair, in the child.
inline constexpr int kBuilderFd = 3;

struct Spawned {
  pid_t pid = -1;
  base::UniqueFd sock;  // epm's end
};

// Forks and execs `self` (epm's own executable) as the builder for (runtime, build_id, args):
// SCHED_IDLE, killed when epm dies (PR_SET_PDEATHSIG), nothing inherited but the socket.
base::Result<Spawned> spawn_builder(const std::string& self, const std::string& runtime,
                                    const std::string& build_id, const std::string& args);

// `epm __build RUNTIME BUILD_ID ARGS`: the child's whole life; returns its exit code.
int builder_main(const std::string& runtime, const std::string& build_id, const std::string& args);

// What a runtime file is: its build-id and SHA-256 (hex), read without loading it.
struct RuntimeFile {
  std::string path, build_id, sha256;
};
base::Result<RuntimeFile> read_runtime_file(const std::string& path);

}  // namespace epm
