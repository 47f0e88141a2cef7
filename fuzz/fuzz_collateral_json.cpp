// Collateral JSON: the role -> file map that shelter and the Rats-TLS samples read, and the
// signed Intel documents (TCB info, QE identity) with their exact-bytes extraction.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rats/verifier.h"
#include "rats/verifiers/intel/collateral_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto map = rats::parse_collateral_map(text, "collateral.json");
  if (map.ok())
    for (const auto& [role, path] : *map)
      if (path.empty()) __builtin_trap();  // empty paths are refused
  (void)rats::intel::parse_tcb_info(text);
  (void)rats::intel::parse_qe_identity(text);
  return 0;
}
