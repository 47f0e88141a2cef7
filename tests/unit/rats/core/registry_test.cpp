#include <gtest/gtest.h>

#include "base/file.h"
#include "rats/attester.h"
#include "rats/verifier.h"

namespace rats {
namespace {

TEST(RatsRegistry, NamesEveryVerifierAndAttester) {
  EXPECT_EQ(verifier_names(),
            (std::vector<std::string>{"nullverifier", "sgx_ecdsa", "tdx_ecdsa", "snp", "sim"}));
  EXPECT_EQ(attester_names(),
            (std::vector<std::string>{"nullattester", "sim", "sgx_ecdsa", "tdx_ecdsa", "snp"}));
  for (const char* alias : {"null", "sgx", "tdx"}) {
    EXPECT_TRUE(make_verifier(alias).ok()) << alias;
  }
}

TEST(RatsRegistry, UnknownNamesListTheKnownOnes) {
  auto v = make_verifier("sev");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("unknown verifier `sev`"), std::string::npos);
  EXPECT_NE(v.error().message().find("snp"), std::string::npos);
  auto a = make_attester("tpm");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("unknown attester `tpm`"), std::string::npos);
}

TEST(RatsRegistry, AutoSaysWhatEachProbeLookedFor) {
  if (base::path_exists("/dev/tdx_guest") || base::path_exists("/dev/sev-guest") ||
      base::path_exists("/dev/attestation/quote"))
    GTEST_SKIP() << "this machine has a TEE device";
  AttesterOptions o;
  o.tsm_root = "/nonexistent/tsm/report";
  auto a = make_attester("auto", o);
  ASSERT_FALSE(a.ok());
  const std::string& m = a.error().message();
  for (const char* part : {"tdx_ecdsa: no `/nonexistent/tsm/report`", "/dev/sev-guest",
                           "sgx_ecdsa: no `/dev/attestation/quote`", "use `sim`"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
}

TEST(RatsRegistry, NullPairTrustsAnythingAndSaysSo) {
  auto v = make_verifier("nullverifier");
  ASSERT_TRUE(v.ok());
  std::vector<uint8_t> junk = {1, 2, 3};
  VerifyRequest r;
  r.evidence = junk;
  auto out = (*v)->verify(r);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->trusted);
  EXPECT_EQ(out->tee, "null");
  auto a = make_attester("null");
  ASSERT_TRUE(a.ok());
  Bytes<64> rd{};
  auto e = (*a)->collect(rd);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
}

}  // namespace
}  // namespace rats
