// Tests of src/runtime/ps.cpp: the table `rune ps` prints from ps's output.
#include "runtime/ps.h"

#include <gtest/gtest.h>

namespace runtime {
namespace {

TEST(PsTableTest, KeepsTheHeaderAndTheContainersLines) {
  const std::string out =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
      "root        4242       1  0 10:01 ?        00:00:00 sleep 30\n"
      "root       42420       1  0 10:01 ?        00:00:00 sleep 42420\n";
  auto t = ps_table(out, {4242});
  ASSERT_TRUE(t.ok()) << t.error().what();
  EXPECT_EQ(*t,
            "UID          PID    PPID  C STIME TTY          TIME CMD\n"
            "root        4242       1  0 10:01 ?        00:00:00 sleep 30\n");
}

TEST(PsTableTest, FindsThePidColumnWhereverTheOptionsPutIt) {
  auto t = ps_table("COMMAND  PID\nsh       7\nbash     8\n", {8});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "COMMAND  PID\nbash     8\n");
}

TEST(PsTableTest, OutputWithoutAPidColumnIsAnError) {
  auto t = ps_table("COMMAND\nsh\n", {1});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("no PID column"), std::string::npos);
}

}  // namespace
}  // namespace runtime
