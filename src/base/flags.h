// The one command-line flag parser of the project, with runc's syntax (urfave/cli as runc 1.1
// uses it), and the help text generated from the same table the parser reads.
//
// Syntax: `--name` and `-name` are the same flag; `-x` is a flag's one-letter name; values are
// given as `--name value` or `--name=value`; boolean flags take no value (`--name=true` and
// `--name=false` are accepted); a value flag given twice keeps every value in order, and `get`
// returns the last; `--` ends the flags; `-` alone is a positional argument. `-h`/`--help` is
// always understood (Args::help). By default flags and positional arguments may be interleaved
// (runc reorders them); Order::flags_first ends the flags at the first positional argument, which
// is what global flags before a command name and `exec <id> <cmd> [args...]` need.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace base::flags {

enum class Kind { boolean, value };

struct Flag {
  std::string_view name;  // long name, without dashes
  char short_name = 0;    // one-letter name, 0 if none
  Kind kind = Kind::boolean;
  std::string_view value_name = "value";  // shown in help after a value flag's name
  std::string_view help = "";             // a '\n' starts a further line of help
  bool hidden = false;                    // parsed, not listed in help
};

enum class Order {
  interspersed,  // flags anywhere among the positional arguments
  flags_first,   // flags end at the first positional argument; the rest is positional
};

class Args {
 public:
  // True when the flag was given (a boolean given as `--name=false` counts as not given).
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  // The last value given, or `def`.
  std::string get(std::string_view name, std::string_view def = "") const;
  // Every value given, in order (empty when not given).
  const std::vector<std::string>& all(std::string_view name) const;

  std::vector<std::string> positional;
  bool help = false;  // -h or --help

 private:
  friend Result<Args> parse(std::span<const Flag>, std::span<const std::string>, Order,
                            std::string_view);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Parses `args` (the words after the program or command name) against `flags`. Errors name the
// flag and `context` (e.g. "rune create"): an unknown flag, a missing value, a value given to a
// boolean flag.
Result<Args> parse(std::span<const Flag> flags, std::span<const std::string> args,
                   Order order = Order::interspersed, std::string_view context = "");

// The help lines of `flags` (hidden ones left out), in table order: two spaces, the names
// (`-b, --bundle value`) padded to `name_width`, a space, the help; further help lines are
// indented to the same column. Each line ends with '\n'.
std::string help_lines(std::span<const Flag> flags, int name_width);

}  // namespace base::flags
