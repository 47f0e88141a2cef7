// rune: argument parsing and dispatch only; the work is in src/.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <span>

#include "base/log.h"
#include "cli.h"
#include "oci/config.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  rune::Globals g;
  // Global flags come before the command name; the command and its arguments follow.
  auto ga = base::flags::parse(rune::global_flags(), args, base::flags::Order::flags_first, "rune");
  if (!ga.ok()) return rune::fail(ga.error(), g);
  // An unprivileged user's containers live in its runtime directory (as runc's).
  if (const char* xdg = getenv("XDG_RUNTIME_DIR"); geteuid() != 0 && xdg && *xdg)
    g.root = std::string(xdg) + "/rune";
  g.root = ga->get("root", g.root);
  g.log = ga->get("log");
  g.log_format = ga->get("log-format", "text");
  g.debug = ga->has("debug");
  base::log::Format log_format;
  if (!base::log::parse_format(g.log_format, log_format))
    return rune::fail(base::invalid("`--log-format`: `" + g.log_format + "` is not text or json"),
                      g);
  base::log::configure(g.log, log_format, g.debug);
  g.systemd_cgroup = ga->has("systemd-cgroup");
  if (ga->has("epm-socket")) g.epm_socket = ga->get("epm-socket");
  if (ga->has("epm-timeout")) {
    auto ms = rune::flag_number<int>("epm-timeout", ga->get("epm-timeout"));
    if (!ms.ok() || *ms < 1 || *ms > 60'000)
      return rune::fail(base::invalid("`--epm-timeout`: `" + ga->get("epm-timeout") +
                                      "` is not a number of milliseconds from 1 to 60000"),
                        g);
    g.epm_timeout_ms = *ms;
  }
  if (ga->has("version")) {
    printf("rune version 0.1.0\nspec: %s\n", oci::kSpecVersion);
    return 0;
  }
  if (ga->help || ga->positional.empty()) {
    rune::print_main_help();
    return ga->help ? 0 : 1;
  }
  const std::string& name = ga->positional[0];
  const auto rest = std::span(ga->positional).subspan(1);
  for (const auto& c : rune::commands()) {
    if (name != c.name) continue;
    auto a = base::flags::parse(
        c.flags, rest,
        c.flags_first ? base::flags::Order::flags_first : base::flags::Order::interspersed,
        std::string("rune ") + c.name);
    if (!a.ok()) return rune::fail(a.error(), g);
    if (a->help) {
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
