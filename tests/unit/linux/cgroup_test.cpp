#include "linux/cgroup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace kernel {
namespace {

const char* kHybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "41 22 0:32 / /mnt/devices-again rw,relatime - cgroup cgroup rw,devices\n"
    "50 22 0:40 / /proc rw - proc proc rw\n";

TEST(HierarchiesTest, FindsEveryV1HierarchyAndTheCgroup2MountOnce) {
  auto hs = parse_hierarchies(kHybrid);
  ASSERT_EQ(hs.size(), 4u);
  EXPECT_EQ(hs[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(hs[0].controllers, "cpu,cpuacct");
  EXPECT_TRUE(hs[0].has("cpuacct"));
  EXPECT_FALSE(hs[0].has("cpuset"));
  EXPECT_EQ(hs[2].controllers, "name=systemd");  // xattr is not a controller
  EXPECT_TRUE(hs[3].v2);
  EXPECT_EQ(hs[3].mountpoint, "/sys/fs/cgroup/unified");
}

TEST(HierarchiesTest, PureV2HostHasOneHierarchy) {
  auto hs = parse_hierarchies("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_TRUE(hs[0].v2);
}

TEST(PlanCgroupsTest, DefaultIsSlashIdInEveryHierarchy) {
  auto cg = plan_cgroups("", "c1");
  ASSERT_TRUE(cg.ok());
  ASSERT_EQ(cg->dirs.size(), cg->hierarchies.size());
  for (size_t i = 0; i < cg->dirs.size(); ++i)
    EXPECT_EQ(cg->dirs[i], cg->hierarchies[i].mountpoint + "/c1");
}

TEST(PlanCgroupsTest, RootCgroupIsRejected) {
  if (discover_hierarchies().empty()) GTEST_SKIP() << "no cgroup mounts here";
  auto cg = plan_cgroups("/a/..", "c1");
  ASSERT_FALSE(cg.ok());
  EXPECT_NE(cg.error().message().find("`linux.cgroupsPath`"), std::string::npos);
}

// `exec --cgroup` as runc 1.1 takes it, on directories standing in for a container's cgroups.
class SubCgroupsTest : public testutil::TempDirTest {
 protected:
  CgroupSet set() {
    CgroupSet cg;
    for (auto [name, ctrls, v2] :
         {std::tuple{"cpu", "cpu,cpuacct", false}, std::tuple{"memory", "memory", false},
          std::tuple{"unified", "", true}}) {
      std::string d = dir_ + "/" + name + "/c1";
      mkdir((dir_ + "/" + name).c_str(), 0755);
      mkdir(d.c_str(), 0755);
      mkdir((d + "/sub").c_str(), 0755);
      cg.hierarchies.push_back({dir_ + "/" + name, ctrls, v2});
      cg.dirs.push_back(d);
    }
    return cg;
  }
};

TEST_F(SubCgroupsTest, APathAloneGoesToEveryHierarchy) {
  auto cg = sub_cgroups(set(), {"sub"});
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  for (const auto& d : cg->dirs) EXPECT_EQ(d.substr(d.size() - 7), "/c1/sub") << d;
}

TEST_F(SubCgroupsTest, ControllersNameTheirV1HierarchiesOnly) {
  auto cg = sub_cgroups(set(), {"cpuacct,memory:sub"});
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_EQ(cg->dirs[0], dir_ + "/cpu/c1/sub");
  EXPECT_EQ(cg->dirs[1], dir_ + "/memory/c1/sub");
  EXPECT_EQ(cg->dirs[2], dir_ + "/unified/c1");
}

TEST_F(SubCgroupsTest, BadSpecsAreNamed) {
  struct Case {
    std::vector<std::string> specs;
    const char* want;
  } cases[] = {
      {{"nosuch"}, "no sub-cgroup `nosuch`"},
      {{"../c2"}, "stay below it"},
      {{"/abs"}, "stay below it"},
      {{"a/../../x"}, "stay below it"},
      {{"sub", "memory:sub"}, "no `CONTROLLER:` prefix"},
      {{"memory:sub", "memory:sub"}, "controller `memory` is given more than once"},
      {{",memory:sub"}, "names an empty controller"},
      {{"pids:sub"}, "no v1 `pids` hierarchy"},
      {{"a:b:c"}, "more than one `:`"},
  };
  for (const auto& c : cases) {
    auto cg = sub_cgroups(set(), c.specs);
    ASSERT_FALSE(cg.ok()) << c.specs[0];
    EXPECT_NE(cg.error().what().find(c.want), std::string::npos) << cg.error().what();
    EXPECT_NE(cg.error().what().find("`--cgroup`"), std::string::npos) << cg.error().what();
  }
}

}  // namespace
}  // namespace kernel
