#include "base/log.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace base::log
