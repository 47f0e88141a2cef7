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

TEST(Encoding, Base64RoundTripsAndRefusesWhatIsNotBase64) {
  for (size_t n = 0; n < 8; ++n) {
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<uint8_t>(0xf0 + 7 * i));
    std::string text = base::base64_encode(bytes.data(), bytes.size());
    auto back = base::base64_decode(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, bytes) << text;
  }
  EXPECT_EQ(base::base64_encode(reinterpret_cast<const uint8_t*>("foobar"), 6), "Zm9vYmFy");
  for (const char* bad : {"Zm9", "Zm9v!", "Zg=x", "Z===", "Zm=v", "Zm9vYm F"})
    EXPECT_FALSE(base::base64_decode(bad)) << bad;
}
