// eaa-sample: an attested workload speaking the EAA protocol (src/eaa/workload.h) behind Rats-TLS
// with the sim attester (over liberpal-sim's attestation channel inside a sim enclave). Flags and
// the accept loop only.
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "base/flags.h"
#include "base/thread.h"
#include "eaa/address.h"
#include "eaa/workload.h"
#include "rats/tls/cli.h"

namespace {

namespace cli = rats::tls::cli;

const base::flags::Flag kFlags[] = {
    {"listen", 0, base::flags::Kind::value, "ADDR", "tcp://HOST:PORT or unix:///PATH"},
    {"sim-state-dir", 0, base::flags::Kind::value, "DIR",
     "the sim TEE's state (default: /var/lib/inclavare/sim-tee as root)"},
    {"mutual", 0, base::flags::Kind::boolean, "", "verify the client's evidence too (sim)"},
    {"policy", 0, base::flags::Kind::value, "FILE", "the policy for the client's evidence"},
};

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: eaa-sample --listen ADDR [--sim-state-dir DIR] [--mutual --policy FILE]\n"
               "\n"
               "An attested workload: Rats-TLS with the sim attester, then the EAA protocol\n"
               "(hello, echo, get_evidence; docs/eaa-protocol.md). Prints `listening on ADDR`.\n"
               "\n%s",
               base::flags::help_lines(kFlags, cli::kHelpNameWidth).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = cli::command_line("eaa-sample", kFlags, "listen", argc, argv, usage);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  const base::flags::Args& args = std::get<base::flags::Args>(parsed);
  auto fail = [](const base::Error& e) {
    std::fprintf(stderr, "eaa-sample: %s\n", e.what().c_str());
    return cli::exit_code_for_setup(e);
  };
  auto addr = eaa::parse_address(args.get("listen"));
  if (!addr.ok()) return fail(addr.error());
  cli::CommonFlags common;
  common.attester = "sim";
  common.sim_state_dir = args.get("sim-state-dir");
  common.mutual = args.has("mutual");
  common.policy_file = args.get("policy");
  if (common.mutual) common.verifier = "sim";
  auto options = cli::context_options(rats::tls::Role::server, common);
  if (!options.ok()) return fail(options.error());
  auto attester = rats::make_attester("sim", {.sim_state_dir = common.sim_state_dir});
  if (!attester.ok()) return fail(attester.error());
  std::shared_ptr<const rats::Attester> shared(std::move(attester).value());
  options->attester_object = shared;
  auto ctx = rats::tls::Context::create(std::move(options).value());
  if (!ctx.ok()) return fail(ctx.error());
  auto spki = eaa::certificate_spki((*ctx)->certificate_der());
  if (!spki.ok()) return fail(spki.error());
  auto identity = std::make_shared<eaa::WorkloadIdentity>();
  identity->attester = shared.get();
  identity->tee = "sim";
  identity->spki_der = std::move(spki).value();
  auto lfd = eaa::listen_at(*addr);
  if (!lfd.ok()) return fail(lfd.error());
  std::printf("listening on %s\n", eaa::bound_address(*addr, lfd->get()).c_str());
  std::fflush(stdout);
  const rats::tls::Context* context = ctx->get();
  for (;;) {
    int fd = accept4(lfd->get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::perror("eaa-sample: accept");
      return 1;
    }
    auto started = base::start_detached([context, identity, shared, fd] {
      auto s = rats::tls::Session::create(*context, fd);
      base::Status st = s.ok() ? (*s)->negotiate() : base::Status(s.error());
      if (st.ok()) st = eaa::serve_workload(**s, *identity);
      if (!st.ok()) std::fprintf(stderr, "eaa-sample: %s\n", st.error().message().c_str());
      if (s.ok()) (*s)->cleanup();
      close(fd);
    });
    if (!started.ok()) {
      std::fprintf(stderr, "eaa-sample: %s\n", started.error().message().c_str());
      close(fd);
    }
  }
}
