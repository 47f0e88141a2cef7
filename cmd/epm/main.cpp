// epm: flags and commands only; the daemon is src/epm.
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include "base/flags.h"
#include "base/log.h"
#include "epm/builder.h"
#include "epm/daemon.h"

namespace {

const base::flags::Flag kServeFlags[] = {
    {"config", 0, base::flags::Kind::value, "FILE",
     "the configuration (/etc/inclavare/epm.toml; docs/epm.md)"},
    {"runtime-dir", 0, base::flags::Kind::value, "DIR",
     "sockets go here: take.sock, epm.sock (/run/epm)"},
    {"log", 0, base::flags::Kind::value, "FILE", "log here (default: stderr)"},
    {"log-format", 0, base::flags::Kind::value, "text|json", "the log's format (text)"},
    {"debug", 0, base::flags::Kind::boolean, "", "log more"},
};

void usage(FILE* out) {
  std::fprintf(
      out,
      "Usage: epm serve --config FILE [--runtime-dir DIR] [--log FILE]\n"
      "                 [--log-format text|json] [--debug]\n"
      "\n"
      "The pool manager of pre-built enclaves: builds entries ahead of time with the\n"
      "runtimes the configuration allows, and hands each to exactly one `rune create`\n"
      "over DIR/take.sock. It never takes an entry back. See docs/epm.md.\n"
      "\n%s"
      "\nSIGHUP reads the configuration and the runtimes again; SIGTERM or SIGINT destroys\n"
      "the entries, removes the sockets and exits 0. Exit 2: bad flags or configuration.\n",
      base::flags::help_lines(kServeFlags, 26).c_str());
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "epm: %s\n(run `epm --help`)\n", msg.c_str());
  return 2;
}

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

int serve(const std::vector<std::string>& words) {
  auto parsed = base::flags::parse(kServeFlags, words, base::flags::Order::interspersed, "serve");
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    usage(stdout);
    return 0;
  }
  if (!a.positional.empty()) return usage_error("unexpected argument `" + a.positional[0] + "`");
  if (!a.has("config")) return usage_error("`--config` is required");
  base::log::Format format;
  if (!base::log::parse_format(a.get("log-format", "text"), format))
    return usage_error("`--log-format` must be text or json, not `" + a.get("log-format") + "`");
  base::log::configure(a.get("log"), format, a.has("debug"));
  epm::Options o;
  o.config_path = a.get("config");
  o.runtime_dir = a.get("runtime-dir", "/run/epm");
  o.self_exe = self_exe();
  epm::Daemon d(o);
  base::Status s = d.start();
  if (!s.ok()) {
    base::log::error(s.error().what());
    if (a.has("log")) std::fprintf(stderr, "epm: %s\n", s.error().what().c_str());
    return s.error().category() == base::Category::invalid_argument ? 2 : 1;
  }
  return d.run();
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.size() == 4 && words[0] == "__build")  // a builder child (epm/builder.h)
    return epm::builder_main(words[1], words[2], words[3]);
  if (words.empty() || words[0] == "--help" || words[0] == "-h") {
    usage(words.empty() ? stderr : stdout);
    return words.empty() ? 2 : 0;
  }
  const std::string cmd = words[0];
  words.erase(words.begin());
  if (cmd == "serve") return serve(words);
  return usage_error("unknown command `" + cmd + "`");
}
