// The relying party's policy JSON (docs/attestation.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rats/policy.h"
#include "rats/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = rats::parse_policy_json(text);
  if (policy.ok()) {
    // Whatever the input, the result is a usable policy.
    (void)policy->accepts_tcb_status(rats::TcbStatus::UpToDate);
    (void)policy->trusts_sim_root();
  }
  return 0;
}
