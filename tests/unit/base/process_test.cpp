#include "base/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace base {
namespace {

TEST(ProcStatTest, ParsesStateAndStartTimeWithSpacesAndParensInComm) {
  std::string line =
      "1234 (a b) c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  auto st = parse_proc_stat(line);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->start_time, 987654u);
}

TEST(ProcStatTest, RejectsTruncatedText) {
  EXPECT_FALSE(parse_proc_stat("12 (x) S 1 2"));
  EXPECT_FALSE(parse_proc_stat("garbage"));
}

TEST(ProcessAliveTest, TrueForSelfFalseForWrongStartTimeAndZombies) {
  auto me = read_proc_stat(getpid());
  ASSERT_TRUE(me);
  EXPECT_TRUE(process_alive(getpid(), me->start_time));
  EXPECT_FALSE(process_alive(getpid(), me->start_time + 1));
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_TRUE(wait_process_gone(child, 0, 5000));
  EXPECT_FALSE(process_alive(child, 0));  // a zombie counts as gone
  int st;
  waitpid(child, &st, 0);
  EXPECT_FALSE(process_alive(child, 0));
}

TEST(ParseSignalTest, AcceptsNamesWithAndWithoutPrefixAndNumbers) {
  EXPECT_EQ(parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("SIGTERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("hup").value(), SIGHUP);
  EXPECT_EQ(parse_signal("9").value(), 9);
  EXPECT_EQ(parse_signal("RTMIN+1").value(), SIGRTMIN + 1);
}

TEST(ParseSignalTest, RejectsUnknownNamesAndBadNumbersNamingTheInput) {
  auto r = parse_signal("FOO");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("`FOO`"), std::string::npos);
  EXPECT_FALSE(parse_signal("0").ok());
  EXPECT_FALSE(parse_signal("9x").ok());
  EXPECT_FALSE(parse_signal("1000").ok());
}

}  // namespace
}  // namespace base
