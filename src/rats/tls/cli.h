// What rats-tls-server and rats-tls-client share: their common flags, sockets by HOST:PORT, and
// the exit codes (0 ok, 1 attestation rejected or handshake failure, 2 bad usage or input).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "rats/tls.h"

namespace rats::tls::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUsage = 2;

// --attester NAME, --verifier NAME, --mutual, --policy FILE, --sim-state-dir DIR,
// --collateral FILE, --verify-at UNIX_SECONDS.
struct CommonFlags {
  std::string attester = "nullattester";
  std::string verifier = "nullverifier";
  bool mutual = false;
  std::string policy_file;
  std::string sim_state_dir;
  std::string collateral_file;
  std::string verify_at;  // empty: the current time at each handshake
};

// Consumes argv[i] (and its value) when it is a common flag; `i` is left on the last consumed
// argument. Returns false when argv[i] is not one; an error when its value is missing.
base::Result<bool> parse_common_flag(int argc, char** argv, int& i, CommonFlags& flags);

// The help text of the common flags, one line each.
std::string common_flags_help();

// ContextOptions for `role` from the flags: reads the policy and collateral files.
base::Result<ContextOptions> context_options(Role role, const CommonFlags& flags);

// "HOST:PORT" (HOST may be "[v6]"); a listening or a connected TCP socket.
base::Result<int> listen_on(const std::string& host_port);
base::Result<int> connect_to(const std::string& host_port);
// "HOST:PORT" of a bound socket.
std::string local_address(int fd);

// Exit code for an error of Context::create: bad input (2) or failure (1).
int exit_code_for_setup(const base::Error& e);

}  // namespace rats::tls::cli
