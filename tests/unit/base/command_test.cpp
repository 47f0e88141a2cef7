// base::run_captured: both outputs, the exit status, the deadline and the stop flag, which kill
// the command's whole process group.
#include "base/command.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "base/clock.h"

namespace base {
namespace {

TEST(RunCapturedTest, CapturesBothOutputsAndTheStatus) {
  auto r = run_captured({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5000);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  ASSERT_TRUE(WIFEXITED(r->status));
  EXPECT_EQ(WEXITSTATUS(r->status), 3);
  EXPECT_FALSE(r->exited_ok());
  auto ok = run_captured({"true"}, 5000);  // found in PATH
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->exited_ok());
}

TEST(RunCapturedTest, OutputBeyondTheCapIsReadAndDropped) {
  auto r = run_captured({"/bin/sh", "-c", "head -c 100000 /dev/zero"}, 5000, nullptr, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_TRUE(r->exited_ok());
}

TEST(RunCapturedTest, TheDeadlineKillsTheCommandAndWhatItStarted) {
  char marker[] = "/tmp/rune-unit-cmd-XXXXXX";
  int fd = mkstemp(marker);
  ASSERT_GE(fd, 0);
  close(fd);
  // The grandchild would write the marker after 2 s if it survived the group's kill.
  std::string script = std::string("(sleep 2; echo alive > ") + marker + ") & sleep 60";
  int64_t t0 = monotonic_ms();
  auto r = run_captured({"/bin/sh", "-c", script}, 300);
  int64_t took = monotonic_ms() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category(), Category::deadline_exceeded);
  EXPECT_NE(r.error().message().find("within 300 ms"), std::string::npos) << r.error().message();
  EXPECT_LT(took, 2000);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  struct stat st;
  ASSERT_EQ(stat(marker, &st), 0);
  EXPECT_EQ(st.st_size, 0) << "the grandchild outlived the deadline";
  unlink(marker);
}

TEST(RunCapturedTest, TheStopFlagKillsTheCommand) {
  std::atomic<bool> stop{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  auto r = run_captured({"sleep", "60"}, 30000, &stop);
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category(), Category::cancelled);
}

TEST(RunCapturedTest, AMissingCommandIsNamed) {
  auto r = run_captured({"/nonexistent/rune"}, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/nonexistent/rune"), std::string::npos);
}

}  // namespace
}  // namespace base
