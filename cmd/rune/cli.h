// rune's command line: runc's global flags, command names, flags and exit codes. Flags are
// parsed by base::flags (runc's syntax); errors map to runc's exit code through base::exit_code.
#pragma once

#include <charconv>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/flags.h"

namespace rune {

using base::flags::Args;
using base::flags::Flag;

struct Globals {
  std::string root = "/run/rune";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string epm_socket = "/run/epm/take.sock";  // "" turns the pool off
  int epm_timeout_ms = 50;
};

struct Command {
  const char* name;
  const char* usage;  // after "rune NAME "
  const char* summary;
  std::vector<Flag> flags;
  size_t min_args, max_args;
  int (*run)(const Args&, const Globals&);
  bool flags_first = false;  // flags end at the first positional (exec: the command's own flags)
};

const std::vector<Command>& commands();

// The global flags (before the command name).
const std::vector<Flag>& global_flags();

void print_help(const Command& c);
void print_main_help();

// Prints the error (log sink, and stderr when --log goes to a file) and returns its exit code
// (base::ExitStyle::runc: 1, as runc).
int fail(const base::Error& e, const Globals& g);

// A file installed with this rune beside the PALs (liberpal-sim.so, the rune-attest helper): in
// the configured libdir, or lib/ or lib64/ next to the bin/ rune runs from, else in the build
// tree this rune was built in. Its real path, or not_found naming where it looked.
base::Result<std::string> installed_file(const std::string& name);

// The value of flag `--flag` as a number of type Int; the error names the flag.
template <class Int>
base::Result<Int> flag_number(const std::string& flag, const std::string& v) {
  Int n{};
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty())
    return base::invalid("`--" + flag + "`: `" + v + "` is not a number" +
                         (r.ec == std::errc::result_out_of_range ? " in range" : ""));
  return n;
}

// Commands, one file each.
int cmd_create(const Args&, const Globals&);
int cmd_start(const Args&, const Globals&);
int cmd_run(const Args&, const Globals&);
int cmd_state(const Args&, const Globals&);
int cmd_list(const Args&, const Globals&);
int cmd_kill(const Args&, const Globals&);
int cmd_delete(const Args&, const Globals&);
int cmd_spec(const Args&, const Globals&);
int cmd_exec(const Args&, const Globals&);
int cmd_attest(const Args&, const Globals&);
int cmd_pause(const Args&, const Globals&);
int cmd_resume(const Args&, const Globals&);
int cmd_ps(const Args&, const Globals&);
int cmd_update(const Args&, const Globals&);
int cmd_features(const Args&, const Globals&);
int cmd_events(const Args&, const Globals&);

}  // namespace rune
