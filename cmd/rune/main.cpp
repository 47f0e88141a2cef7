// rune: argument parsing and dispatch only; the work is in src/.
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "cli.h"
#include "oci/config.h"

namespace {

const std::vector<rune::FlagSpec> kGlobalFlags = {
    {"root", 0, true, ""},
    {"log", 0, true, ""},
    {"log-format", 0, true, ""},
    {"debug", 0, false, ""},
    {"systemd-cgroup", 0, false, ""},
    {"rootless", 0, true, ""},
    {"criu", 0, true, ""},
    {"version", 'v', false, ""},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  rune::Globals g;
  // Global flags come before the command name.
  size_t i = 1;
  std::vector<std::string> global_args = {args[0]};
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    global_args.push_back(args[i]);
    std::string name = args[i].substr(args[i][1] == '-' ? 2 : 1);
    bool needs_value = false;
    for (const auto& f : kGlobalFlags)
      if (name == f.name && f.takes_value) needs_value = true;
    if (needs_value && i + 1 < args.size()) global_args.push_back(args[++i]);
    ++i;
  }
  auto ga = rune::parse_flags(kGlobalFlags, global_args, 1, "rune");
  if (!ga.ok()) return rune::fail(ga.error(), g);
  g.root = ga->get("root", g.root);
  g.log = ga->get("log");
  g.log_format = ga->get("log-format", "text");
  g.debug = ga->has("debug");
  if (g.log_format != "text" && g.log_format != "json")
    return rune::fail(base::invalid("`--log-format`: `" + g.log_format + "` is not text or json"),
                      g);
  base::log::configure(
      g.log, g.log_format == "json" ? base::log::Format::json : base::log::Format::text, g.debug);
  if (ga->has("systemd-cgroup"))
    return rune::fail(
        base::invalid("`--systemd-cgroup`: the systemd cgroup driver is not supported "
                      "by this version of rune; use cgroupfs"),
        g);
  if (ga->has("version")) {
    printf("rune version 0.1.0\nspec: %s\n", oci::kSpecVersion);
    return 0;
  }
  if (ga->has("help") || i >= args.size()) {
    rune::print_main_help();
    return ga->has("help") ? 0 : 1;
  }
  const std::string& name = args[i];
  for (const auto& c : rune::commands()) {
    if (name != c.name) continue;
    auto a = rune::parse_flags(c.flags, args, i + 1, std::string("rune ") + c.name, c.flags_first);
    if (!a.ok()) return rune::fail(a.error(), g);
    if (a->has("help")) {
      rune::print_help(c);
      return 0;
    }
    if (a->positional.size() < c.min_args || a->positional.size() > c.max_args) {
      std::string msg = std::string("`rune ") + c.name + "`: expected " +
                        (c.min_args == c.max_args
                             ? std::to_string(c.min_args)
                             : std::to_string(c.min_args) + " to " + std::to_string(c.max_args)) +
                        " argument(s), got " + std::to_string(a->positional.size()) +
                        "; usage: rune " + c.name + " " + c.usage;
      return rune::fail(base::invalid(msg), g);
    }
    return c.run(*a, g);
  }
  return rune::fail(base::invalid("unknown command `" + name + "`; see `rune --help`"), g);
}
