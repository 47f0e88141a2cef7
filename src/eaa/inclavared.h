// inclavared, the node daemon between a tenant's `shelter attest` and the attested workloads of a
// node (docs/eaa.md). It is never trusted: in relay mode it copies bytes of a TLS session that
// ends inside the workload; in broker mode it hands out evidence that verifies by itself (a
// sim/SGX quote bound to the tenant's nonce through the TARGETINFO, from `rune attest --nonce`).
// Per connection: the preamble (one line, a deadline), then relay or broker.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "eaa/address.h"
#include "eaa/containers.h"

namespace eaa {

struct DaemonOptions {
  std::vector<Address> listen;
  RuneCommand rune;                       // `stop` is set by the daemon
  std::map<std::string, Address> routes;  // route name -> address (reached from the host)
  size_t max_connections = 256;
  int preamble_timeout_ms = 5000;
  int idle_timeout_ms = 300000;
  int attest_timeout_ms = 10000;  // each broker `rune attest`
  int max_attest = 4;             // broker `rune attest`s at a time
  int grace_ms = 5000;            // after SIGTERM, for sessions to finish
};

// `[route.NAME] address = "tcp://…|unix://…"` tables; errors name the file, line and key.
base::Result<std::map<std::string, Address>> parse_routes(std::string_view text,
                                                          const std::string& name);

class Daemon {
 public:
  // Binds every listener (a live unix socket is refused, a stale one replaced) and makes the
  // broker's TLS context. Nothing is left bound on error.
  static base::Result<std::unique_ptr<Daemon>> create(DaemonOptions o);
  ~Daemon();
  // The bound addresses (tcp port 0 resolved), in the order given.
  std::vector<std::string> addresses() const;
  // Serves until SIGTERM or SIGINT (blocked by the caller, taken here through a signalfd): then
  // stops accepting, gives sessions the grace period, stops the rest and their `rune`s, removes
  // its unix sockets. The exit code: 0.
  int run();

  struct State;

 private:
  explicit Daemon(std::shared_ptr<State> s) : s_(std::move(s)) {}
  std::shared_ptr<State> s_;
};

}  // namespace eaa
