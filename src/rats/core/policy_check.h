// Helpers the verifiers share for the policy's "one of these values" requirements.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "rats/evidence.h"
#include "rats/verifier.h"

namespace rats {

// True when `allowed` is empty (no requirement) or contains `value`.
template <size_t N>
bool listed(const std::vector<Bytes<N>>& allowed, const Bytes<N>& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// Rejects with `check` unless `value` is listed; the detail names the field (`field`, may be
// empty), the value and what the policy expects.
template <size_t N>
void expect_listed(Verdict& v, std::string_view check, std::string_view field,
                   const std::vector<Bytes<N>>& allowed, const Bytes<N>& value) {
  if (listed(allowed, value)) return;
  std::string want;
  for (const auto& a : allowed)
    want += (want.empty() ? "" : " or ") + base::hex_encode(a.data(), a.size());
  std::string have = base::hex_encode(value.data(), value.size());
  v.reject(std::string(check), (field.empty() ? have : std::string(field) + " " + have) +
                                   " is not the expected " + want);
}

}  // namespace rats
