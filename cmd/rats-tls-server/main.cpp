// rats-tls-server: a sample attested TLS 1.3 server (include/rats/tls.h). It presents evidence
// from --attester, verifies clients with --verifier in --mutual mode, prints each verified
// client's claims JSON, and answers each message with "echo: <message>".
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "rats/tls/cli.h"

namespace {

namespace cli = rats::tls::cli;

// --listen, the common flags, --once, --help: the parser's table and the help's order.
const std::vector<base::flags::Flag>& flags() {
  static const auto all = cli::sample_flags(
      {"listen", 0, base::flags::Kind::value, "HOST:PORT", "address to listen on (required)"},
      {"once", 0, base::flags::Kind::boolean, "",
       "serve one connection, then exit with its status"});
  return all;
}

void usage(FILE* out) {
  std::fprintf(
      out,
      "usage: rats-tls-server --listen HOST:PORT [options]\n"
      "\n"
      "Attested TLS 1.3 server. Prints `listening on HOST:PORT` once ready (PORT 0 picks a free\n"
      "port), then per connection: in --mutual mode the client's verified claims JSON on one "
      "line,\n"
      "then `received: <message>`; it answers `echo: <message>`.\n"
      "\n"
      "%s"
      "\n"
      "Exit codes: 0 ok, 1 attestation rejected or handshake failure (the reason on stderr),\n"
      "2 bad usage or input.\n",
      base::flags::help_lines(flags(), cli::kHelpNameWidth).c_str());
}

// One connection; returns its exit code.
int serve(const rats::tls::Context& ctx, int fd) {
  auto s = rats::tls::Session::create(ctx, fd);
  if (!s.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", s.error().message().c_str());
    return cli::kExitRejected;
  }
  rats::tls::Session& session = **s;
  if (base::Status st = session.negotiate(); !st.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", st.error().message().c_str());
    return cli::kExitRejected;
  }
  if (session.peer_verdict()) std::printf("%s\n", session.peer_verdict()->claims.dump().c_str());
  std::fflush(stdout);
  uint8_t buf[4096];
  auto n = session.receive(buf);
  if (!n.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", n.error().message().c_str());
    return cli::kExitRejected;
  }
  std::string message(reinterpret_cast<const char*>(buf), *n);
  std::printf("received: %s\n", message.c_str());
  std::fflush(stdout);
  std::string reply = "echo: " + message;
  if (base::Status st = session.transmit(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()));
      !st.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", st.error().message().c_str());
    return cli::kExitRejected;
  }
  session.cleanup();
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = cli::command_line("rats-tls-server", flags(), "listen", argc, argv, usage);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  const base::flags::Args& args = std::get<base::flags::Args>(parsed);
  const cli::CommonFlags common = cli::common_from(args);
  const std::string listen_addr = args.get("listen");
  const bool once = args.has("once");
  auto options = cli::context_options(rats::tls::Role::server, common);
  if (!options.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", options.error().message().c_str());
    return cli::exit_code_for_setup(options.error());
  }
  auto ctx = rats::tls::Context::create(std::move(options).value());
  if (!ctx.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", ctx.error().message().c_str());
    return cli::exit_code_for_setup(ctx.error());
  }
  auto lfd = cli::listen_on(listen_addr);
  if (!lfd.ok()) {
    std::fprintf(stderr, "rats-tls-server: %s\n", lfd.error().what().c_str());
    return cli::exit_code_for_setup(lfd.error());
  }
  std::printf("listening on %s\n", cli::local_address(*lfd).c_str());
  std::fflush(stdout);
  for (;;) {
    int fd = accept4(*lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      std::perror("rats-tls-server: accept");
      return cli::kExitRejected;
    }
    int rc = serve(**ctx, fd);
    close(fd);
    if (once) {
      close(*lfd);
      return rc;
    }
  }
}
