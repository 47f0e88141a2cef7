// shim-rune's configuration: /etc/inclavare-containers/config.toml, or the file that
// runtimeoptions.v1.Options.config_path names (sent by the CRI plugin, `ctr
// --runtime-config-path`).
//
//   log_level = "info"                 # debug | info | warning | error
//   [shim]
//   rune = "rune"                      # path, or a name on PATH: the runtime of enclave containers
//   runtime = "runc"                   # the ordinary runtime (a name on PATH or a path)
//   root = "/run/containerd/rune-shim" # runtimes' state: <root>/<runtime name>/<namespace>
//   systemd_cgroup = false
//   shim_cgroup = ""                   # a cgroup path for the shim daemon
//
// Inclavare's own keys (`sgx_tool_sign`, `[containerd]`, `[epm]`, `[enclave_runtime...]`,
// `[signature]`) are accepted and reported as unused. Anything else is an error naming the file
// and line. Per container, containerd.runc.v1.Options override the file.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace shim {

constexpr const char* kDefaultConfigPath = "/etc/inclavare-containers/config.toml";

struct Config {
  std::string log_level = "info";
  std::string rune = "rune";
  std::string runtime = "runc";
  std::string root = "/run/containerd/rune-shim";
  bool systemd_cgroup = false;
  std::string shim_cgroup;
  std::vector<std::string> unused;  // Inclavare's keys that were set ("epm.socket")
};

// Reads `path`. A missing file is an error only when `required` (a config_path someone named);
// the default file may be absent (defaults).
base::Result<Config> load_config(const std::string& path, bool required);
// The same from text (`name` for messages).
base::Result<Config> parse_config(std::string_view text, const std::string& name);

}  // namespace shim
