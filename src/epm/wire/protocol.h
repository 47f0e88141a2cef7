// The hand-over protocol of epm's take.sock (docs/epm.md): one JSON request of at most 4 KiB per
// SOCK_SEQPACKET connection, one JSON answer, the entry's memfd attached to a hit. Shared by epm
// (the server) and rune's pool client; depends on base only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace epm {

inline constexpr size_t kMaxRequest = 4096;
inline constexpr size_t kMaxReply = 4096;
inline constexpr int kProtocolVersion = 1;

struct Key {
  std::string build_id;  // lowercase hex of the runtime's GNU build-id
  std::string args;      // as pal_init gets them
  bool operator<(const Key& o) const {
    return build_id != o.build_id ? build_id < o.build_id : args < o.args;
  }
  bool operator==(const Key& o) const = default;
};

struct TakeRequest {
  Key key;
  std::string container;  // for epm's log only
};

struct EntryInfo {
  std::string instance;  // hex
  uint64_t size = 0;     // bytes of the memfd
  uint64_t addr = 0;
  int64_t built_at_ns = 0;  // CLOCK_REALTIME
};

struct Reply {
  std::string status;  // hit, miss or error
  std::string reason;  // miss, error
  EntryInfo entry;     // hit
};

std::string encode_request(const TakeRequest& r);
// Strict: exactly the fields docs/epm.md lists, of their types and sizes; an error says which.
base::Result<TakeRequest> parse_request(std::string_view msg);

std::string encode_hit(const EntryInfo& e);
std::string encode_miss(const std::string& reason);
std::string encode_error(const std::string& reason);
base::Result<Reply> parse_reply(std::string_view msg);

// Whether `s` is 2..128 lowercase hex digits, an even number of them.
bool is_build_id_hex(std::string_view s);

}  // namespace epm
