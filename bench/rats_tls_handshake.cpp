// Rats-TLS handshake benchmark: plain TLS 1.3 (null attester/verifier: same OpenSSL, same P-256
// key type, self-signed certificate, no evidence) against sim-attested TLS, one-way and mutual.
// Contexts are made once (evidence made once per key) and reused; the verifier keeps a
// verified-collateral cache. Each handshake runs over a fresh socketpair with the server in a
// thread, and ends when both sides have finished negotiate().
//
//   rats_tls_bench [--seconds S] [--sim-state-dir DIR]
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "base/file.h"
#include "rats/core/cache.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/tls.h"

namespace {

using rats::tls::Context;
using rats::tls::ContextOptions;
using rats::tls::Role;
using rats::tls::Session;
using Clock = std::chrono::steady_clock;

bool handshake(const Context& server, const Context& client) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return false;
  bool server_ok = false, client_ok = false;
  std::thread st([&] {
    auto s = Session::create(server, fds[0]);
    server_ok = s.ok() && (*s)->negotiate().ok();
    if (!server_ok) shutdown(fds[0], SHUT_WR);
  });
  auto c = Session::create(client, fds[1]);
  client_ok = c.ok() && (*c)->negotiate().ok();
  if (!client_ok) shutdown(fds[1], SHUT_WR);
  st.join();
  close(fds[0]);
  close(fds[1]);
  return server_ok && client_ok;
}

struct Row {
  std::string name;
  long count = 0;
  double ms = 0;  // per handshake
};

Row measure(const std::string& name, const Context& server, const Context& client, double seconds) {
  Row row{name};
  for (int i = 0; i < 5; ++i) {
    if (!handshake(server, client)) {
      std::fprintf(stderr, "%s: handshake failed\n", name.c_str());
      std::exit(1);
    }
  }
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  Clock::time_point now;
  do {
    if (!handshake(server, client)) {
      std::fprintf(stderr, "%s: handshake failed\n", name.c_str());
      std::exit(1);
    }
    ++row.count;
    now = Clock::now();
  } while (now < deadline);
  row.ms = std::chrono::duration<double, std::milli>(now - start).count() / row.count;
  return row;
}

std::unique_ptr<Context> context(ContextOptions o) {
  auto c = Context::create(std::move(o));
  if (!c.ok()) {
    std::fprintf(stderr, "context: %s\n", c.error().message().c_str());
    std::exit(1);
  }
  return std::move(c).value();
}

void print(const Row& r, const Row* base) {
  char ratio[32] = "";
  if (base != nullptr) std::snprintf(ratio, sizeof ratio, "%.2fx", r.ms / base->ms);
  std::printf("%-26s %8ld %10.3f %10.0f %8s\n", r.name.c_str(), r.count, r.ms, 1000.0 / r.ms,
              ratio);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  double seconds = 0.75;
  std::string state_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--sim-state-dir" && i + 1 < argc) {
      state_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: rats_tls_bench [--seconds S] [--sim-state-dir DIR]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  bool temp_state = state_dir.empty();
  if (temp_state) {
    char t[] = "/tmp/rats-tls-bench-XXXXXX";
    if (mkdtemp(t) == nullptr) return 1;
    state_dir = t;
  }
  auto names = rats::attester_names();
  bool sim = std::find(names.begin(), names.end(), "sim") != names.end();

  std::printf("%-26s %8s %10s %10s %8s\n", "configuration", "count", "ms/hs", "hs/s", "ratio");
  for (bool mutual : {false, true}) {
    auto plain_server = context({.role = Role::server, .mutual = mutual});
    auto plain_client = context({.role = Role::client, .mutual = mutual});
    Row plain = measure(std::string("plain TLS 1.3") + (mutual ? " mutual" : " one-way"),
                        *plain_server, *plain_client, seconds);
    print(plain, nullptr);
    if (!sim) continue;
    auto cache = std::make_shared<rats::CollateralCache>();
    ContextOptions so{.role = Role::server,
                      .attester = "sim",
                      .verifier = "sim",
                      .mutual = mutual,
                      .sim_state_dir = state_dir,
                      .cache = cache};
    auto sim_server_probe = context(so);  // creates the sim PKI in state_dir
    auto pem = base::read_file(state_dir + "/root_ca.pem");
    if (!pem.ok()) return 1;
    auto root = rats::crypto::parse_certificate(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pem->data()), pem->size()));
    rats::Policy policy;
    policy.trust_sim_root(rats::TrustSimRoot{}, *rats::crypto::spki_sha256(root->get()));
    so.policy = policy;
    auto sim_server = context(so);
    ContextOptions co = so;
    co.role = Role::client;
    auto sim_client = context(co);
    Row attested = measure(std::string("sim-attested") + (mutual ? " mutual" : " one-way"),
                           *sim_server, *sim_client, seconds);
    print(attested, &plain);
    std::printf(
        "  (evidence %zu bytes, certificate %zu bytes, collateral cache hits %lu misses %lu)\n",
        sim_server->evidence().size(), sim_server->certificate_der().size(),
        static_cast<unsigned long>(cache->hits()), static_cast<unsigned long>(cache->misses()));
  }
  if (!sim) std::printf("(sim attester not registered: attested rows skipped)\n");
  std::printf("target: attested <= 1.5x plain\n");
  if (temp_state) (void)base::remove_all(state_dir);
  return 0;
}
