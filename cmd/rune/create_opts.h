// Flags shared by `create` and `run`.
#pragma once

#include <charconv>

#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

inline base::Result<runtime::CreateOptions> create_options(const Args& a) {
  runtime::CreateOptions o;
  o.id = a.positional[0];
  o.bundle = a.get("bundle");
  o.pid_file = a.get("pid-file");
  o.console_socket = a.get("console-socket");
  o.no_pivot = a.has("no-pivot");
  if (a.has("preserve-fds")) {
    std::string v = a.get("preserve-fds");
    auto r = std::from_chars(v.data(), v.data() + v.size(), o.preserve_fds);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || o.preserve_fds < 0)
      return base::invalid("`--preserve-fds`: `" + v + "` is not a non-negative number");
  }
  return o;
}

}  // namespace rune
