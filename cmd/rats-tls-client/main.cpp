// rats-tls-client: a sample attested TLS 1.3 client (include/rats/tls.h). It verifies the
// server's evidence with --verifier, prints the server's verified claims JSON, sends a message
// and prints the reply.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "rats/tls/cli.h"

namespace {

namespace cli = rats::tls::cli;

// --connect, the common flags, --message, --help: the parser's table and the help's order.
const std::vector<base::flags::Flag>& flags() {
  static const auto all = cli::sample_flags(
      {"connect", 0, base::flags::Kind::value, "HOST:PORT", "server address (required)"},
      {"message", 0, base::flags::Kind::value, "TEXT", "message to send (default: hello)"});
  return all;
}

void usage(FILE* out) {
  std::fprintf(
      out,
      "usage: rats-tls-client --connect HOST:PORT [options]\n"
      "\n"
      "Attested TLS 1.3 client. Prints the server's verified claims JSON on one line, sends the\n"
      "message, and prints the server's reply on the next line.\n"
      "\n"
      "%s"
      "\n"
      "Exit codes: 0 ok, 1 attestation rejected or handshake failure (the reason on stderr),\n"
      "2 bad usage or input.\n",
      base::flags::help_lines(flags(), cli::kHelpNameWidth).c_str());
}

int fail(const base::Error& e, int code = cli::kExitRejected) {
  std::fprintf(stderr, "rats-tls-client: %s\n", e.what().c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = cli::command_line("rats-tls-client", flags(), "connect", argc, argv, usage);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  const base::flags::Args& args = std::get<base::flags::Args>(parsed);
  const cli::CommonFlags common = cli::common_from(args);
  const std::string address = args.get("connect");
  const std::string message = args.get("message", "hello");
  auto options = cli::context_options(rats::tls::Role::client, common);
  if (!options.ok()) return fail(options.error(), cli::exit_code_for_setup(options.error()));
  auto ctx = rats::tls::Context::create(std::move(options).value());
  if (!ctx.ok()) return fail(ctx.error(), cli::exit_code_for_setup(ctx.error()));
  auto fd = cli::connect_to(address);
  if (!fd.ok()) return fail(fd.error(), cli::exit_code_for_setup(fd.error()));
  int rc = [&] {
    auto s = rats::tls::Session::create(**ctx, *fd);
    if (!s.ok()) return fail(s.error());
    rats::tls::Session& session = **s;
    if (base::Status st = session.negotiate(); !st.ok()) return fail(st.error());
    std::printf("%s\n", session.peer_verdict()->claims.dump().c_str());
    std::fflush(stdout);
    if (base::Status st = session.transmit(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(message.data()), message.size()));
        !st.ok())
      return fail(st.error());
    std::string reply;
    uint8_t buf[4096];
    for (;;) {
      auto n = session.receive(buf);
      if (!n.ok()) return fail(n.error());
      if (*n == 0) break;
      reply.append(reinterpret_cast<const char*>(buf), *n);
    }
    std::printf("%s\n", reply.c_str());
    session.cleanup();
    return cli::kExitOk;
  }();
  close(*fd);
  return rc;
}
