// epm: flags and commands only; the daemon is src/epm.
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/flags.h"
#include "base/log.h"
#include "epm/builder.h"
#include "epm/daemon.h"
#include "epm/service.h"

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

const base::flags::Flag kClientFlags[] = {
    {"runtime-dir", 0, base::flags::Kind::value, "DIR", "where epm serves (/run/epm)"},
    {"json", 0, base::flags::Kind::boolean, "", "status: print JSON"},
    {"args", 0, base::flags::Kind::value, "ARGS",
     "pool: the runtime's args, as pal_init gets them"},
    {"depth", 0, base::flags::Kind::value, "N", "pool set: entries kept ready (1..64)"},
};

void usage(FILE* out) {
  std::fprintf(
      out,
      "Usage: epm serve --config FILE [--runtime-dir DIR] [--log FILE]\n"
      "                 [--log-format text|json] [--debug]\n"
      "       epm status [--json]\n"
      "       epm pool set RUNTIME [--args ARGS] --depth N\n"
      "       epm pool rm RUNTIME [--args ARGS]\n"
      "       epm drain | resume | health\n"
      "\n"
      "The pool manager of pre-built enclaves: builds entries ahead of time with the\n"
      "runtimes the configuration allows, and hands each to exactly one `rune create`\n"
      "over DIR/take.sock. It never takes an entry back. See docs/epm.md.\n"
      "\n%s%s"
      "\nRUNTIME: an allowed runtime's path or build-id. The commands but serve talk to\n"
      "DIR/epm.sock (gRPC inclavare.epm.v1.EnclavePool).\n"
      "\nSIGHUP reads the configuration and the runtimes again; SIGTERM or SIGINT destroys\n"
      "the entries, removes the sockets and exits 0. Exit 2: bad flags or configuration.\n",
      base::flags::help_lines(kServeFlags, 26).c_str(),
      base::flags::help_lines(kClientFlags, 26).c_str());
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
  std::unique_ptr<epm::ManagementServer> m;
  const std::string mgmt = o.runtime_dir + "/epm.sock";
  if (s.ok()) {
    auto started = epm::ManagementServer::start(d, mgmt);
    if (started.ok())
      m = std::move(*started);
    else
      s = std::move(started).error();
  }
  if (!s.ok()) {
    base::log::error(s.error().what());
    if (a.has("log")) std::fprintf(stderr, "epm: %s\n", s.error().what().c_str());
    return s.error().category() == base::Category::invalid_argument ? 2 : 1;
  }
  int code = d.run();
  m->stop();
  unlink(mgmt.c_str());
  return code;
}

int client_fail(const base::Error& e) {
  std::fprintf(stderr, "epm: %s\n", e.what().c_str());
  return e.category() == base::Category::invalid_argument ? 2 : 1;
}

void print_status(const base::Json& j) {
  auto mib = [](uint64_t b) { return std::to_string((b + (1 << 19)) >> 20) + " MiB"; };
  std::printf("budget %s, ready %s, building %s, charged to epm %s%s\n",
              mib(j["budget"].get<uint64_t>()).c_str(),
              mib(j["bytes_ready"].get<uint64_t>()).c_str(),
              mib(j["bytes_building"].get<uint64_t>()).c_str(),
              j["memory_charged"].is_number() ? mib(j["memory_charged"].get<uint64_t>()).c_str()
                                              : "unknown",
              j["drained"].get<bool>() ? " (drained)" : "");
  for (const auto& p : j["pools"]) {
    std::printf(
        "pool %s %s args \"%s\": %s, depth %u, ready %u, building %u, hits %llu, misses "
        "%llu%s%s\n",
        p["runtime"].get<std::string>().c_str(),
        p["build_id"].get<std::string>().substr(0, 12).c_str(),
        p["args"].get<std::string>().c_str(), p["origin"].get<std::string>().c_str(),
        p["depth"].get<unsigned>(), p["ready"].get<unsigned>(), p["building"].get<unsigned>(),
        p["hits"].get<unsigned long long>(), p["misses"].get<unsigned long long>(),
        p["last_error"].get<std::string>().empty() ? "" : ", last error: ",
        p["last_error"].get<std::string>().c_str());
  }
}

int client(const std::string& cmd, const std::vector<std::string>& words) {
  auto parsed = base::flags::parse(kClientFlags, words, base::flags::Order::interspersed, cmd);
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    usage(stdout);
    return 0;
  }
  const std::string sock = a.get("runtime-dir", "/run/epm") + "/epm.sock";
  const auto& pos = a.positional;
  if (cmd == "status") {
    if (!pos.empty()) return usage_error("unexpected argument `" + pos[0] + "`");
    auto j = epm::call_status(sock);
    if (!j.ok()) return client_fail(j.error());
    if (a.has("json"))
      std::printf("%s\n", j->dump().c_str());
    else
      print_status(*j);
    return 0;
  }
  if (cmd == "pool") {
    if (pos.size() != 2 || (pos[0] != "set" && pos[0] != "rm"))
      return usage_error(
          "usage: epm pool set RUNTIME [--args ARGS] --depth N | epm pool rm RUNTIME [--args "
          "ARGS]");
    if (pos[0] == "rm") {
      base::Status s = epm::call_delete_pool(sock, pos[1], a.get("args"));
      return s.ok() ? 0 : client_fail(s.error());
    }
    if (!a.has("depth")) return usage_error("`--depth` is required");
    const std::string d = a.get("depth");
    char* end = nullptr;
    long depth = std::strtol(d.c_str(), &end, 10);
    if (d.empty() || *end || depth < 1 || depth > 64)
      return usage_error("`--depth`: `" + d + "` is not a number from 1 to 64");
    base::Status s = epm::call_set_pool(sock, pos[1], a.get("args"), static_cast<int>(depth));
    return s.ok() ? 0 : client_fail(s.error());
  }
  if (!pos.empty()) return usage_error("unexpected argument `" + pos[0] + "`");
  if (cmd == "drain" || cmd == "resume") {
    base::Status s = cmd == "drain" ? epm::call_drain(sock) : epm::call_resume(sock);
    return s.ok() ? 0 : client_fail(s.error());
  }
  auto h = epm::call_health(sock);
  if (!h.ok()) return client_fail(h.error());
  std::printf("%s\n", *h ? "serving" : "not serving");
  return *h ? 0 : 1;
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
  if (cmd == "status" || cmd == "pool" || cmd == "drain" || cmd == "resume" || cmd == "health")
    return client(cmd, words);
  return usage_error("unknown command `" + cmd + "`");
}
