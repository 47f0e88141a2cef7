// What rats-tls-server and rats-tls-client share: their common flags, sockets by HOST:PORT, and
// the exit codes (base/exit_code.h: 0 ok, 1 attestation rejected or handshake failure, 2 bad
// usage or input).
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/exit_code.h"
#include "base/flags.h"
#include "rats/tls.h"

namespace rats::tls::cli {

inline constexpr int kExitOk = base::kExitOk;
inline constexpr int kExitRejected = base::kExitFailure;
inline constexpr int kExitUsage = base::kExitUsage;
// Width of the flag names in the samples' help (base::flags::help_lines).
inline constexpr int kHelpNameWidth = 21;

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

// A sample's command line: its `flags`, no positional argument, the value flag `required` given.
// Returns the parsed flags, or the exit code after printing the help to stdout (0) or the error
// and `usage` to stderr (2).
std::variant<base::flags::Args, int> command_line(std::string_view program,
                                                  std::span<const base::flags::Flag> flags,
                                                  std::string_view required, int argc, char** argv,
                                                  void (*usage)(FILE*));

// A sample's flag table, in its help's order: `address` (--listen or --connect), the common
// flags, `extra`, --help.
std::vector<base::flags::Flag> sample_flags(const base::flags::Flag& address,
                                            const base::flags::Flag& extra);

// The common flags' table (for base::flags::parse and help_lines), and their values once parsed.
const std::vector<base::flags::Flag>& common_flags();
CommonFlags common_from(const base::flags::Args& args);

// ContextOptions for `role` from the flags: reads the policy and collateral files.
base::Result<ContextOptions> context_options(Role role, const CommonFlags& flags);

// "HOST:PORT" (HOST may be "[v6]"); a listening or a connected TCP socket.
base::Result<int> listen_on(const std::string& host_port);
base::Result<int> connect_to(const std::string& host_port);
// "HOST:PORT" of a bound socket.
std::string local_address(int fd);

// Exit code for an error before the connection (options, Context::create, sockets): by the
// error's category (base::ExitStyle::tool), bad input (2) or failure (1).
int exit_code_for_setup(const base::Error& e);

}  // namespace rats::tls::cli
