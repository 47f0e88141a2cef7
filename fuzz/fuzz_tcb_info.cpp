// Intel TCB info JSON (v2 and v3, SGX and TDX), including the exact-bytes extraction.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rats/verifiers/intel/collateral_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)rats::intel::parse_tcb_info(text);
  (void)rats::intel::raw_member(text, "tcbInfo");
  return 0;
}
