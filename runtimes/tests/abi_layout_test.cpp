// include/inclavare/pal.h against the layouts in design/pal-abi.md (natural x86-64 alignment, not
// the spec's `packed`), field by field.
#include <gtest/gtest.h>

#include <cstddef>
#include <type_traits>

#include "inclavare/pal.h"
#include "inclavare/sim_tee.h"

namespace {

TEST(PalAbi, AttrV1) {
  EXPECT_EQ(sizeof(pal_attr_v1_t), 16u);
  EXPECT_EQ(offsetof(pal_attr_v1_t, args), 0u);
  EXPECT_EQ(offsetof(pal_attr_v1_t, log_level), 8u);
}

TEST(PalAbi, AttrV3StartsWithV1) {
  EXPECT_EQ(sizeof(pal_attr_v3_t), 32u);
  EXPECT_EQ(offsetof(pal_attr_v3_t, attr_v1), 0u);
  EXPECT_EQ(offsetof(pal_attr_v3_t, attr_v1.args), 0u);
  EXPECT_EQ(offsetof(pal_attr_v3_t, attr_v1.log_level), 8u);
  EXPECT_EQ(offsetof(pal_attr_v3_t, fd), 16u);
  EXPECT_EQ(offsetof(pal_attr_v3_t, addr), 24u);
  EXPECT_EQ(sizeof(pal_attr_v3_t::addr), 8u);
}

TEST(PalAbi, StdioFds) {
  EXPECT_EQ(sizeof(pal_stdio_fds), 12u);
  EXPECT_EQ(offsetof(pal_stdio_fds, stdin), 0u);
  EXPECT_EQ(offsetof(pal_stdio_fds, stdout), 4u);
  EXPECT_EQ(offsetof(pal_stdio_fds, stderr), 8u);
}

TEST(PalAbi, CreateProcessArgs) {
  using T = struct pal_create_process_args;
  EXPECT_EQ(sizeof(T), 40u);
  EXPECT_EQ(offsetof(T, path), 0u);
  EXPECT_EQ(offsetof(T, argv), 8u);
  EXPECT_EQ(offsetof(T, env), 16u);
  EXPECT_EQ(offsetof(T, stdio), 24u);
  EXPECT_EQ(offsetof(T, pid), 32u);
}

TEST(PalAbi, ExecArgsAreNotPacked) {
  using T = struct pal_exec_args;
  EXPECT_EQ(sizeof(T), 16u);
  EXPECT_EQ(offsetof(T, pid), 0u);
  EXPECT_EQ(offsetof(T, exit_value), 8u);
}

TEST(PalAbi, SgxSizes) {
  EXPECT_EQ(PAL_SGX_TARGET_INFO_SIZE, 512);
  EXPECT_EQ(PAL_SGX_REPORT_SIZE, 432);
  EXPECT_EQ(PAL_SGX_REPORT_BODY_SIZE, 384);
  EXPECT_EQ(SIM_TEE_R_KEYID_OFF, PAL_SGX_REPORT_BODY_SIZE);
  EXPECT_EQ(SIM_TEE_R_MAC_OFF + 16, PAL_SGX_REPORT_SIZE);
  EXPECT_EQ(SIM_TEE_R_REPORTDATA_OFF + 64, PAL_SGX_REPORT_BODY_SIZE);
}

TEST(PalAbi, FunctionTypes) {
  static_assert(std::is_same_v<pal_exec_v1_fn, int (*)(char*, char**, pal_stdio_fds*, int*)>);
  static_assert(std::is_same_v<pal_kill_fn, int (*)(int, int)>);
  static_assert(std::is_same_v<pal_get_local_report_fn, int (*)(void*, int, void*, int*)>);
  SUCCEED();
}

}  // namespace
