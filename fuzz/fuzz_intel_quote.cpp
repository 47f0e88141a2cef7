// Intel quotes (SGX v3, v4, TDX v4/v5): the parser and the claims of whatever parses.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rats/formats/intel_quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto q = rats::formats::parse_intel_quote(std::span(data, size));
  if (q.ok()) (void)rats::formats::claims_json(*q).dump();
  return 0;
}
