// Flags shared by `create` and `run`.
#pragma once

#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

// `--preserve-fds N` (create, run, exec).
inline base::Result<int> preserve_fds(const Args& a) {
  if (!a.has("preserve-fds")) return 0;
  std::string v = a.get("preserve-fds");
  auto n = flag_number<int>("preserve-fds", v);
  if (!n.ok() || *n < 0)
    return base::invalid("`--preserve-fds`: `" + v + "` is not a non-negative number");
  return *n;
}

inline base::Result<runtime::CreateOptions> create_options(const Args& a, const Globals& g) {
  runtime::CreateOptions o;
  o.id = a.positional[0];
  o.bundle = a.get("bundle");
  o.pid_file = a.get("pid-file");
  o.console_socket = a.get("console-socket");
  o.no_pivot = a.has("no-pivot");
  o.no_new_keyring = a.has("no-new-keyring");
  o.systemd_cgroup = g.systemd_cgroup;
  o.pool.socket = g.epm_socket;
  o.pool.timeout_ms = g.epm_timeout_ms;
  ASSIGN_OR_RETURN(o.preserve_fds, preserve_fds(a));
  return o;
}

}  // namespace rune
