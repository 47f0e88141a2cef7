// What inclavared and shelter parse before any TLS (src/eaa/protocol, address): the first input
// byte selects the parser. The preamble line a tenant sends inclavared (parsed or refused, never
// both keys), inclavared's answer as shelter reads it, and addresses (a parsed one names a place).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eaa/address.h"
#include "eaa/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 0) {
    auto p = eaa::parse_preamble(rest);
    if (p.ok() && p->broker == !p->connect.empty()) __builtin_trap();
    if (p.ok() && rest.size() > eaa::kMaxPreamble) __builtin_trap();
  } else if (mode == 1) {
    auto s = eaa::parse_preamble_answer(rest);
    if (s.ok() && rest.find("\"ok\"") == std::string_view::npos) __builtin_trap();
  } else {
    auto a = eaa::parse_address(std::string(rest));
    if (a.ok() && a->where.empty()) __builtin_trap();
  }
  return 0;
}
