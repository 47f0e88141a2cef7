#include "rats/tls/cli.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/encoding.h"
#include "base/file.h"

namespace rats::tls::cli {

namespace {

base::Result<std::pair<std::string, std::string>> split_host_port(const std::string& hp) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon + 1 == hp.size())
    return base::invalid("address `" + hp + "` is not HOST:PORT");
  std::string host = hp.substr(0, colon), port = hp.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return base::invalid("address `" + hp + "` has no host");
  return std::make_pair(host, port);
}

struct AddrInfoFree {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

base::Result<std::unique_ptr<addrinfo, AddrInfoFree>> resolve(const std::string& hp, bool passive) {
  ASSIGN_OR_RETURN(auto parts, split_host_port(hp));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(parts.first.c_str(), parts.second.c_str(), &hints, &res);
  if (rc != 0) return base::invalid("address `" + hp + "`: " + gai_strerror(rc));
  return std::unique_ptr<addrinfo, AddrInfoFree>(res);
}

}  // namespace

std::variant<base::flags::Args, int> command_line(std::string_view program,
                                                  std::span<const base::flags::Flag> flags,
                                                  std::string_view required, int argc, char** argv,
                                                  void (*usage)(FILE*)) {
  const std::string name(program);
  auto args = base::flags::parse(flags, std::vector<std::string>(argv + 1, argv + argc),
                                 base::flags::Order::interspersed, name);
  if (args.ok() && args->help) {
    usage(stdout);
    return kExitOk;
  }
  if (args.ok() && !args->positional.empty())
    args = base::invalid("unexpected argument `" + args->positional[0] + "`");
  if (args.ok() && args->get(required).empty()) {
    std::string shown = "--" + std::string(required);
    for (const auto& f : flags)
      if (f.name == required) shown += " " + std::string(f.value_name);
    args = base::invalid(shown + " is required");
  }
  if (!args.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), args.error().message().c_str());
    usage(stderr);
    return base::exit_code(args.error(), base::ExitStyle::tool);
  }
  return std::move(args).value();
}

const std::vector<base::flags::Flag>& common_flags() {
  using base::flags::Kind;
  static const std::vector<base::flags::Flag> flags = {
      {"attester", 0, Kind::value, "NAME",
       "evidence for our certificate: nullattester (default, no\n"
       "evidence), sim, sgx_ecdsa, tdx_ecdsa, snp"},
      {"verifier", 0, Kind::value, "NAME",
       "verifier of the peer's evidence: nullverifier (default,\n"
       "accepts any peer), sim, sgx_ecdsa, tdx_ecdsa, snp"},
      {"mutual", 0, Kind::boolean, "", "both sides present and verify evidence"},
      {"policy", 0, Kind::value, "FILE",
       "relying-party policy JSON (docs/attestation.md); default:\n"
       "the built-in policy (trusts no sim root)"},
      {"sim-state-dir", 0, Kind::value, "DIR", "state directory of the sim TEE (default: its own)"},
      {"collateral", 0, Kind::value, "FILE",
       "collateral JSON {\"role\": \"path\"} for the verifier"},
      {"verify-at", 0, Kind::value, "SECONDS",
       "verify the peer's evidence at this Unix time (default: now)"},
  };
  return flags;
}

std::vector<base::flags::Flag> sample_flags(const base::flags::Flag& address,
                                            const base::flags::Flag& extra) {
  std::vector<base::flags::Flag> f = {address};
  f.insert(f.end(), common_flags().begin(), common_flags().end());
  f.push_back(extra);
  f.push_back({"help", 0, base::flags::Kind::boolean, "", "this text"});
  return f;
}

CommonFlags common_from(const base::flags::Args& a) {
  CommonFlags f;
  f.attester = a.get("attester", f.attester);
  f.verifier = a.get("verifier", f.verifier);
  f.mutual = a.has("mutual");
  f.policy_file = a.get("policy");
  f.sim_state_dir = a.get("sim-state-dir");
  f.collateral_file = a.get("collateral");
  f.verify_at = a.get("verify-at");
  return f;
}

base::Result<ContextOptions> context_options(Role role, const CommonFlags& f) {
  ContextOptions o;
  o.role = role;
  o.attester = f.attester;
  o.verifier = f.verifier;
  o.mutual = f.mutual;
  o.sim_state_dir = f.sim_state_dir;
  if (!f.policy_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, base::read_file(f.policy_file));
    base::Result<Policy> p = parse_policy_json(text);
    if (!p.ok()) return std::move(p).error().wrap("policy file `" + f.policy_file + "`");
    o.policy = std::move(p).value();
  }
  if (!f.collateral_file.empty()) {
    ASSIGN_OR_RETURN(o.collateral, load_collateral_json(f.collateral_file));
  }
  if (!f.verify_at.empty()) {
    o.verify_at = base::parse_nonnegative(f.verify_at);
    if (!o.verify_at)
      return base::invalid("`--verify-at`: `" + f.verify_at + "` is not a Unix time in seconds");
  }
  return o;
}

base::Result<int> listen_on(const std::string& hp) {
  ASSIGN_OR_RETURN(auto ai, resolve(hp, true));
  std::string last = "no address";
  for (addrinfo* p = ai.get(); p != nullptr; p = p->ai_next) {
    int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, 64) == 0) return fd;
    last = std::strerror(errno);
    close(fd);
  }
  return base::Error(base::Category::unavailable, "cannot listen on `" + hp + "`: " + last);
}

base::Result<int> connect_to(const std::string& hp) {
  ASSIGN_OR_RETURN(auto ai, resolve(hp, false));
  std::string last = "no address";
  for (addrinfo* p = ai.get(); p != nullptr; p = p->ai_next) {
    int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) return fd;
    last = std::strerror(errno);
    close(fd);
  }
  return base::Error(base::Category::unavailable, "cannot connect to `" + hp + "`: " + last);
}

std::string local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return ss.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port
                                  : std::string(host) + ":" + port;
}

int exit_code_for_setup(const base::Error& e) {
  return base::exit_code(e, base::ExitStyle::tool);
}

}  // namespace rats::tls::cli
