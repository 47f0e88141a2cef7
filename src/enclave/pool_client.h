// rune's side of epm (docs/epm.md): at create, the init-runelet sends the key of its runtime's
// pre-built entry (build-id, args) to the parent over the create sync socket; the parent asks epm
// on take.sock within a deadline and answers with the outcome and, on a hit, the entry's memfd.
// No container process ever connects to epm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "epm/wire/protocol.h"

namespace enclave::pool {

inline constexpr const char* kDefaultSocket = "/run/epm/take.sock";
inline constexpr int kDefaultTimeoutMs = 50;

// hit, miss, off, unavailable or rejected (what `rune state` shows as enclave.pool).
struct Outcome {
  std::string pool;
  std::string instance;  // hit, rejected
  std::string reason;    // everything but hit
  uint64_t addr = 0;
  base::UniqueFd fd;  // a hit's memfd (close-on-exec)
};

// The parent's exchange with epm at `socket`, bounded by `timeout_ms` as a whole (connect, send,
// answer). Never fails: anything but a hit with its fd is a miss or `unavailable` with a reason.
Outcome take(const std::string& socket, const epm::Key& key, const std::string& container,
             int timeout_ms);

// The runelet's request and the parent's answer on the sync socket.
std::string encode_key(const epm::Key& key);
base::Result<epm::Key> parse_key(std::string_view text);
std::string encode_outcome(const Outcome& o);  // without the fd
Outcome parse_outcome(std::string_view text);  // a malformed one is `unavailable`

// Whether the space-separated args hold the token `no-epm`.
bool args_say_no_epm(std::string_view args);

}  // namespace enclave::pool
