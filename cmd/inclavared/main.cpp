// inclavared: flags, logging and signals only; the daemon is src/eaa/inclavared.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "base/encoding.h"
#include "base/file.h"
#include "base/flags.h"
#include "base/log.h"
#include "eaa/inclavared.h"

namespace {

const base::flags::Flag kFlags[] = {
    {"listen", 0, base::flags::Kind::value, "ADDR",
     "tcp://HOST:PORT or unix:///PATH (repeat for several)"},
    {"rune", 0, base::flags::Kind::value, "PATH", "the rune to run (default: rune in PATH)"},
    {"rune-root", 0, base::flags::Kind::value, "DIR", "rune's --root (default: rune's own)"},
    {"sim-state-dir", 0, base::flags::Kind::value, "DIR",
     "the sim TEE's state, for broker `rune attest`s\n(default: rune-attest's)"},
    {"attest-timeout", 0, base::flags::Kind::value, "SECONDS",
     "a broker `rune attest` is killed after this (10)"},
    {"routes", 0, base::flags::Kind::value, "FILE",
     "TOML: [route.NAME] address = \"tcp://…|unix://…\"\n(reached from the host)"},
    {"max-connections", 0, base::flags::Kind::value, "N", "connections at a time (256)"},
    {"preamble-timeout", 0, base::flags::Kind::value, "SECONDS", "for the preamble line (5)"},
    {"idle-timeout", 0, base::flags::Kind::value, "SECONDS",
     "a session with nothing moving ends (300)"},
    {"log", 0, base::flags::Kind::value, "FILE", "log here (default: stderr)"},
    {"log-format", 0, base::flags::Kind::value, "text|json", "the log's format (text)"},
    {"debug", 0, base::flags::Kind::boolean, "", "log debug lines too"},
};

void usage(FILE* out) {
  std::fprintf(
      out,
      "Usage: inclavared --listen ADDR [--listen ADDR]... [--rune PATH] [--rune-root DIR]\n"
      "                  [--routes FILE] [--max-connections N] [--preamble-timeout S]\n"
      "                  [--idle-timeout S] [--sim-state-dir DIR] [--attest-timeout S]\n"
      "                  [--log FILE] [--log-format text|json]\n"
      "\n"
      "The node daemon of enclave attestation (docs/eaa.md). Each connection starts\n"
      "with one preamble line: {\"connect\":\"<container or route>\"} relays the bytes\n"
      "that follow to the workload's address (the container's annotation\n"
      "enclave.attestation.address, resolved inside the container), so the tenant's\n"
      "attested TLS session ends in the workload; {\"broker\":true} opens a TLS session\n"
      "answering get_evidence{container, nonce} with `rune attest --nonce` evidence.\n"
      "Only running containers with an enclave.attestation.* annotation are served.\n"
      "\n%s"
      "\nSIGTERM or SIGINT: stop accepting, 5 s for sessions, then end them.\n",
      base::flags::help_lines(kFlags, 28).c_str());
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "inclavared: %s\n(run `inclavared --help`)\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> words(argv + 1, argv + argc);
  auto parsed = base::flags::parse(kFlags, words, base::flags::Order::interspersed, "inclavared");
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    usage(stdout);
    return 0;
  }
  if (!a.positional.empty()) return usage_error("unexpected argument `" + a.positional[0] + "`");
  if (!a.has("listen")) return usage_error("`--listen` is required");
  base::log::Format format;
  if (!base::log::parse_format(a.get("log-format", "text"), format))
    return usage_error("`--log-format` must be text or json, not `" + a.get("log-format") + "`");
  base::log::configure(a.get("log"), format, a.has("debug"));
  eaa::DaemonOptions o;
  for (const auto& l : a.all("listen")) {
    auto addr = eaa::parse_address(l);
    if (!addr.ok()) return usage_error(addr.error().message());
    o.listen.push_back(std::move(addr).value());
  }
  o.rune.rune = a.get("rune", "rune");
  o.rune.root = a.get("rune-root");
  o.rune.sim_state_dir = a.get("sim-state-dir");
  auto number = [&](const char* name, int64_t max, auto& out, int64_t scale) -> bool {
    if (!a.has(name)) return true;
    auto v = base::parse_nonnegative(a.get(name));
    if (!v || *v < 1 || *v > max) return false;
    out = static_cast<std::remove_reference_t<decltype(out)>>(*v * scale);
    return true;
  };
  if (!number("max-connections", 65536, o.max_connections, 1))
    return usage_error("`--max-connections` must be 1 to 65536, not `" + a.get("max-connections") +
                       "`");
  if (!number("preamble-timeout", 3600, o.preamble_timeout_ms, 1000))
    return usage_error("`--preamble-timeout` must be 1 to 3600 seconds, not `" +
                       a.get("preamble-timeout") + "`");
  if (!number("idle-timeout", 86400, o.idle_timeout_ms, 1000))
    return usage_error("`--idle-timeout` must be 1 to 86400 seconds, not `" +
                       a.get("idle-timeout") + "`");
  if (!number("attest-timeout", 3600, o.attest_timeout_ms, 1000))
    return usage_error("`--attest-timeout` must be 1 to 3600 seconds, not `" +
                       a.get("attest-timeout") + "`");
  if (a.has("routes")) {
    auto text = base::read_file(a.get("routes"), 1 << 20);
    if (!text.ok()) return usage_error(text.error().message());
    auto routes = eaa::parse_routes(*text, a.get("routes"));
    if (!routes.ok()) return usage_error(routes.error().message());
    o.routes = std::move(routes).value();
  }
  // SIGTERM and SIGINT are taken by the daemon's signalfd; every thread inherits the block.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto d = eaa::Daemon::create(std::move(o));
  if (!d.ok()) {
    base::log::error(d.error().message());
    std::fprintf(stderr, "inclavared: %s\n", d.error().message().c_str());
    return 1;
  }
  std::printf("listening on");
  for (const auto& addr : (*d)->addresses()) std::printf(" %s", addr.c_str());
  std::printf("\n");
  std::fflush(stdout);
  int rc = (*d)->run();
  d->reset();
  // Sessions past the grace period may still be unwinding on their threads: no static
  // destructors under them.
  std::fflush(nullptr);
  _exit(rc);
}
