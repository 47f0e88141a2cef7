// The OCI runtime a container was created with (rune, or the ordinary runc-compatible one), run
// the way containerd-shim-runc-v2 runs runc: global flags `--root <root> --log <bundle>/log.json
// --log-format json [--systemd-cgroup]`, then the command. On failure the error is the last
// error the runtime logged (its stderr, else its exit status).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "shim/reaper.h"

namespace shim {

struct Runtime {
  std::string path;  // absolute
  std::string root;  // <root>/<runtime name>/<namespace>
  std::string log;   // <bundle>/log.json
  bool systemd_cgroup = false;

  // Runs `<path> <global flags> <args...>`; stdio as in `cmd` (its argv is replaced).
  base::Result<Output> run(const std::vector<std::string>& args, Command cmd = {}) const;
  // run() that succeeds only on exit status 0; the error names the command and carries the
  // runtime's own message.
  base::Result<Output> check(const std::vector<std::string>& args, Command cmd = {}) const;
};

// The `msg` of the last line of runc-style JSON logs whose level is error (or fatal), "" if none.
std::string last_logged_error(const std::string& json_lines);

// `name` as a runtime: a path (made absolute), or a name looked up on PATH. Errors name the
// input and `what` (the setting it came from).
base::Result<std::string> resolve_runtime(const std::string& name, const std::string& what);

}  // namespace shim
