// Executables copied into sealed memfds: rune-dmz's image (dmz.h) and, for enclave containers, the
// entrypoint, copied by rune while the init sets the container up (pal.h's pal_prepare_process).
#pragma once

#include <fcntl.h>

#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "oci/config.h"

namespace kernel {

// Every seal: no write, growth, shrinking, or further seal.
constexpr int kAllSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

// A close-on-exec memfd that takes seals and can be executed (MFD_EXEC where the kernel knows
// it: executable even where vm.memfd_noexec makes memfds non-executable by default).
base::Result<base::UniqueFd> make_exec_memfd(const char* name);

// The container's entrypoint and an empty memfd for its copy, both opened by rune before the clone
// (the init inherits them). rune fills the copy while the init mounts; the init takes it only
// when it is complete and of the file the init itself resolved after its mounts.
struct EntrypointCopy {
  base::UniqueFd src, copy;

  // `process.args[0]` (else through its PATH; a relative path from `cwd`) resolved inside
  // `rootfs` as it is before the mounts, a regular executable file, opened O_PATH first so that a
  // FIFO or a device in an image is never opened for reading. Empty when there is none. The memfd
  // is named `name` (what /proc/PID/exe of the process run from it shows).
  static EntrypointCopy open(const oci::Process& process, const std::string& rootfs,
                             const char* name);
  // rune, after Go: copies, makes the copy mode 0111 (execute-only: the workload cannot read its
  // own image, so the kernel makes it non-dumpable) and seals it; then closes both.
  void fill();
  // The init: the copy (the caller's to pass on) when it is sealed, of the source's size, and
  // the source is the file at `exe`; else -1. Closes what it does not return.
  int take(const std::string& exe);
};

}  // namespace kernel
