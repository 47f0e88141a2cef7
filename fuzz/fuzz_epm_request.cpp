// What epm reads from a take.sock peer (src/epm/wire): one request. An accepted request has a
// build-id of lowercase hex and strings within their limits, and encodes back to a request that
// parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "epm/wire/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = epm::parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  if (!epm::is_build_id_hex(r->key.build_id)) __builtin_trap();
  if (r->key.args.size() > 2048 || r->container.size() > 1024) __builtin_trap();
  auto again = epm::parse_request(epm::encode_request(*r));
  if (!again.ok() || !(again->key == r->key) || again->container != r->container) __builtin_trap();
  (void)epm::parse_reply(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
