#include <gtest/gtest.h>

#include <type_traits>

#include "rats/policy.h"
#include "rats/verifier.h"

namespace rats {
namespace {

// Trust in the sim root only by token: these fail to compile if a public path appears.
// No public member holds it (the old `sim_root_trusted` bool, or its private replacement).
template <class P>
concept HasPublicSimFlag = requires(P p) {
  p.sim_root_trusted;
};
template <class P>
concept HasPublicPrivateFlag = requires(P p) {
  p.sim_root_trusted_;
};
static_assert(!HasPublicSimFlag<Policy>);
static_assert(!HasPublicPrivateFlag<Policy>);
// Not an aggregate, so no designated or brace initializer can reach the private flag.
static_assert(!std::is_aggregate_v<Policy>);
// The token cannot be conjured from `{}`, a bool or an int: only `TrustSimRoot{}` spelled out.
template <class P>
concept TrustsWithBraces = requires(P p) {
  p.trust_sim_root({});
};
static_assert(!TrustsWithBraces<Policy>);
static_assert(!std::is_convertible_v<bool, TrustSimRoot>);
static_assert(!std::is_convertible_v<int, TrustSimRoot>);
static_assert(!std::is_constructible_v<TrustSimRoot, bool>);

TEST(RatsPolicy, DefaultAcceptsTheFourGoodStatusesOnly) {
  Policy p;
  EXPECT_TRUE(p.accepts_tcb_status(TcbStatus::UpToDate));
  EXPECT_TRUE(p.accepts_tcb_status(TcbStatus::SWHardeningNeeded));
  EXPECT_TRUE(p.accepts_tcb_status(TcbStatus::ConfigurationNeeded));
  EXPECT_TRUE(p.accepts_tcb_status(TcbStatus::ConfigurationAndSWHardeningNeeded));
  EXPECT_FALSE(p.accepts_tcb_status(TcbStatus::OutOfDate));
  EXPECT_FALSE(p.accepts_tcb_status(TcbStatus::Revoked));
  EXPECT_FALSE(p.allow_debug);
}

TEST(RatsPolicy, AcceptOutOfDateAddsBothOutOfDateStatuses) {
  auto p = parse_policy_json(R"({"accept_out_of_date": true})");
  ASSERT_TRUE(p.ok()) << p.error().what();
  EXPECT_TRUE(p->accepts_tcb_status(TcbStatus::OutOfDate));
  EXPECT_TRUE(p->accepts_tcb_status(TcbStatus::OutOfDateConfigurationNeeded));
  EXPECT_TRUE(p->accepts_tcb_status(TcbStatus::UpToDate));
  EXPECT_FALSE(p->accepts_tcb_status(TcbStatus::Revoked));
}

TEST(RatsPolicy, ParsesMeasurementsAsHexOrLists) {
  auto p = parse_policy_json(R"({
    "allow_debug": true,
    "sgx": {"mrenclave": "6d9b9649fa3a337754a98059c66d48ac77aaca5299d3b27d6ed1e646c7c81c0a",
            "mrsigner": ["ca63ab8170cc6bbdd84a335322093dea428c0c65de9923b8deda7396d0c2d7a5"],
            "isv_prod_id": 1, "min_isv_svn": 1},
    "snp": {"max_vmpl": 0, "allow_migrate_ma": false,
            "id_key_digest": "0356215882a82527000000000000000000000000000000000000000000000000000000000000000000000000000000ff",
            "family_id": ["01000000000000000000000000000000", "02000000000000000000000000000000"]},
    "tdx": {"xfam": "e702060000000000", "mrseam": ["00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002a"]},
    "trusted_root_keys": ["A0AF031289F5D5D4132F9186068A7FC13628633BA235777472E29B6B6C67A49E"]})");
  ASSERT_TRUE(p.ok()) << p.error().what();
  EXPECT_TRUE(p->allow_debug);
  ASSERT_EQ(p->mrenclave.size(), 1u);
  EXPECT_EQ(p->mrenclave[0][0], 0x6d);
  ASSERT_EQ(p->mrsigner.size(), 1u);
  EXPECT_EQ(*p->isv_prod_id, 1);
  EXPECT_EQ(*p->max_vmpl, 0u);
  EXPECT_FALSE(p->allow_migrate_ma);
  ASSERT_EQ(p->snp_id_key_digest.size(), 1u);
  EXPECT_EQ(p->snp_id_key_digest[0][47], 0xff);
  ASSERT_EQ(p->snp_family_id.size(), 2u);
  EXPECT_EQ(p->snp_family_id[1][0], 2);
  ASSERT_EQ(p->xfam.size(), 1u);
  EXPECT_EQ(p->xfam[0][0], 0xe7);
  ASSERT_EQ(p->mrseam.size(), 1u);
  EXPECT_EQ(p->mrseam[0][47], 0x2a);
  ASSERT_EQ(p->trusted_root_keys.size(), 1u);
  EXPECT_TRUE(p->trusts_root_key(p->trusted_root_keys[0]));
}

TEST(RatsPolicy, ErrorsNameTheKey) {
  struct Bad {
    const char* json;
    const char* names;
  } bad[] = {
      {R"({"alow_debug": true})", "`alow_debug`"},
      {R"({"allow_debug": 1})", "`allow_debug`"},
      {R"({"sgx": {"mrenclave": "abcd"}})", "`sgx.mrenclave`"},
      {R"({"sgx": {"mrenclav": "abcd"}})", "`sgx.mrenclav`"},
      {R"({"tdx": {"rtmr4": "00"}})", "`tdx.rtmr4`"},
      {R"({"tdx": {"xfam": "e702"}})", "`tdx.xfam`: `e702` is not 8 bytes of hex"},
      {R"({"snp": {"image_id": ["00"]}})", "`snp.image_id[0]`: `00` is not 16 bytes of hex"},
      {R"({"accepted_tcb_statuses": ["Fine"]})", "`accepted_tcb_statuses[0]`: `Fine`"},
      {R"({"sgx": {"isv_prod_id": 70000}})", "`sgx.isv_prod_id`"},
      {R"([1])", "JSON object"},
      {R"({)", "not valid JSON"},
  };
  for (const auto& b : bad) {
    auto p = parse_policy_json(b.json);
    ASSERT_FALSE(p.ok()) << b.json;
    EXPECT_NE(p.error().message().find(b.names), std::string::npos) << p.error().message();
  }
}

TEST(RatsPolicy, KeepsTheFirstError) {
  auto p = parse_policy_json(R"({"allow_debug": 3, "zzz": 1})");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("allow_debug"), std::string::npos) << p.error().message();
}

TEST(RatsPolicy, OnlyTheTokenOrTheJsonKeyTrustsTheSimRoot) {
  EXPECT_FALSE(Policy{}.trusts_sim_root());
  // Every other key of the JSON form, set: none of them trusts the sim root.
  auto other = parse_policy_json(R"({"allow_debug": true, "accept_out_of_date": true,
      "trust_sim_root": false, "accepted_tcb_statuses": ["UpToDate"],
      "min_tcb_evaluation_data_number": 17,
      "trusted_root_keys": ["0000000000000000000000000000000000000000000000000000000000000001"],
      "sgx": {"isv_prod_id": 1}, "tdx": {"xfam": "e702060000000000"},
      "snp": {"max_vmpl": 0}})");
  ASSERT_TRUE(other.ok()) << other.error().what();
  EXPECT_FALSE(other->trusts_sim_root());
  Policy copy = *other;
  EXPECT_FALSE(copy.trusts_sim_root());

  auto json = parse_policy_json(R"({"trust_sim_root": true})");
  ASSERT_TRUE(json.ok()) << json.error().what();
  EXPECT_TRUE(json->trusts_sim_root());
  Policy p;
  EXPECT_TRUE(p.trust_sim_root(TrustSimRoot{}).trusts_sim_root());
  EXPECT_TRUE(p.trusted_root_keys.empty()) << "the sim verifier adds its root's key, not this";
}

TEST(RatsPolicy, TrustSimRootAddsTheKeyOnce) {
  Policy p;
  Bytes<32> k{};
  k[0] = 1;
  EXPECT_FALSE(p.trusts_root_key(k));
  p.trust_sim_root(TrustSimRoot{}, k).trust_sim_root(TrustSimRoot{}, k);
  EXPECT_TRUE(p.trusts_root_key(k));
  EXPECT_EQ(p.trusted_root_keys.size(), 1u);
}

}  // namespace
}  // namespace rats
