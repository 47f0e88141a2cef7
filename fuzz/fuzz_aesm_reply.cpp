// What the AESM client reads from aesmd's socket (src/sgx/aesm/wire): a Response body. A decoded
// Response names exactly one call; its fields are copies that stay within the input's size.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sgx/aesm/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = sgx::aesm::decode_response(std::span<const uint8_t>(data, size), "fuzz");
  if (!r.ok()) return 0;
  if (r->call == 0) __builtin_trap();
  size_t total = 0;
  for (const auto& [n, v] : r->fields) {
    if (v.bytes) total += v.bytes->size();
    if (v.bytes && v.number) __builtin_trap();
  }
  if (total > size) __builtin_trap();
  return 0;
}
