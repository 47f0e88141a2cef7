#include "linux/mounts.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/file.h"
#include "recording_sys.h"
#include "temp_dir.h"

namespace kernel {
namespace {

using testing::RecordingSys;

TEST(MountOptionsTest, FlagsDataAndPropagation) {
  auto r =
      parse_mount_options({"nosuid", "noexec", "ro", "mode=755", "size=65536k", "rslave"}, "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_RDONLY));
  EXPECT_EQ(r->data, "mode=755,size=65536k");
  EXPECT_EQ(r->propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_FALSE(r->bind);
}

TEST(MountOptionsTest, LaterOptionsClearEarlierOnes) {
  auto r = parse_mount_options({"ro", "rw", "nodev", "dev"}, "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, 0u);
}

TEST(MountOptionsTest, RbindIsRecursiveBind) {
  auto r = parse_mount_options({"rbind", "ro"}, "m");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->bind);
  EXPECT_TRUE(r->recursive);
}

TEST(MountOptionsTest, UnsupportedOptionsNameTheField) {
  auto r = parse_mount_options({"nosymfollow"}, "mounts[2].options");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "`mounts[2].options`: option `nosymfollow` is not supported by this version of rune");
}

TEST(MountOptionsTest, TmpcopyupIsAFlagNotData) {
  // podman's --read-only tmpfs mounts carry it (a runc and crun extension).
  auto r = parse_mount_options({"rw", "tmpcopyup", "mode=1777"}, "m");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->copy_up);
  EXPECT_EQ(r->data, "mode=1777");
}

oci::Config config_with(std::vector<oci::Mount> mounts) {
  oci::Config c;
  c.mounts = std::move(mounts);
  return c;
}

TEST(PlanMountsTest, MissingBindSourceNamesTheField) {
  auto r = plan_mounts(config_with({{"/mnt", "bind", "/nonexistent-rune-src", {"rbind"}}}), "/b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err(), ENOENT);
  EXPECT_NE(r.error().message().find("`mounts[0].source`"), std::string::npos);
  EXPECT_NE(r.error().message().find("/nonexistent-rune-src"), std::string::npos);
}

TEST(PlanMountsTest, RelativeBindSourceIsUnderTheBundleAndFilesAreNoticed) {
  auto r = plan_mounts(config_with({{"etc/hosts", "bind", "/etc/hostname", {"bind"}},
                                    {"/tmp/../x", "tmpfs", "", {}}}),
                       "/b");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)[0].destination, "/etc/hosts");
  EXPECT_TRUE((*r)[0].file_target);
  EXPECT_EQ((*r)[0].kind, MountKind::bind);
  EXPECT_EQ((*r)[1].destination, "/x");
  EXPECT_EQ((*r)[1].source, "tmpfs");
}

TEST(PlanMountsTest, TmpcopyupOnlyOnTmpfs) {
  EXPECT_TRUE(plan_mounts(config_with({{"/tmp", "tmpfs", "tmpfs", {"tmpcopyup"}}}), "/b").ok());
  auto r = plan_mounts(config_with({{"/x", "bind", "/tmp", {"rbind", "tmpcopyup"}}}), "/b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "`mounts[0].options`: `tmpcopyup` applies to tmpfs mounts only");
}

TEST(PlanMountsTest, MountOverRootIsRejected) {
  auto r = plan_mounts(config_with({{"/..", "tmpfs", "tmpfs", {}}}), "/b");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("`mounts[0].destination`"), std::string::npos);
}

TEST(ApplyMountTest, RegularMountGoesThroughTheResolvedFd) {
  RecordingSys sys;
  MountStep m;
  m.destination = "/proc";
  m.type = "proc";
  m.source = "proc";
  ASSERT_TRUE(apply_mount(sys, 3, m, {}).ok());
  ASSERT_EQ(sys.calls.size(), 1u);
  EXPECT_EQ(sys.calls[0], "mount proc fd:/proc proc 0 -");
}

TEST(ApplyMountTest, ReadOnlyBindIsBindThenRemountOnTheNewMount) {
  RecordingSys sys;
  MountStep m;
  m.kind = MountKind::bind;
  m.destination = "/mnt/h";
  m.source = "/host/dir";
  m.opts.flags = MS_RDONLY | MS_NOSUID;
  m.opts.recursive = true;
  m.opts.propagation = MS_PRIVATE;
  ASSERT_TRUE(apply_mount(sys, 3, m, {}).ok());
  ASSERT_EQ(sys.calls.size(), 3u);
  EXPECT_EQ(sys.calls[0], "mount /host/dir fd:/mnt/h - " + std::to_string(MS_BIND | MS_REC) + " -");
  // The remount must not be recursive-bind and must carry ro + nosuid.
  auto& remount = sys.calls[1];
  unsigned long want = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
  EXPECT_EQ(remount.rfind("mount - fd:/mnt/h - ", 0), 0u) << remount;
  unsigned long got = std::stoul(remount.substr(std::string("mount - fd:/mnt/h - ").size()));
  EXPECT_EQ(got & want, want);
  EXPECT_EQ(sys.calls[2], "mount - fd:/mnt/h - " + std::to_string(MS_PRIVATE) + " -");
}

TEST(ApplyMountTest, MissingDestinationIsCreatedInsideTheRoot) {
  RecordingSys sys;
  sys.missing = {"/a/b", "/a"};
  MountStep m;
  m.destination = "/a/b";
  m.type = "tmpfs";
  m.source = "tmpfs";
  ASSERT_TRUE(apply_mount(sys, 3, m, {}).ok());
  EXPECT_EQ(sys.calls.at(0), "mkdir //a");
  EXPECT_EQ(sys.calls.at(1), "mkdir /a/b");
  EXPECT_EQ(sys.calls.back(), "mount tmpfs fd:/a/b tmpfs 0 -");
}

TEST(ApplyMountTest, OneMissingComponentIsMadeInItsParentWithoutWalkingThePath) {
  RecordingSys sys;
  sys.missing = {"/sys/fs/cgroup/cpu"};
  ASSERT_TRUE(mkdir_in_root(sys, 3, "/sys/fs/cgroup/cpu", 0755).ok());
  std::vector<std::string> want_calls = {"mkdir /sys/fs/cgroup/cpu"};
  EXPECT_EQ(sys.calls, want_calls);
  // Opened: the parent only (the walk would open /sys, /sys/fs and /sys/fs/cgroup twice).
  ASSERT_EQ(sys.fd_paths.size(), 1u);
  EXPECT_EQ(sys.fd_paths.begin()->second, "/sys/fs/cgroup");
}

TEST(ApplyMountTest, CgroupMountIsATmpfsWithOneBindPerHierarchy) {
  RecordingSys sys;
  MountStep m;
  m.kind = MountKind::cgroup;
  m.destination = "/sys/fs/cgroup";
  m.type = "cgroup";
  m.opts.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
  ASSERT_TRUE(apply_mount(sys, 3, m,
                          {{"memory", "/sys/fs/cgroup/memory/c1"},
                           {"unified", "/sys/fs/cgroup/unified/c1"}})
                  .ok());
  ASSERT_GE(sys.calls.size(), 5u);
  EXPECT_EQ(sys.calls[0].rfind("mount tmpfs fd:/sys/fs/cgroup tmpfs ", 0), 0u) << sys.calls[0];
  EXPECT_EQ(sys.calls[1], "mount /sys/fs/cgroup/memory/c1 fd:/sys/fs/cgroup/memory - " +
                              std::to_string(MS_BIND) + " -");
  EXPECT_NE(sys.calls.back().find(std::to_string(MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
                                                 MS_NODEV | MS_NOEXEC)),
            std::string::npos)
      << sys.calls.back();
}

TEST(ApplyMountTest, FailureNamesTheMount) {
  RecordingSys sys;
  sys.mount_errno["fd:/proc"] = EPERM;
  MountStep m;
  m.index = 4;
  m.destination = "/proc";
  m.type = "proc";
  m.source = "proc";
  auto s = apply_mount(sys, 3, m, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().what(), "mounts[4] (`proc` on `/proc`): Operation not permitted");
}

// Real openat2 in a temporary directory: a destination under an absolute symlink that points
// outside stays inside the root.
class MkdirInRootTest : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_EQ(mkdir((dir_ + "/root").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((dir_ + "/root/var").c_str(), 0755), 0);
    ASSERT_EQ(symlink("/run", (dir_ + "/root/var/run").c_str()), 0);
    ASSERT_EQ(symlink("../../..", (dir_ + "/root/up").c_str()), 0);
    rootfd_.reset(open((dir_ + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(rootfd_.valid());
  }
  base::UniqueFd rootfd_;
};

TEST_F(MkdirInRootTest, AbsoluteSymlinkIsFollowedInsideTheRoot) {
  RealSys sys;
  ASSERT_TRUE(mkdir_in_root(sys, rootfd_.get(), "/var/run/rune-test-dir", 0755).ok());
  struct stat st;
  EXPECT_EQ(stat((dir_ + "/root/run/rune-test-dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(stat("/run/rune-test-dir", &st), 0);  // nothing on the host
}

TEST_F(MkdirInRootTest, DotDotCannotLeaveTheRoot) {
  RealSys sys;
  ASSERT_TRUE(mkdir_in_root(sys, rootfd_.get(), "/../../rune-escape/x", 0755).ok());
  ASSERT_TRUE(mkdir_in_root(sys, rootfd_.get(), "/up/rune-escape2", 0755).ok());
  struct stat st;
  EXPECT_EQ(stat((dir_ + "/root/rune-escape/x").c_str(), &st), 0);
  EXPECT_EQ(stat((dir_ + "/root/rune-escape2").c_str(), &st), 0);
  EXPECT_NE(stat((dir_ + "/rune-escape2").c_str(), &st), 0);
}

TEST_F(MkdirInRootTest, ADanglingSymlinkAsTheLastComponentGetsItsTargetMadeInsideTheRoot) {
  ASSERT_EQ(symlink("/data/log", (dir_ + "/root/var/log").c_str()), 0);
  RealSys sys;
  ASSERT_TRUE(mkdir_in_root(sys, rootfd_.get(), "/var/log", 0755).ok());
  struct stat st;
  EXPECT_EQ(stat((dir_ + "/root/data/log").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(stat("/data/log", &st), 0);  // nothing on the host
}

TEST_F(MkdirInRootTest, AFileInTheWayIsAnError) {
  RealSys sys;
  int fd = open((dir_ + "/root/file").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  auto s = mkdir_in_root(sys, rootfd_.get(), "/file/sub", 0755);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/file"), std::string::npos);
}

}  // namespace
}  // namespace kernel
