// The nonce in a TARGETINFO's reserved bytes (rats/core/target_info.h), which rune attest,
// rune-attest and shelter verify --nonce must agree on byte for byte.
#include "rats/core/target_info.h"

#include <gtest/gtest.h>

#include <vector>

#include "inclavare/sim_tee.h"
#include "rats/crypto/ecdsa.h"

namespace rats {
namespace {

TEST(TargetInfo, TheSimQeTargetIsItsMrenclaveAndAProductionEnclavesAttributes) {
  auto ti = sim_qe_target_info();
  EXPECT_TRUE(std::equal(ti.begin(), ti.begin() + 32, SIM_TEE_QE_MRENCLAVE));
  EXPECT_EQ(ti[32], 0x05);  // INIT | MODE64BIT
  EXPECT_EQ(ti[40], 0x03);  // XFRM
  size_t nonzero = 0;
  for (size_t i = 33; i < ti.size(); ++i) nonzero += ti[i] != 0 && i != 40;
  EXPECT_EQ(nonzero, 0u);
}

TEST(TargetInfo, TheNonceGoesIntoTheReservedBytesWithItsLength) {
  std::vector<uint8_t> nonce = {0xde, 0xad, 0xbe, 0xef};
  auto ti = bind_nonce(sim_qe_target_info(), nonce);
  ASSERT_TRUE(ti.ok());
  EXPECT_EQ((*ti)[128], 4);
  EXPECT_EQ((*ti)[129], 0xde);
  EXPECT_EQ((*ti)[132], 0xef);
  EXPECT_EQ((*ti)[133], 0);
  // The quoting target itself is unchanged.
  auto plain = sim_qe_target_info();
  EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 128, ti->begin()));
  // A longer nonce first, then a shorter: no bytes of the first are left.
  auto twice = bind_nonce(*bind_nonce(plain, std::vector<uint8_t>(64, 0xff)), nonce);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, *ti);
  EXPECT_FALSE(bind_nonce(plain, {}).ok());
  auto big = bind_nonce(plain, std::vector<uint8_t>(65, 1));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().what().find("65"), std::string::npos);
}

TEST(TargetInfo, TheReportDataIsTheTargetInfosHashThenZeros) {
  auto ti = *bind_nonce(sim_qe_target_info(), std::vector<uint8_t>{1, 2, 3});
  auto rd = target_info_report_data(ti);
  ASSERT_TRUE(rd.ok());
  auto h = crypto::sha256(ti);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(std::equal(h->begin(), h->end(), rd->begin()));
  for (size_t i = 32; i < 64; ++i) EXPECT_EQ((*rd)[i], 0) << i;
}

}  // namespace
}  // namespace rats
