// Loading an enclave runtime (PAL) and calling it: every call's failure is an error naming the
// runtime's path, the call, its return value and errno (see include/inclavare/pal.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "inclavare/pal.h"

namespace enclave {

// The PAL symbols, as bits (recorded in the container's state at create).
enum Symbol : unsigned {
  kGetVersion = 1u << 0,
  kInit = 1u << 1,
  kCreateProcess = 1u << 2,
  kExec = 1u << 3,
  kKill = 1u << 4,
  kDestroy = 1u << 5,
  kGetLocalReport = 1u << 6,
  kPrepareProcess = 1u << 7,  // our extension (pal.h): load the entrypoint at create
  kPrebuild = 1u << 8,        // our extension (pal.h): pre-built enclaves (v3)
};
const char* symbol_name(Symbol s);  // "pal_create_process"

// An error for a command that needs `s`, which the runtime at `path` does not export.
base::Error missing_symbol(const std::string& path, Symbol s);

class Pal {
 public:
  Pal() = default;
  Pal(const Pal&) = delete;
  Pal& operator=(const Pal&) = delete;

  // dlopen(RTLD_NOW | RTLD_LOCAL), resolves the symbols, asks the version (v1 when
  // pal_get_version is absent) and checks the symbols that version requires.
  base::Status load(const std::string& path);

  const std::string& path() const { return path_; }
  int version() const { return version_; }
  unsigned symbols() const { return symbols_; }
  bool has(Symbol s) const { return (symbols_ & s) != 0; }

  // v3 may be handed a pre-built entry (`fd` >= 0, which the runtime then owns, at `addr`);
  // earlier versions never are. `*ret` (optional) gets pal_init's return value.
  base::Status init(const std::string& args, const std::string& log_level, int fd = -1,
                    uint64_t addr = 0, int* ret = nullptr);
  // The GNU build-id (lowercase hex) of the object loaded, read from its notes in memory; empty
  // when it has none.
  std::string build_id() const;
  // v1: runs the program and waits; returns the exit code the runtime reports.
  base::Result<int> exec_v1(const std::string& path, const std::vector<std::string>& argv,
                            const int stdio[3]);
  // v2+: returns the runtime's process id.
  base::Result<int> create_process(const std::string& path, const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const int stdio[3]);
  // v2+: waits for the process; returns its exit value as the runtime reports it.
  base::Result<int> exec(int pid);
  base::Status kill(int pid, int sig);
  // The extension, when exported (v2+): the runtime may load `path` ahead of create_process,
  // from `copy` (a sealed memfd of its bytes, or -1), which is the runtime's (closed here when
  // the runtime does not take it).
  base::Status prepare_process(const std::string& path, int copy) const;
  base::Status destroy();
  // v3: an SGX REPORT for `target_info` (PAL_SGX_TARGET_INFO_SIZE bytes).
  base::Result<std::vector<uint8_t>> get_local_report(const std::vector<uint8_t>& target_info);

 private:
  base::Error call_error(const char* call, int ret, int err) const;

  std::string path_;
  void* handle_ = nullptr;  // never dlclose'd: the runtime lives as long as the runelet
  int version_ = 0;
  unsigned symbols_ = 0;
  pal_get_version_fn get_version_ = nullptr;
  void* init_ = nullptr;  // pal_init_v1_fn or pal_init_v3_fn, by version
  void* exec_ = nullptr;  // pal_exec_v1_fn or pal_exec_v2_fn, by version
  pal_create_process_fn create_process_ = nullptr;
  pal_kill_fn kill_ = nullptr;
  pal_destroy_fn destroy_ = nullptr;
  pal_get_local_report_fn get_local_report_ = nullptr;
  pal_prepare_process_fn prepare_process_ = nullptr;
};

}  // namespace enclave
