#include "linux/devices.h"

#include <gtest/gtest.h>

namespace kernel {
namespace {

TEST(DeviceCgroupLinesTest, DenyAllThenSpecificAllowsThenTheDefaults) {
  std::vector<oci::DeviceRule> rules = {{false, 'a', std::nullopt, std::nullopt, "rwm"},
                                        {true, 'c', 1, 3, "rw"},
                                        {false, 'b', 7, std::nullopt, "r"}};
  auto lines = device_cgroup_lines(rules);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_FALSE(lines[0].allow);
  EXPECT_EQ(lines[0].rule, "a");
  EXPECT_TRUE(lines[1].allow);
  EXPECT_EQ(lines[1].rule, "c 1:3 rw");
  EXPECT_FALSE(lines[2].allow);
  EXPECT_EQ(lines[2].rule, "b 7:* r");
  bool has_null = false, has_mknod = false;
  for (size_t i = 3; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].allow);
    has_null = has_null || lines[i].rule == "c 1:3 rwm";
    has_mknod = has_mknod || lines[i].rule == "b *:* m";
  }
  EXPECT_TRUE(has_null);
  EXPECT_TRUE(has_mknod);
}

TEST(DeviceCgroupLinesTest, NoRulesMeansNothingIsWritten) {
  EXPECT_TRUE(device_cgroup_lines({}).empty());
}

TEST(ContainerDevicesTest, DefaultsComeFirstThenTheConfigsDevices) {
  auto d = container_devices({{"/dev/fuse", 'c', 10, 229, 0600, 0, 0}});
  ASSERT_EQ(d.size(), 7u);
  EXPECT_EQ(d[0].path, "/dev/null");
  EXPECT_EQ(d.back().path, "/dev/fuse");
}

}  // namespace
}  // namespace kernel
