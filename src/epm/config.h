// epm's configuration (/etc/inclavare/epm.toml; docs/epm.md): the runtimes it may load, the pools
// it keeps, the memory budget and the build limits. Unknown keys are errors; every error names
// the file, the line and the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace epm {

struct PoolSpec {
  std::string runtime;  // a path among Config::runtimes
  std::string args;     // exactly as pal_init gets them (spaces, not commas)
  int depth = 1;
};

struct Config {
  std::vector<std::string> runtimes;  // absolute host paths: the allowlist
  std::vector<PoolSpec> pools;
  uint64_t max_bytes = 0;  // the budget of ready and building entries; required
  int max_pools = 16;
  int build_concurrency = 1;
  int build_timeout_ms = 60'000;
  int64_t idle_ttl_ms = 30 * 60'000;
  bool auto_pool = true;
};

inline constexpr size_t kMaxArgs = 2048;  // PAL_PREBUILD_ARGS_MAX
inline constexpr int kMaxDepth = 64;

// `name` is the file's name in errors.
base::Result<Config> parse_config(std::string_view text, const std::string& name);
base::Result<Config> load_config(const std::string& path);

}  // namespace epm
