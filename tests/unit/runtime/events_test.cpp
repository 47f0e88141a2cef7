// Tests of src/runtime/events.cpp: `--interval` as Go durations.
#include "runtime/events.h"

#include <gtest/gtest.h>

namespace runtime {
namespace {

TEST(ParseIntervalTest, GoDurations) {
  EXPECT_EQ(*parse_interval("5s"), 5000);
  EXPECT_EQ(*parse_interval("500ms"), 500);
  EXPECT_EQ(*parse_interval("1m30s"), 90000);
  EXPECT_EQ(*parse_interval("1.5s"), 1500);
  EXPECT_EQ(*parse_interval("2000000us"), 2000);
  for (const char* bad : {"", "5", "s", "-1s", "5x", "0s", "1ns"}) {
    auto r = parse_interval(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().what().find("`--interval`"), std::string::npos);
  }
}

}  // namespace
}  // namespace runtime
