// Intel QE identity JSON (enclaveIdentity v2).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rats/verifiers/intel/collateral_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)rats::intel::parse_qe_identity(text);
  (void)rats::intel::parse_iso8601(text.substr(0, 40));
  return 0;
}
