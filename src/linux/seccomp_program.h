// linux.seccomp: compiled to a BPF program in the parent (libseccomp, linked statically), loaded
// by the init where runc loads it: without noNewPrivileges before the capabilities drop (loading
// needs CAP_SYS_ADMIN then), with it as late as possible before execve — but with NOTIFY rules
// before `ready`, the listener handed to rune and on to `listenerPath` while create runs. System
// call names this libseccomp does not know are skipped, as runc skips them (docker's profile names
// calls newer than some kernels); a rule whose action is the default one is left out (libseccomp
// refuses it). The file is not called linux/seccomp.h: that is the kernel's uapi header, included
// here.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "linux/sync.h"
#include "oci/config.h"

namespace kernel {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  unsigned flags = 0;   // SECCOMP_FILTER_FLAG_*
  bool notify = false;  // a rule is SCMP_ACT_NOTIFY: loading makes a listener for rune to pass on
};

// Errors name the field (`linux.seccomp.syscalls[3].action`).
base::Result<SeccompProgram> compile_seccomp(const oci::Seccomp& s);

// compile_seccomp through a cache in `cache_dir` (crun keeps one too: libseccomp takes about
// 18 ms for docker's profile here). An entry is named by a 64-bit hash of its key and holds the
// whole key — the section in a canonical form, libseccomp's version and the kernel release — and
// is used only when that key matches byte for byte. Cache trouble is never an error: the
// program is then compiled.
base::Result<SeccompProgram> compile_seccomp_cached(const oci::Seccomp& s,
                                                    const std::string& cache_dir);
// The cache key of `s` (for tests).
std::string seccomp_cache_key(const oci::Seccomp& s);

// seccomp(SECCOMP_SET_MODE_FILTER): async-signal-safe, for the init.
// Loads the filter into the calling process. With NOTIFY rules the kernel's listener goes to
// rune over `ch` (which waits until rune has passed it on to `listenerPath`, so the calls the
// listener answers can be made from then on).
base::Status load_seccomp(const SeccompProgram& p, ChildChannel* ch = nullptr);

// In rune: the runtime-spec's ContainerProcessState for the listener (fds ["seccompFd"], the
// init's pid, listenerMetadata, the container's state), and its sending over a connection to
// `path` with the listener fd attached (SCM_RIGHTS).
std::string container_process_state(const oci::Seccomp& s, int init_pid,
                                    const std::string& state_json);
base::Status send_to_listener(const std::string& path, const std::string& process_state,
                              int listener_fd);

// What this build can compile and load, for `rune features`: the accepted architectures that
// this libseccomp can add to a filter for this machine, the accepted flags that libseccomp finds in
// the running kernel (its API level), and libseccomp's version ("2.5.4").
std::vector<std::string> seccomp_supported_archs();
std::vector<std::string> seccomp_supported_flags();
std::string libseccomp_version();

}  // namespace kernel
