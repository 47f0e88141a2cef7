// Tests of src/linux/capabilities.cpp: what the parent drops before the init sets capabilities.
#include "linux/capabilities.h"

#include <gtest/gtest.h>

namespace kernel {
namespace {

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

TEST(CapabilitiesTest, AmbientNotPermittedAndInheritableIsDroppedWithAWarning) {
  oci::Capabilities c;
  c.permitted = bit(0) | bit(1);
  c.inheritable = bit(1);
  c.ambient = bit(0) | bit(1);
  auto w = drop_ungrantable_capabilities(c, 40);
  EXPECT_EQ(c.ambient, bit(1));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "`process.capabilities.ambient`: CAP_CHOWN not both permitted and inheritable, so it "
            "cannot be raised; skipped");
}

TEST(CapabilitiesTest, NamesAboveTheKernelsLastCapAreDroppedFromEverySet) {
  oci::Capabilities c;
  c.bounding = c.permitted = c.effective = bit(0) | bit(40);
  auto w = drop_ungrantable_capabilities(c, 39);
  EXPECT_EQ(c.bounding, bit(0));
  EXPECT_EQ(c.permitted, bit(0));
  EXPECT_EQ(c.effective, bit(0));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("CAP_CHECKPOINT_RESTORE not known to this kernel (cap_last_cap 39)"),
            std::string::npos)
      << w[0];
}

TEST(CapabilitiesTest, AGrantableSetIsLeftAlone) {
  oci::Capabilities c;
  c.permitted = c.inheritable = c.ambient = c.bounding = c.effective = bit(5);
  EXPECT_TRUE(drop_ungrantable_capabilities(c, 40).empty());
  EXPECT_EQ(c.ambient, bit(5));
}

}  // namespace
}  // namespace kernel
