// The EAA protocol's frame parser (src/eaa/protocol), which every workload, inclavared's broker
// and shelter run on a peer's bytes: the input is a byte stream fed in pieces whose sizes the
// input picks; every message that comes out must be a JSON object with a string `type`, and
// feeding the same bytes whole must give the same messages. (The preamble: fuzz_eaa_preamble.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eaa/protocol.h"

namespace {

std::vector<std::string> drain(eaa::FrameReader& r, bool* broken) {
  std::vector<std::string> out;
  for (;;) {
    const size_t before = r.pending();
    auto m = r.next();
    if (!m) break;
    if (!m->ok()) {
      out.push_back("error");
      // An oversized header stays (the stream ends there); a bad frame was consumed.
      if (r.pending() == before) break;
      continue;
    }
    const base::Json& j = **m;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) __builtin_trap();
    out.push_back(j.dump());
  }
  (void)broken;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // Pieces of 1..16 bytes, sizes from the bytes themselves.
  eaa::FrameReader pieces, whole;
  std::vector<std::string> a, b;
  bool broken = false, refused_a = false, refused_b = false;
  for (size_t at = 0; at < rest.size() && !refused_a;) {
    size_t n = 1 + (uint8_t(rest[at]) % 16);
    if (!pieces.feed(rest.substr(at, n)).ok()) refused_a = true;
    for (auto& m : drain(pieces, &broken)) a.push_back(std::move(m));
    at += n;
  }
  if (!whole.feed(rest).ok()) refused_b = true;
  b = drain(whole, &broken);
  // Whole or in pieces: the same messages up to where either refused an oversized header.
  if (!refused_a && !refused_b && a != b) __builtin_trap();
  if (!refused_a && !refused_b && pieces.pending() != whole.pending()) __builtin_trap();
  return 0;
}
