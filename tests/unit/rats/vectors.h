// Shared by the rats tests: the real attestation vectors in ../shared/vectors (RATS_VECTORS_DIR),
// loading them, and hex of fixed-size fields.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/evidence.h"

namespace rats::test {

using Buf = std::vector<uint8_t>;

inline std::string vectors_dir() {
  return RATS_VECTORS_DIR;
}

// True when this run is CI's (CI=true), where a missing input must fail the run, not skip.
inline bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

// The calling test needs the real vectors (../shared/vectors). Under CI (CI=true) their absence
// fails the test, naming the directory; elsewhere the test is skipped with a message that says so.
#define REQUIRE_VECTORS()                                                                  \
  do {                                                                                     \
    if (!base::path_exists(::rats::test::vectors_dir() + "/cases.json")) {                 \
      if (::rats::test::running_under_ci())                                                \
        FAIL() << "test vectors missing: directory " << ::rats::test::vectors_dir()        \
               << " (../shared/vectors beside the repository) has no cases.json; CI=true " \
                  "requires them";                                                         \
      GTEST_SKIP() << "SKIPPED: test vectors not found at " << ::rats::test::vectors_dir() \
                   << " (../shared/vectors); set them beside the repository to run this";  \
    }                                                                                      \
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
