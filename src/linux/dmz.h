// rune-dmz (dmz/dmz.c, CVE-2019-5736): the container's init is a clone() of rune, so until it
// execs, /proc/self/exe is the host's rune binary. The init therefore never execs the workload
// itself: it execs rune-dmz from a sealed memfd made per container, and rune-dmz execs the
// workload. A workload that is /proc/self/exe, a `#!/proc/self/exe` script or an ELF file whose
// interpreter is /proc/self/exe then reaches only that sealed copy of rune-dmz, never rune.
// The same goes for the hooks the init runs (createContainer, startContainer).
#pragma once

#include <cstddef>

#include "base/error.h"
#include "base/fd.h"

namespace kernel {

// A memfd holding rune-dmz: close on exec, sealed against writes, growing, shrinking and further
// seals. Made by rune before clone(), so that the container's init holds it from the start.
base::Result<base::UniqueFd> make_dmz();

// Execs `exe` with `argv` and `envp` through the rune-dmz in `dmz_fd` (execve of
// /proc/self/fd/N, or execveat(AT_EMPTY_PATH) where /proc is not mounted): `argv` and `envp`
// reach `exe` unchanged. With `wait_fd` >= 0 (left open across the exec), the dmz first waits
// for one byte on it (the container's start), closes it, and exits 1 if it breaks. Returns only
// if the dmz could not be exec'd, with errno set; a failing exec of `exe` itself is reported by
// the dmz, as rune reports it ("rune: exec `EXE`: ..."), with exit status 127.
void exec_through_dmz(int dmz_fd, int wait_fd, const char* exe, char* const* argv,
                      char* const* envp);

// Bytes `exec_through_dmz` adds to the exec (its marker, the wait descriptor and an `exe` of
// `exe_size` bytes).
size_t dmz_exec_overhead(size_t exe_size);

}  // namespace kernel
