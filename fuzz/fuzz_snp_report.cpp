// SEV-SNP attestation reports: the parser and the claims of whatever parses.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rats/formats/snp_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = rats::formats::parse_snp_report(std::span(data, size));
  if (r.ok()) (void)rats::formats::claims_json(*r).dump();
  return 0;
}
