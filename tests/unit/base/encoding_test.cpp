#include "base/encoding.h"

#include <gtest/gtest.h>

namespace base {
namespace {

TEST(Encoding, ParseNonnegativeTakesPlainDecimalsOnly) {
  EXPECT_EQ(parse_nonnegative("0"), 0);
  EXPECT_EQ(parse_nonnegative("1785432688"), 1785432688);
  EXPECT_EQ(parse_nonnegative("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "12a", "soon", "9223372036854775808"})
    EXPECT_FALSE(parse_nonnegative(bad).has_value()) << bad;
}

TEST(Encoding, HexRoundTrip) {
  const uint8_t bytes[] = {0x00, 0xab, 0xff};
  EXPECT_EQ(hex_encode(bytes, 3), "00abff");
  EXPECT_EQ(hex_decode("00ABff"), (std::vector<uint8_t>{0x00, 0xab, 0xff}));
  EXPECT_FALSE(hex_decode("abc").has_value());
  EXPECT_FALSE(hex_decode("zz").has_value());
}

}  // namespace
}  // namespace base
