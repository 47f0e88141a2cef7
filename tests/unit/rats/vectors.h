// Shared by the rats tests: the real attestation vectors in ../shared/vectors (RATS_VECTORS_DIR),
// loading them, and hex of fixed-size fields.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/evidence.h"

namespace rats::test {

using Buf = std::vector<uint8_t>;

inline std::string vectors_dir() {
  return RATS_VECTORS_DIR;
}

// Skips the calling test when the vectors are not beside the repository.
#define REQUIRE_VECTORS()                                                         \
  do {                                                                            \
    if (!base::path_exists(::rats::test::vectors_dir() + "/cases.json"))          \
      GTEST_SKIP() << "test vectors not found at " << ::rats::test::vectors_dir() \
                   << " (../shared/vectors)";                                     \
  } while (0)

// A vector file by its path relative to the vectors directory (a test failure if unreadable).
inline Buf load(const std::string& rel) {
  auto r = base::read_file(vectors_dir() + "/" + rel);
  EXPECT_TRUE(r.ok()) << rel << ": " << (r.ok() ? "" : r.error().what());
  if (!r.ok()) return {};
  return Buf(r->begin(), r->end());
}

template <size_t N>
std::string hex(const Bytes<N>& b) {
  return base::hex_encode(b.data(), N);
}

}  // namespace rats::test
