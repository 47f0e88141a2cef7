#include "base/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/json.h"

namespace base::log {
namespace {

TEST(LogTest, JsonLineHasRuncFieldsAndEscapesTheMessage) {
  EXPECT_EQ(format_line(Format::json, Level::error, "bad \"x\"\n", "T"),
            R"({"level":"error","msg":"bad \"x\"\n","time":"T"})");
}

TEST(LogTest, TextLineIsLogrusStyle) {
  EXPECT_EQ(format_line(Format::text, Level::warning, "careful", "T"),
            R"(time="T" level=warning msg="careful")");
}

TEST(LogTest, Rfc3339NanoTrimsTrailingZerosLikeGo) {
  EXPECT_EQ(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_nano(1, 500000000), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(rfc3339_nano(1, 123456789), "1970-01-01T00:00:01.123456789Z");
}

TEST(JsonQuoteTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  // a, 0xff, 0xc3 without its continuation, "(b", the euro sign, an emoji, an encoded surrogate.
  std::string id =
      "a\xff"
      "\xc3"
      "(b"
      "\xe2\x82\xac"
      "\xf0\x9f\x98\x80"
      "\xed\xa0\x80";
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  std::string q = base::json_quote(id);
  EXPECT_EQ(q, "\"a" + r + r + "(b\xe2\x82\xac\xf0\x9f\x98\x80" + r + r + r + "\"");
  // Valid UTF-8 passes through; the result is valid JSON whatever the input.
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    EXPECT_FALSE(nlohmann::json::parse(base::json_quote(one), nullptr, false).is_discarded()) << c;
  }
}

}  // namespace
}  // namespace base::log
