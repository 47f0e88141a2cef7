// aesm-sim: flags, logging and signals only; the server is src/aesm_sim.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>

#include "aesm_sim/server.h"
#include "base/flags.h"
#include "base/log.h"

namespace {

const base::flags::Flag kFlags[] = {
    {"socket", 0, base::flags::Kind::value, "PATH",
     "listen here (as aesmd's /var/run/aesmd/aesm.socket)"},
    {"state", 0, base::flags::Kind::value, "DIR", "the sim TEE's state (its PKI signs the quotes)"},
    {"misbehave", 0, base::flags::Kind::value, "MODE[@CALL]",
     "break answers, for tests: short, oversized, trailing,\nno-errorcode, close, stall, split, "
     "error:N; CALL: a number\nor name (GetQuoteEx); repeat for several"},
    {"capture", 0, base::flags::Kind::value, "DIR",
     "write each request body to DIR/NNNN-CallName.bin (for tests)"},
    {"log", 0, base::flags::Kind::value, "FILE", "log here (default: stderr)"},
    {"log-format", 0, base::flags::Kind::value, "text|json", "the log's format (text)"},
    {"debug", 0, base::flags::Kind::boolean, "", "log each request"},
};

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: aesm-sim --socket PATH --state DIR [--misbehave MODE[@CALL]]\n"
               "                [--log FILE] [--log-format text|json] [--debug]\n"
               "\n"
               "A simulator of Intel's AESM service (aesmd) for machines without SGX: the same\n"
               "socket protocol, answered by the sim TEE. Its quotes verify only under the sim\n"
               "root (sgx-tools verify-quote --trust-sim-root DIR); it is no security boundary.\n"
               "\n%s"
               "\nPrints `listening on PATH` when ready; SIGTERM or SIGINT: removes the socket, "
               "exits 0.\n",
               base::flags::help_lines(kFlags, 26).c_str());
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "aesm-sim: %s\n(run `aesm-sim --help`)\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> words(argv + 1, argv + argc);
  auto parsed = base::flags::parse(kFlags, words, base::flags::Order::interspersed, "aesm-sim");
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    usage(stdout);
    return 0;
  }
  if (!a.positional.empty()) return usage_error("unexpected argument `" + a.positional[0] + "`");
  if (!a.has("socket")) return usage_error("`--socket` is required");
  if (!a.has("state")) return usage_error("`--state` is required");
  base::log::Format format;
  if (!base::log::parse_format(a.get("log-format", "text"), format)) {
    return usage_error("`--log-format` must be text or json, not `" + a.get("log-format") + "`");
  }
  base::log::configure(a.get("log"), format, a.has("debug"));
  aesm_sim::Options o;
  o.socket = a.get("socket");
  o.state_dir = a.get("state");
  o.capture_dir = a.get("capture");
  for (const auto& text : a.all("misbehave")) {
    auto m = aesm_sim::parse_misbehave(text);
    if (!m.ok()) return usage_error(m.error().message());
    o.misbehave.push_back(*m);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) {
    std::perror("aesm-sim: signalfd");
    return 1;
  }
  auto server = aesm_sim::Server::open(o);
  if (!server.ok()) {
    std::fprintf(stderr, "aesm-sim: %s\n", server.error().what().c_str());
    return 1;
  }
  base::log::warn(
      "aesm-sim: a simulator of Intel's AESM service backed by the sim TEE, not "
      "SGX: its quotes prove nothing about hardware");
  std::printf("listening on %s\n", o.socket.c_str());
  std::fflush(stdout);
  auto st = server->run(sfd);
  if (!st.ok()) {
    std::fprintf(stderr, "aesm-sim: %s\n", st.error().what().c_str());
    return 1;
  }
  return 0;
}
