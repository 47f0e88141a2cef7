#include "linux/rootfs.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include "recording_sys.h"

namespace kernel {
namespace {

using testing::RecordingSys;

TEST(RootfsTest, PrepareMakesRootSlaveThenBindsTheRootfs) {
  RecordingSys sys;
  auto fd = prepare_rootfs(sys, "/b/rootfs", "");
  ASSERT_TRUE(fd.ok());
  ASSERT_GE(sys.calls.size(), 2u);
  EXPECT_EQ(sys.calls[0], "mount - / - " + std::to_string(MS_SLAVE | MS_REC) + " -");
  EXPECT_EQ(sys.calls[1], "mount /b/rootfs /b/rootfs - " + std::to_string(MS_BIND | MS_REC) + " -");
}

TEST(RootfsTest, PrivatePropagationIsUsedBeforePivot) {
  RecordingSys sys;
  ASSERT_TRUE(prepare_rootfs(sys, "/r", "rprivate").ok());
  EXPECT_EQ(sys.calls[0], "mount - / - " + std::to_string(MS_PRIVATE | MS_REC) + " -");
}

TEST(RootfsTest, PivotRootStacksAndDetachesTheOldRoot) {
  RecordingSys sys;
  ASSERT_TRUE(enter_rootfs(sys, 7, false).ok());
  std::vector<std::string> want = {"fchdir 7",
                                   "open /",
                                   "pivot_root . .",
                                   "fchdir 100",
                                   "mount - . - " + std::to_string(MS_SLAVE | MS_REC) + " -",
                                   "umount2 . " + std::to_string(MNT_DETACH),
                                   "chdir /"};
  EXPECT_EQ(sys.calls, want);
}

TEST(RootfsTest, NoPivotMovesTheMountAndChroots) {
  RecordingSys sys;
  ASSERT_TRUE(enter_rootfs(sys, 7, true).ok());
  std::vector<std::string> want = {"fchdir 7", "mount . / - " + std::to_string(MS_MOVE) + " -",
                                   "chroot .", "chdir /"};
  EXPECT_EQ(sys.calls, want);
}

TEST(RootfsTest, WithoutAMountNamespaceTheHostsRootIsLeftAloneAndTheInitChroots) {
  RecordingSys sys;
  // rune bound the rootfs already: nothing is mounted, "/" keeps the host's propagation.
  auto fd = prepare_rootfs(sys, "/b/rootfs", "rprivate", true);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(sys.calls, std::vector<std::string>{"open /b/rootfs"});
  sys.calls.clear();
  ASSERT_TRUE(enter_rootfs(sys, 7, false, true).ok());
  std::vector<std::string> want = {"fchdir 7", "chroot .", "chdir /"};
  EXPECT_EQ(sys.calls, want);
}

TEST(RootfsTest, MaskedDirectoryGetsAReadOnlyTmpfsAndMissingPathsAreSkipped) {
  RecordingSys sys;
  sys.types["/sys/firmware"] = S_IFDIR;
  sys.missing.insert("/proc/nope");
  ASSERT_TRUE(mask_paths(sys, {"/proc/kcore", "/sys/firmware", "/proc/nope"}).ok());
  // The type is asked before mounting: no bind that the kernel must undo (an RCU wait).
  std::vector<std::string> want = {
      "file_type /proc/kcore", "mount /dev/null /proc/kcore - " + std::to_string(MS_BIND) + " -",
      "file_type /sys/firmware",
      "mount tmpfs /sys/firmware tmpfs " + std::to_string(MS_RDONLY) + " -",
      "file_type /proc/nope"};
  EXPECT_EQ(sys.calls, want);
}

TEST(RootfsTest, MaskedPathRemovedBetweenTypeAndMountIsSkipped) {
  RecordingSys sys;
  sys.mount_errno["/proc/kcore"] = ENOENT;
  EXPECT_TRUE(mask_paths(sys, {"/proc/kcore"}).ok());
}

TEST(RootfsTest, MaskFailureNamesThePath) {
  RecordingSys sys;
  sys.mount_errno["/proc/kcore"] = EPERM;
  auto s = mask_paths(sys, {"/proc/kcore"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("`/proc/kcore`"), std::string::npos);
  EXPECT_NE(s.error().message().find("`linux.maskedPaths`"), std::string::npos);
}

}  // namespace
}  // namespace kernel
