// The epm daemon (docs/epm.md): pools of pre-built enclave entries, built by child processes
// within a memory budget, each handed to exactly one `rune create` over take.sock and never
// taken back. One event loop owns the sockets, the builders and the signals; the management
// calls (gRPC threads) take the same lock and wake the loop.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/json_reader.h"
#include "epm/builder.h"
#include "epm/config.h"
#include "epm/wire/protocol.h"

namespace epm {

struct Options {
  std::string config_path;
  std::string runtime_dir = "/run/epm";
  std::string self_exe;  // what builders exec (epm itself)
};

class Daemon {
 public:
  explicit Daemon(Options o);
  ~Daemon();

  // Reads the configuration and the runtimes, makes the runtime dir and take.sock. Errors name
  // the file (exit 2) or the socket ("another epm serves PATH").
  base::Status start();
  // Serves until SIGTERM or SIGINT (blocked by start()); then kills the builders, destroys the
  // entries, removes the sockets. Returns the exit code.
  int run();

  // Management (any thread).
  base::Json status();
  // A pool of `depth` for (the allowed runtime at `runtime` — a path or a build-id — , args).
  base::Status set_pool(const std::string& runtime, const std::string& args, int depth);
  base::Status delete_pool(const std::string& runtime, const std::string& args);
  void drain();
  void resume();
  bool healthy();

  const std::string& take_socket() const { return take_path_; }

 private:
  struct Entry {
    base::UniqueFd fd;
    EntryInfo info;
  };
  struct Pool {
    Key key;
    std::string runtime;  // path
    std::string origin;   // config, auto, api
    int depth = 1;
    std::deque<Entry> ready;
    int building = 0;
    uint64_t hits = 0, misses = 0;
    uint64_t entry_size = 0;  // from the last description
    int64_t last_build_ms = -1;
    std::string last_error;
    int failures = 0;
    int64_t retry_at = 0;  // monotonic ms
    int64_t last_used = 0;
    bool over_budget = false;  // waits for bytes to be freed
  };
  struct Build {
    pid_t pid = -1;
    base::UniqueFd sock;
    Key key;
    int stage = 0;  // 0: describing, 1: building
    uint64_t size = 0;
    int64_t started = 0, deadline = 0;
  };
  struct Conn {
    base::UniqueFd fd;
    int64_t deadline = 0;
  };

  // All under mu_.
  void load_runtimes_locked(const std::vector<std::string>& paths);
  const RuntimeFile* runtime_by_build_id(const std::string& build_id) const;
  const RuntimeFile* runtime_by_path(const std::string& path) const;
  base::Status apply_config_locked(const Config& c);
  void reload();
  void pump_locked(int64_t now);
  void start_build_locked(Pool& p, int64_t now);
  void on_builder_message(Build& b, int64_t now);
  void finish_build_locked(Build& b, const std::string& error, int64_t now);
  void destroy_pool_locked(std::map<Key, Pool>::iterator it, const std::string& why);
  void accept_take();
  void serve_take(Conn& c, int64_t now);
  void reap_children();
  void expire_locked(int64_t now);
  uint64_t bytes_ready_locked() const;
  uint64_t bytes_building_locked() const;
  int next_timeout_locked(int64_t now) const;
  void wake();
  void shutdown();

  Options opt_;
  std::string take_path_;
  std::mutex mu_;
  Config cfg_;
  std::vector<RuntimeFile> runtimes_;
  std::map<Key, Pool> pools_;
  std::vector<std::unique_ptr<Build>> builds_;
  std::vector<Conn> conns_;
  bool drained_ = false;
  base::UniqueFd take_, signal_, wake_;
};

// The bytes charged to this process's memory cgroup (v2 memory.current, v1
// memory.usage_in_bytes), or nullopt when it cannot be read.
std::optional<uint64_t> memory_charged();

// Tells systemd (Type=notify) that the service is ready, without libsystemd; nothing when
// NOTIFY_SOCKET is unset.
void notify_ready();

}  // namespace epm
