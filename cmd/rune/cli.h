// rune's command line: runc's global flags, command names, flags and exit codes.
// Flags take `--name value`, `--name=value` and the single-dash forms runc accepts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace rune {

struct FlagSpec {
  const char* name;  // long name without dashes
  char short_name;   // 0 if none
  bool takes_value;
  const char* help;
};

struct Args {
  std::map<std::string, std::string> values;            // flag -> value ("true" for booleans)
  std::map<std::string, std::vector<std::string>> all;  // flag -> every value given, in order
  std::vector<std::string> positional;
  bool has(const std::string& f) const { return values.count(f) != 0; }
  std::string get(const std::string& f, const std::string& def = "") const {
    auto it = values.find(f);
    return it == values.end() ? def : it->second;
  }
};

struct Globals {
  std::string root = "/run/rune";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
};

struct Command {
  const char* name;
  const char* usage;  // after "rune NAME "
  const char* summary;
  std::vector<FlagSpec> flags;
  size_t min_args, max_args;
  int (*run)(const Args&, const Globals&);
  bool flags_first = false;  // flags end at the first positional (exec: the command's own flags)
};

const std::vector<Command>& commands();

// Parses argv[begin..] against `flags`; stops flag parsing at "--" or at the first positional
// when `interspersed` is false. Errors name the flag.
base::Result<Args> parse_flags(const std::vector<FlagSpec>& flags,
                               const std::vector<std::string>& argv, size_t begin,
                               const std::string& context, bool flags_first = false);

void print_help(const Command& c);
void print_main_help();

// Prints the error (log sink, and stderr when --log goes to a file) and returns exit code 1.
int fail(const base::Error& e, const Globals& g);

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
int cmd_unsupported(const Args&, const Globals&);

}  // namespace rune
